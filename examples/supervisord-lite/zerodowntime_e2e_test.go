package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// zdtConfig is a [program:web] running Debian's gunicorn 20.1 as [gunicorn:x] would (notify
// readiness, group stop and cleanup), with held sockets and overlap for supervisord-lite
// (keys supervisord ignores).
func zdtConfig(t *testing.T, gunicorn, addr string, graceful int) string {
	app := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(app, "app.py"), []byte(
		"def app(environ, start_response):\n"+
			"    start_response('200 OK', [('Content-Type', 'text/plain')])\n"+
			"    return [b'ok\\n']\n"), 0o644))
	return fmt.Sprintf(`
[program:web]
command=%s --bind %s --workers 2 --graceful-timeout %d app:app
directory=%s
stopasgroup=true
killasgroup=true
stopwaitsecs=10
startsecs=2
autorestart=true
ready=notify
cleanup_group=true
sockets=tcp://%s
restart_mode=overlap
stdout_logfile=NONE
stderr_logfile=%%(here)s/web.err
`, gunicorn, addr, graceful, app, addr)
}

// TestZeroDowntimeGunicorn measures requests failed under the load of 4 clients while gunicorn
// is replaced: `ctl deploy`, `ctl update` after a change of its command and a kill -9 of the
// master lose none with the daemon holding the socket; `restart` (stop-then-start over XML-RPC, as supervisorctl's) and Debian's supervisord
// are measured beside them and logged (the README's figures).
func TestZeroDowntimeGunicorn(t *testing.T) {
	testenv.Short(t)
	gunicorn := testenv.LookPath(t, "gunicorn", "gunicorn")
	addrLite, addrReal := testenv.FreeAddr(t), testenv.FreeAddr(t)
	lite := newDT(t, "lite", slBin, zdtConfig(t, gunicorn, addrLite, 5))
	var real *dtDaemon // Debian's supervisord, when installed (required with E2E=1)
	if _, r := dtPair(t, ""); r != nil {
		real = newDT(t, "real", r.bin, zdtConfig(t, gunicorn, addrReal, 5))
	}

	type figure struct {
		daemon, action string
		served         int
		failed         []error
	}
	var figures []figure
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	run := func(d *dtDaemon, addr, action string, do func(c *rpc.Client, pid int)) figure {
		c := d.client(t)
		st := d.waitFor(t, c, "web RUNNING", allRunning("web"))
		pid := int(st["web"].pid)
		l := testenv.StartLoad("http://"+addr+"/", client, 4)
		l.WaitServed(t, 100)
		do(c, pid)
		d.waitFor(t, c, "a new web RUNNING", func(st map[string]procState) bool {
			return st["web"].state == "RUNNING" && int(st["web"].pid) != pid
		})
		l.WaitServed(t, 100)
		served, failed := l.End()
		f := figure{d.name, action, served, failed}
		t.Logf("%s %s: %d of %d requests failed %v", d.name, action, len(failed), served+len(failed), summary(failed))
		figures = append(figures, f)
		return f
	}
	ctl := func(d *dtDaemon, args ...string) {
		var argv []string
		if d.name == "lite" {
			argv = append([]string{d.bin, "ctl", "-c", d.conf}, args...)
		} else {
			argv = append([]string{testenv.LookPath(t, "supervisorctl", "supervisor"), "-c", d.conf}, args...)
		}
		out, errOut, rc := dtRun(t, d.dir, argv...)
		require.Equal(t, 0, rc, "%q: %s%s", argv, out, errOut)
		t.Logf("%s: %s", strings.Join(args, " "), strings.TrimSpace(out))
	}
	kill9 := func(_ *rpc.Client, pid int) { require.NoError(t, syscall.Kill(pid, syscall.SIGKILL)) }

	lite.start(t)
	deploy := run(lite, addrLite, "ctl deploy", func(*rpc.Client, int) { ctl(lite, "deploy", "web") })
	assert.Empty(t, deploy.failed, "deploy with overlap loses no request")
	killed := run(lite, addrLite, "kill -9 master", kill9)
	assert.Empty(t, killed.failed, "with the socket held, requests made while the new master starts wait")
	updated := run(lite, addrLite, "ctl update (changed command)", func(*rpc.Client, int) {
		lite.write(t, zdtConfig(t, gunicorn, addrLite, 6))
		ctl(lite, "update")
	})
	assert.Empty(t, updated.failed, "an update that needs a new master overlaps")
	assert.Contains(t, lite.log(), "overlap: 'web' pid", "the update started the new master first")
	out, _, rc := dtRun(t, lite.dir, lite.bin, "ctl", "-c", lite.conf, "deploy", "nosuch")
	assert.Equal(t, "nosuch: ERROR (no such process)\n", out)
	assert.NotEqual(t, 0, rc)
	restarted := run(lite, addrLite, "ctl restart", func(*rpc.Client, int) { ctl(lite, "restart", "web") })
	assert.Empty(t, restarted.failed, "stop-then-start: requests wait in the backlog of the held socket")
	if real != nil {
		real.start(t)
		run(real, addrReal, "supervisorctl restart", func(*rpc.Client, int) { ctl(real, "restart", "web") })
		run(real, addrReal, "kill -9 master", kill9)
		out, _, rc := dtRun(t, real.dir, lite.bin, "ctl", "-c", real.conf, "deploy", "web")
		assert.Equal(t, "ERROR: this server has no supervisord_lite.deployProcess (supervisord has no deploy)\n", out)
		assert.NotEqual(t, 0, rc)
	}
	require.NotEmpty(t, figures)
}

// summary counts the failures by their text after the last ": ".
func summary(failed []error) map[string]int {
	out := map[string]int{}
	for _, err := range failed {
		f := err.Error()
		out[f[strings.LastIndex(f, ": ")+2:]]++
	}
	return out
}
