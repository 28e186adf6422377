package pyenv

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	type want struct {
		name, prefix, origin, python string
		nameErr, prefixErr           bool
	}
	tests := []struct {
		desc  string
		setup func(tr *tree) (dir string, env []string)
		want  want
	}{
		{"local file", func(tr *tree) (string, []string) {
			tr.write("app/.python-version", "3.11.7\n")
			return tr.p("app"), tr.env()
		}, want{name: "3.11.7", prefix: "root/versions/3.11.7", origin: "app/.python-version", python: "root/versions/3.11.7/bin/python"}},
		{"parent file, global ignored", func(tr *tree) (string, []string) {
			tr.write("app/.python-version", "3.9.18\n")
			tr.write("root/version", "3.12.1\n")
			return tr.mkdir("app/src/pkg"), tr.env()
		}, want{name: "3.9.18", prefix: "root/versions/3.9.18", origin: "app/.python-version", python: "root/versions/3.9.18/bin/python"}},
		{"global file", func(tr *tree) (string, []string) {
			tr.write("root/version", "3.12\n")
			return tr.mkdir("app"), tr.env()
		}, want{name: "3.12.1", prefix: "root/versions/3.12.1", origin: "root/version", python: "root/versions/3.12.1/bin/python"}},
		{"nothing: system", func(tr *tree) (string, []string) {
			tr.exe("sys/bin/python")
			return tr.mkdir("app"), tr.env()
		}, want{name: "system", prefix: "sys", origin: "root/version", python: "sys/bin/python"}},
		{"empty file shadows global", func(tr *tree) (string, []string) {
			tr.exe("sys/bin/python3")
			tr.write("app/.python-version", "")
			tr.write("root/version", "3.12.1\n")
			return tr.p("app"), tr.env()
		}, want{name: "system", prefix: "sys", origin: "app/.python-version", python: ""}},
		{"missing local, which falls back", func(tr *tree) (string, []string) {
			tr.exe("sys/bin/python")
			tr.write("app/.python-version", "3.99.0\n")
			return tr.p("app"), tr.env()
		}, want{name: "", nameErr: true, prefixErr: true, origin: "app/.python-version", python: "sys/bin/python"}},
		{"env python- prefix", func(tr *tree) (string, []string) {
			tr.exe("sys/bin/python")
			return tr.mkdir("app"), tr.env("PYENV_VERSION=python-3.11")
		}, want{name: "3.11.7", prefixErr: true, origin: EnvOrigin, python: "sys/bin/python"}},
		{"traversal rejected", func(tr *tree) (string, []string) {
			tr.exe("sys/bin/python")
			tr.write("app/.python-version", "../../app\n")
			return tr.p("app"), tr.env()
		}, want{name: "system", prefix: "sys", origin: "app/.python-version", python: "sys/bin/python"}},
		{"traversal accepted verbatim", func(tr *tree) (string, []string) {
			tr.write("app/.python-version", "../versions/3.11.7\n")
			return tr.p("app"), tr.env()
		}, want{name: "../versions/3.11.7", prefix: "root/versions/../versions/3.11.7", origin: "app/.python-version", python: "root/versions/../versions/3.11.7/bin/python"}},
		{"partial missing", func(tr *tree) (string, []string) {
			tr.write("app/.python-version", "3.11.7\n3.99\n")
			return tr.p("app"), tr.env()
		}, want{name: "3.11.7", nameErr: true, prefixErr: true, origin: "app/.python-version", python: "root/versions/3.11.7/bin/python"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			tr := newTree(t)
			tr.stdRoot()
			tr.mkdir("sys/bin")
			dir, env := tc.setup(tr)
			res, err := Resolve(Options{Dir: dir, Env: env})
			if tc.want.nameErr {
				var ve *VersionError
				require.ErrorAs(t, err, &ve)
				assert.True(t, errors.Is(err, ErrNotFound))
			} else {
				require.NoError(t, err)
			}
			require.NotNil(t, res)
			assert.Equal(t, tc.want.name, res.VersionName())
			if tc.want.origin == EnvOrigin {
				assert.Equal(t, EnvOrigin, res.Origin)
			} else {
				assert.Equal(t, tr.p(tc.want.origin), res.Origin)
			}
			p, err := res.Prefix()
			if tc.want.prefixErr {
				assert.Error(t, err)
			} else if assert.NoError(t, err) {
				assert.Equal(t, tr.base+"/"+tc.want.prefix, p)
			}
			py, err := res.Which("python")
			if tc.want.python == "" {
				var ce *CommandError
				assert.ErrorAs(t, err, &ce)
			} else if assert.NoError(t, err) {
				assert.Equal(t, tr.base+"/"+tc.want.python, py)
			}
		})
	}
}

func TestResolveBadDir(t *testing.T) {
	tr := newTree(t)
	tr.stdRoot()
	_, err := Resolve(Options{Dir: tr.mkdir("app"), Env: tr.env("PYENV_DIR=" + tr.p("nope"))})
	var de *DirError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "pyenv: cannot change working directory to `"+tr.p("nope")+"'", err.Error())
	_, err = Resolve(Options{Dir: tr.p("missing"), Env: tr.env()})
	assert.ErrorAs(t, err, &de)
}

func TestResolveUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads mode-000 files")
	}
	tr := newTree(t)
	tr.stdRoot()
	f := tr.write("app/.python-version", "3.11.7\n")
	require.NoError(t, os.Chmod(f, 0))
	res, err := Resolve(Options{Dir: tr.p("app"), Env: tr.env()})
	require.NoError(t, err)
	assert.Equal(t, "system", res.VersionName())
	assert.Equal(t, f, res.Origin)
	assert.NotEmpty(t, res.Warnings)
}

func TestEnviron(t *testing.T) {
	tr := newTree(t)
	tr.stdRoot()
	tr.mkdir("root/versions/3.11.7/envs/web/bin")
	tr.exe("root/versions/3.11.7/envs/web/bin/gunicorn")
	tr.write("root/versions/3.11.7/envs/web/pyvenv.cfg", "home = x\nversion = 3.11.7\n")
	tr.symlink(tr.p("root/versions/3.11.7/envs/web"), "root/versions/web")
	tr.write("app/.python-version", "web\n3.12\n")
	res, err := Resolve(Options{Dir: tr.p("app"), Env: tr.env()})
	require.NoError(t, err)
	base := []string{"PATH=" + tr.p("root/shims") + ":/usr/bin", "PYTHONHOME=/x", "KEEP=1", "VIRTUAL_ENV=/old"}
	env := res.Environ(base)
	got := newEnvMap(env)
	assert.Equal(t, tr.p("root/versions/web/bin")+":"+tr.p("root/versions/3.12.1/bin")+":/usr/bin", got.get("PATH"))
	assert.Equal(t, "web:3.12.1", got.get("PYENV_VERSION"))
	assert.Equal(t, tr.p("root/versions/web"), got.get("VIRTUAL_ENV"))
	assert.Equal(t, "1", got.get("KEEP"))
	_, has := got.lookup("PYTHONHOME")
	assert.False(t, has)
	assert.Equal(t, "PATH="+tr.p("root/shims")+":/usr/bin", base[0], "base is not modified")
	g, err := res.Which("gunicorn")
	require.NoError(t, err)
	assert.Equal(t, tr.p("root/versions/web/bin/gunicorn"), g)
	v, err := InterpreterVersion(tr.p("root/versions/web"))
	require.NoError(t, err)
	assert.Equal(t, "3.11.7", v)
}

func TestResolutionConcurrent(t *testing.T) {
	tr := newTree(t)
	tr.stdRoot()
	tr.write("app/.python-version", "3.11\n")
	res, err := Resolve(Options{Dir: tr.p("app"), Env: tr.env()})
	require.NoError(t, err)
	done := make(chan string, 4)
	for i := 0; i < 4; i++ {
		go func() {
			p, _ := res.Which("python")
			done <- p
		}()
	}
	for i := 0; i < 4; i++ {
		assert.Equal(t, tr.p("root/versions/3.11.7/bin/python"), <-done)
	}
}
