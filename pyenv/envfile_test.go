package pyenv

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// dotenvDriver loads each file with pipenv's vendored python-dotenv as pipenv does
// (override=True) into a copy of the environment and prints what each file changed.
const dotenvDriver = `
import json, os, sys
from pipenv.vendor.dotenv import load_dotenv
base = dict(os.environ)
out = []
for path in sys.argv[1:]:
    os.environ.clear()
    os.environ.update(base)
    load_dotenv(path, override=True)
    env = dict(os.environ)
    out.append({k: v for k, v in env.items() if base.get(k) != v})
print(json.dumps(out))
`

var dotenvCases = []string{
	"A=1\nB=two words\n",
	"export A='single ${BASE}'\nB=\"double ${BASE} \\n\\t\"\n",
	"A=${BASE}-${MISSING:-def}-${A}\nA=again${A}\n",
	"# comment\n\nA=1 # trailing\nB=\"q\" # c\nC\nD=\n",
	"BASE=over\nE=${BASE}\n",
	"'QK'=quoted key\n  spaced = yes \n",
	"bad line without equals sign\nOK=1\n=novalue\n",
	"A=1\r\nB=2\r\n",
}

func TestReadDotenvMatchesPipenv(t *testing.T) {
	testenv.LookPath(t, "pipenv", "pipenv")
	py := "/usr/bin/python3"
	testenv.RequireFile(t, py, "python3 (Debian package python3)")
	dir := t.TempDir()
	base := []string{"LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin", "HOME=" + dir, "BASE=b"}
	var paths []string
	for i, c := range dotenvCases {
		p := filepath.Join(dir, "env"+string(rune('a'+i)))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o644))
		paths = append(paths, p)
	}
	cmd := exec.Command(py, append([]string{"-c", dotenvDriver}, paths...)...)
	cmd.Env = base
	out, err := cmd.Output()
	require.NoError(t, err)
	var want []map[string]string
	require.NoError(t, json.Unmarshal(out, &want))
	for i, p := range paths {
		vars, err := ReadDotenv(p, base)
		require.NoError(t, err)
		// what changed against the environment
		got := map[string]string{}
		for _, kv := range vars {
			k, v, _ := strings.Cut(kv, "=")
			got[k] = v
		}
		for _, kv := range base {
			if k, v, _ := strings.Cut(kv, "="); got[k] == v {
				delete(got, k)
			}
		}
		assert.Equal(t, want[i], got, "case %d: %q", i, dotenvCases[i])
	}
}

func TestReadDotenvOrderAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	require.NoError(t, os.WriteFile(p, []byte("B=1\nA=${B}2\nB=3\nC\n"), 0o644))
	vars, err := ReadDotenv(p, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"B=3", "A=12"}, vars)
	_, err = ReadDotenv(filepath.Join(dir, "missing"), nil)
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	assert.EqualError(t, err, "open "+filepath.Join(dir, "missing")+": no such file or directory")
}
