package difftest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// CleanAutoLogs removes what supervisord's clear_autochildlogdir removes: checked against its
// own regular expression run by python3 over the same names.
func TestCleanAutoLogsMatchesSupervisord(t *testing.T) {
	names := []string{
		"web-stdout---supervisor-ab12cd_x.log", "web-stderr---supervisor-zzzzzzzz.log.1",
		"web-stdout---supervisor-abc.log.12345", "web-stdout---other-abc.log", "plain.log",
		"---supervisor-x.log", "a---supervisor-x.log.gz", "a---supervisor-.log", "x---supervisorX-a.log",
	}
	dir := t.TempDir()
	for _, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	removed, err := supervise.CleanAutoLogs(dir, "")
	require.NoError(t, err)
	var got []string
	for _, p := range removed {
		got = append(got, filepath.Base(p))
	}
	sort.Strings(got)

	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	in, _ := json.Marshal(names)
	cmd := exec.Command(py, "-c", `import json, re, sys
fnre = re.compile(r'.+?---%s-\S+\.log\.{0,1}\d{0,4}' % 'supervisor')
print(json.dumps(sorted(n for n in json.loads(sys.stdin.read()) if fnre.match(n))))`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	require.NoError(t, err)
	var want []string
	require.NoError(t, json.Unmarshal(out, &want))
	assert.Equal(t, want, got)
	assert.NotEmpty(t, got)
}
