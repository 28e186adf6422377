package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	mk := func(rel, content string, mode os.FileMode) {
		p := filepath.Join(base, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
	}
	mk("root/versions/3.11.7/bin/python", "#!/bin/sh\n", 0o755)
	mk("app/.python-version", "3.11\n3.99\n", 0o644)
	mk("app/Pipfile", "[packages]\n\n[dev-packages]\n", 0o644)
	t.Setenv("PYENV_ROOT", filepath.Join(base, "root"))
	t.Setenv("PATH", filepath.Join(base, "sys/bin"))
	t.Setenv("HOME", filepath.Join(base, "home"))
	t.Setenv("PYENV_VERSION", "")
	t.Setenv("WORKON_HOME", "")
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("PIPENV_VENV_IN_PROJECT", "1")

	var out, errb bytes.Buffer
	status := run(filepath.Join(base, "app"), &out, &errb)
	assert.Equal(t, 1, status, "3.99 is not installed")
	want := "version-name=3.11.7\nversion-name.rc=1\n" +
		"prefix=\nprefix.rc=1\n" +
		"origin=" + base + "/app/.python-version\n" +
		"which-python=" + base + "/root/versions/3.11.7/bin/python\n" +
		"which-gunicorn=\nwhich-gunicorn.rc=127\n" +
		"pipenv-project=" + base + "/app\n" +
		"pipenv-venv=" + base + "/app/.venv\n" +
		"pipfile-hash=ebffa69a1fa192d1cef7cb42ad79231ca976565c5ce371a70160b3048d3cbc06\n"
	assert.Equal(t, want, out.String())
	assert.Contains(t, errb.String(), "pyenv: version `3.99' is not installed (set by "+base+"/app/.python-version)")
	assert.Contains(t, errb.String(), "pyenv: gunicorn: command not found")
}
