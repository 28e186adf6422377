package conf

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestSocketsOption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
[program:web]
command=/bin/sleep 1
numprocs=2
process_name=web%(process_num)d
sockets = tcp://127.0.0.1:80%(process_num)02d, tcp://[::1]:9000,
  unix:///run/web%(process_num)d.sock
restart_mode = overlap

[program:plain]
command=/bin/sleep 1
`), Options{Environ: []string{}})
	require.NoError(t, err)
	progs := map[string]supervise.Program{}
	for _, g := range cfg.SuperviseGroups() {
		for _, p := range g.Programs {
			progs[p.Name] = p
		}
	}
	assert.Equal(t, []supervise.Socket{{Network: "tcp", Address: "127.0.0.1:8001"}, {Network: "tcp", Address: "[::1]:9000"},
		{Network: "unix", Address: "/run/web1.sock"}}, progs["web1"].Sockets)
	assert.Equal(t, "tcp://127.0.0.1:8000", progs["web0"].Sockets[0].URL())
	assert.Nil(t, progs["plain"].Sockets, "nothing for a program that does not opt in")
	assert.Equal(t, supervise.RestartOverlap, progs["web0"].RestartMode)
	assert.Equal(t, supervise.RestartStopStart, progs["plain"].RestartMode)
	for _, p := range progs {
		assert.NoError(t, p.Validate())
	}
}

func TestSocketsOptionErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	_, err := LoadData(path, []byte(`[supervisord]
[program:web]
command=/bin/sleep 1
sockets = tcp://127.0.0.1:8000, 127.0.0.1:8001, unix://rel.sock
restart_mode = rolling
`), Options{Environ: []string{}})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `sockets: socket "127.0.0.1:8001": not tcp://HOST:PORT or unix:///PATH`)
	assert.Contains(t, msg, `sockets: socket "unix://rel.sock": a unix socket needs an absolute path`)
	assert.Contains(t, msg, "section 'program:web' (file: '"+path+"') at line 4")
	assert.Contains(t, msg, `restart_mode: "rolling" is not stop-start or overlap in section 'program:web' (file: '`+path+`') at line 5`)
}
