package supervise

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

var stripCases = []string{
	"plain\n",
	"\x1b[1;31mred\x1b[0m plain\n",
	"\x1b[2Jclear\x1b[H",
	"cut \x1b[1;3",
	"\x1b[",
	"a\x1bb\x1b[xyzmc",
	"\x1b[31m\x1b[42mboth\x1b[0m",
	"no terminator \x1b[123",
	"[m] \x1b x\x1b[Kend",
}

// TestStripEscapesMatchesSupervisord runs supervisord's own stripEscapes (Debian's
// supervisor package) on the same inputs.
func TestStripEscapesMatchesSupervisord(t *testing.T) {
	testenv.RequireFile(t, "/usr/lib/python3/dist-packages/supervisor/dispatchers.py", "supervisor's dispatchers.py (Debian package supervisor)")
	in, err := json.Marshal(stripCases)
	require.NoError(t, err)
	cmd := exec.Command("/usr/bin/python3", "-c", `import sys, json
from supervisor.dispatchers import stripEscapes
cases = json.loads(sys.argv[1])
print(json.dumps([stripEscapes(c.encode('latin-1')).decode('latin-1') for c in cases]))`, string(in))
	out, err := cmd.Output()
	require.NoError(t, err)
	var want []string
	require.NoError(t, json.Unmarshal(out, &want))
	for i, c := range stripCases {
		assert.Equal(t, want[i], string(stripEscapes([]byte(c))), "%q", c)
	}
}

func TestRealStripANSI(t *testing.T) {
	h := newRealOpts(t, Options{StripANSI: true})
	logPath := filepath.Join(h.dir, "color.log")
	h.add(Program{Name: "color", Command: "/usr/bin/printf", Args: []string{`\033[1;31mred\033[0m plain\n`},
		StartSecs: -1, AutoRestart: RestartNever, Stdout: Log{Path: logPath}})
	h.untilState("color", Exited)
	h.stop()
	b, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Equal(t, "red plain\n", string(b))
}
