package conf

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDependsOnOption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
[program:db]
command=/bin/true
[program:app]
command=/bin/true
depends_on = db, web
[program:worker]
command=/bin/true
numprocs=2
process_name=w%(process_num)d
depends_on = app:app, db
[gunicorn:web]
app = wsgi:app
`), Options{Environ: []string{}})
	require.NoError(t, err, "web is left to whoever expands [gunicorn:web]")
	var deps [][]string
	for _, g := range cfg.SuperviseGroups() {
		for _, p := range g.Programs {
			deps = append(deps, p.DependsOn)
		}
	}
	assert.Equal(t, [][]string{{"db", "web"}, nil, {"app:app", "db"}, {"app:app", "db"}}, deps, "app, db, worker w0 and w1")
	err = cfg.CheckDependencies(cfg.Groups)
	require.Error(t, err, "the caller checks again once [gunicorn:web] is a group")
	assert.Equal(t, "depends_on names unknown program web in section 'program:app' (file: '"+path+"') at line 6", errorsOf(t, err)[0].Error())
}

func TestDependsOnErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	_, err := LoadData(path, []byte(`[supervisord]
[program:a]
command=/bin/true
depends_on = b
[program:b]
command=/bin/true
depends_on = c
[program:c]
command=/bin/true
depends_on = a, nope, b:x
[program:self]
command=/bin/true
depends_on = self
`), Options{Environ: []string{}})
	var got []string
	for _, e := range errorsOf(t, err) {
		got = append(got, e.Error())
	}
	in := func(sec string) string { return " in section '" + sec + "' (file: '" + path + "') at line " }
	assert.Equal(t, []string{
		"depends_on names unknown program nope" + in("program:c") + "10",
		"depends_on names unknown program b:x" + in("program:c") + "10",
		"depends_on makes a cycle: a -> b -> c -> a" + in("program:a") + "4",
		"depends_on makes a cycle: self -> self" + in("program:self") + "13",
	}, got)
}

func TestEnvironmentFileOption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
[program:a]
command=/bin/true
environment_file = %(here)s/app/../.env
`), Options{Environ: []string{}})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, ".env"), cfg.SuperviseGroups()[0].Programs[0].EnvFile)
	_, err = LoadData(path, []byte(`[supervisord]
[program:a]
command=/bin/true
environment_file = .env
`), Options{Environ: []string{}})
	assert.Equal(t, "environment_file .env is not an absolute path (%(here)s is the config file's directory) in section 'program:a' (file: '"+path+"') at line 4",
		errorsOf(t, err)[0].Error())
}
