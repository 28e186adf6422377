package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestSeedGunicornChecksByDefault(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	cfg, _, err := f.load(t, fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = 0.0.0.0:8123

[gunicorn:own]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = unix:/tmp/own.sock
ready = tcp://127.0.0.1:9
healthcheck_command = true
healthcheck_interval = 30

[gunicorn:off]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
ready =
healthcheck_url =
`, f.app, f.root))
	require.NoError(t, err)
	web, ok := findProcess(cfg, "web")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{Ready: "notify", HealthURL: "http://127.0.0.1:8123/", HealthAnyStatus: true}, web.Checks)
	own, ok := findProcess(cfg, "own")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{Ready: "tcp://127.0.0.1:9", HealthCommand: "true", HealthInterval: 30 * time.Second}, own.Checks)
	off, ok := findProcess(cfg, "off")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{}, off.Checks)
	assert.Equal(t, web.Checks, web.Program().Checks)
}

func TestSeedDependsOnGunicorn(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	section := fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %s
environment = PYENV_ROOT="%s",PYENV_VERSION="3.11.7"
depends_on = %%s
[program:worker]
command = /bin/true
depends_on = web
[program:db]
command = /bin/true
`, f.app, f.root)
	cfg, _, err := f.load(t, fmt.Sprintf(section, "worker"))
	require.NoError(t, err)
	err = checkExtras(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "depends_on makes a cycle: web -> worker -> web in section 'gunicorn:web'")
	cfg, _, err = f.load(t, fmt.Sprintf(section, "other"))
	require.NoError(t, err)
	assert.ErrorContains(t, checkExtras(cfg), "depends_on names unknown program other in section 'gunicorn:web'")
	cfg, _, err = f.load(t, fmt.Sprintf(section, "db"))
	require.NoError(t, err)
	assert.NoError(t, checkExtras(cfg))
}
