package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestDaemonBeyondOptions runs the daemon with ready, depends_on and environment_file (read with
// pipenv's .env rules): app starts only once db answers HTTP, and gets the file's variables
// under its own environment=.
func TestDaemonBeyondOptions(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(testenv.FreePort(t))
	d := newDT(t, "lite", slBin, "")
	require.NoError(t, os.WriteFile(filepath.Join(d.dir, ".env"),
		[]byte("# app settings\nexport A='quoted ${HOME_DIR:-here}'\nB=from-file\n"), 0o600))
	d.write(t, fmt.Sprintf(`
[program:app]
command=/bin/sh -c 'echo "A=$A B=$B"; exec sleep 1000'
environment_file=%%(here)s/.env
environment=B="env"
depends_on=db
startsecs=0
priority=1
stdout_logfile=%%(here)s/app.log
stdout_logfile_timestamps=true
stdout_logfile_rotate=daily
stdout_logfile_compress=true

[program:db]
command=/usr/bin/python3 -m http.server %s --bind 127.0.0.1
ready=http://127.0.0.1:%s/
ready_timeout=30
stdout_logfile=NONE
stderr_logfile=NONE
`, port, port))
	d.start(t)
	c := d.client(t)
	d.waitFor(t, c, "both RUNNING", allRunning("app", "db"))
	ok := seedPoll(10*time.Second, 20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(filepath.Join(d.dir, "app.log"))
		return strings.Contains(string(b), "A=quoted here B=env")
	})
	b, _ := os.ReadFile(filepath.Join(d.dir, "app.log"))
	assert.True(t, ok, "app.log: %q", b)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} A=quoted here B=env\n$`, string(b), "stdout_logfile_timestamps")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tail, err := c.Call(ctx, "supervisor.readProcessStdoutLog", "app", 0, 1000)
	require.NoError(t, err)
	assert.Equal(t, string(b), tail, "tail over XML-RPC reads the stamped file")
	log := d.log()
	ready := strings.Index(log, "success: db entered RUNNING state, process is ready (http://127.0.0.1:"+port+"/)")
	spawned := strings.Index(log, "spawned: 'app'")
	require.True(t, ready > 0 && spawned > 0, log)
	assert.Less(t, ready, spawned, "app (priority 1) waited for db:\n%s", log)
	assert.Contains(t, log, "waiting: app starts when db are RUNNING (depends_on)")
}
