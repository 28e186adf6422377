package pyapp

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// A [gunicorn:x] holds its binds unless sockets= says otherwise; gunicorn keeps its --bind.
func TestGunicornSocketsByDefault(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	l, err := f.load(t, fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = 0.0.0.0:8123 [::1]:8124 unix:web.sock

[gunicorn:dflt]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"

[gunicorn:own]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = 127.0.0.1:8125
sockets = tcp://127.0.0.1:8126

[gunicorn:off]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = 127.0.0.1:8127
sockets =
restart_mode = stop-start

[gunicorn:fd]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s",PYENV_VERSION="3.11.7"
bind = fd://5
`, f.app, f.root))
	require.NoError(t, err)
	web, _, ok := l.program("web")
	require.True(t, ok)
	assert.Equal(t, []supervise.Socket{{Network: "tcp", Address: "0.0.0.0:8123"}, {Network: "tcp", Address: "[::1]:8124"},
		{Network: "unix", Address: filepath.Join(f.app, "web.sock")}}, web.Sockets)
	assert.Contains(t, strings.Join(argv(web), " "), "0.0.0.0:8123", "gunicorn still names what it serves")
	dflt, _, ok := l.program("dflt")
	require.True(t, ok)
	assert.Equal(t, []supervise.Socket{{Network: "tcp", Address: "127.0.0.1:8000"}}, dflt.Sockets)
	own, _, ok := l.program("own")
	require.True(t, ok)
	assert.Equal(t, []supervise.Socket{{Network: "tcp", Address: "127.0.0.1:8126"}}, own.Sockets)
	off, _, ok := l.program("off")
	require.True(t, ok)
	assert.Nil(t, off.Sockets)
	assert.Equal(t, supervise.RestartStopStart, off.RestartMode)
	assert.Equal(t, supervise.RestartOverlap, web.RestartMode, "a [gunicorn:x] restart overlaps by default")
	fd, _, ok := l.program("fd")
	require.True(t, ok)
	assert.Nil(t, fd.Sockets, "an inherited fd bind holds nothing")
}
