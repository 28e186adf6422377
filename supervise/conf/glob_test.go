package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFnmatch(t *testing.T) {
	tests := []struct {
		name, pat string
		want      bool
	}{
		{"a.conf", "*.conf", true},
		{"a.ini", "*.conf", false},
		{"abc", "a?c", true},
		{"abc", "[ab]bc", true},
		{"cbc", "[!ab]bc", true},
		{"abc", "[!ab]bc", false},
		{"]x", "[]]x", true},
		{"[x", "[x", true},
		{"b", "[a-c]", true},
		{"d", "[a-c]", false},
		{"", "*", true},
		{"aaa", "a*a*a", true},
		{"aa", "a*a*a", false},
		{strings.Repeat("a", 60), strings.Repeat("*a", 30) + "b", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, fnmatch(tc.name, tc.pat), "%q %q", tc.name, tc.pat)
	}
}

func TestPyGlob(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"conf.d/a.conf", "conf.d/b.conf", "conf.d/.h.conf", "conf.d/c.ini", "x/conf.d/z.conf"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
	}
	got := pyGlob(filepath.Join(dir, "conf.d/*.conf"))
	assert.ElementsMatch(t, []string{filepath.Join(dir, "conf.d/a.conf"), filepath.Join(dir, "conf.d/b.conf")}, got)
	assert.ElementsMatch(t, []string{filepath.Join(dir, "conf.d/.h.conf")}, pyGlob(filepath.Join(dir, "conf.d/.*.conf")))
	assert.ElementsMatch(t, []string{filepath.Join(dir, "x/conf.d/z.conf")}, pyGlob(filepath.Join(dir, "*/conf.d/*.conf")))
	assert.Equal(t, []string{filepath.Join(dir, "conf.d/c.ini")}, pyGlob(filepath.Join(dir, "conf.d/c.ini")))
	assert.Empty(t, pyGlob(filepath.Join(dir, "nothing/*.conf")))
}

func FuzzLoadData(f *testing.F) {
	f.Add("[supervisord]\n[program:a]\ncommand=/bin/true %(process_num)d\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\n")
	f.Add("[supervisord]\n[group:g]\nprograms=a,b\n[program:a]\ncommand=x\nenvironment=A=\"1\",B=2\n")
	f.Add("[supervisord]\n[eventlistener:e]\ncommand=x\nevents=TICK_5\n[fcgi-program:f]\ncommand=y\nsocket=tcp://h:1\n")
	f.Add("[DEFAULT]\nautostart=false\n[supervisord]\nenvironment=A=%(here)s\n[inet_http_server]\nport=*:9001\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "[include]") {
			return // globbing the file system is not the point here
		}
		cfg, err := LoadData("/nonexistent/fuzz.conf", []byte(s), Options{Environ: []string{"HOME=/root"}, Hostname: "h"})
		if err != nil {
			assert.Nil(t, cfg)
			assert.NotEmpty(t, err.Error())
			return
		}
		_ = cfg.ConfigInfo()
		_ = cfg.SuperviseGroups()
	})
}
