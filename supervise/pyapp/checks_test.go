package pyapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
)

func TestGunicornChecksByDefault(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	l, err := f.load(t, fmt.Sprintf(`
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
	web, _, ok := l.program("web")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{Ready: "notify", HealthURL: "http://127.0.0.1:8123/", HealthAnyStatus: true}, web.Checks)
	own, _, ok := l.program("own")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{Ready: "tcp://127.0.0.1:9", HealthCommand: "true", HealthInterval: 30 * time.Second}, own.Checks)
	off, _, ok := l.program("off")
	require.True(t, ok)
	assert.Equal(t, supervise.Checks{}, off.Checks)
}

// depends_on may name a [gunicorn:x] group; the daemon checks names and cycles again once the
// section kinds' groups exist, at the line of the value.
func TestDependsOnGunicorn(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	dir := filepath.Dir(f.app)
	section := fmt.Sprintf(`[supervisord]
logfile=%[3]s/l
pidfile=%[3]s/p
[gunicorn:web]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
depends_on = %%s
[program:worker]
command = /bin/true
depends_on = web
[program:db]
command = /bin/true
`, f.app, f.root, dir)
	path := filepath.Join(dir, "supervisord.conf")
	for dep, want := range map[string]string{
		"worker": "depends_on makes a cycle: worker -> web -> worker in section 'program:worker' (file: '" + path + "') at line 11",
		"other":  "depends_on names unknown program other in section 'gunicorn:web' (file: '" + path + "') at line 8",
	} {
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(section, dep)), 0o644))
		err := daemon.New(daemon.Options{ConfigFile: path, Sections: []daemon.SectionKind{Sections{}},
			Environ: []string{"PATH=/usr/bin:/bin"}, Signals: make(chan os.Signal)}).Serve(context.Background())
		var se *daemon.StartError
		require.True(t, errors.As(err, &se), "%s: %v", dep, err)
		assert.Contains(t, err.Error(), want, dep)
	}
}
