package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The FastCGI test runs one [fcgi-program:x] config (a pool of Debian's php-cgi on a unix
// socket and one on a TCP socket) under our daemon and the real supervisord 4.2.5, sends
// requests with cgi-fcgi (libfcgi-bin), and compares what can be observed: status lines,
// the socket file's mode and owner, what a request returns, and the socket's life (its
// "Creating socket"/"Closing socket" lines, its file and whether it answers) across stop,
// start, remove and add.

const fcgiBody = `
[fcgi-program:php]
command={phpcgi}
socket=unix://{dir}/%(program_name)s.sock
socket_mode=0660
socket_backlog=16
numprocs=2
process_name=%(program_name)s_%(process_num)02d
environment=PHP_FCGI_CHILDREN=0
startsecs=1

[fcgi-program:tcp]
command={phpcgi}
socket=tcp://127.0.0.1:{port}
environment=PHP_FCGI_CHILDREN=2
startsecs=1
`

const fcgiScript = `<?php echo "hello from ", getenv("SUPERVISOR_PROCESS_NAME"), " in ", getenv("SUPERVISOR_GROUP_NAME"), " method ", $_SERVER["REQUEST_METHOD"], "\n";
`

// fcgiRequest sends one GET for script through cgi-fcgi to addr (a socket path or
// host:port) and returns its output with the process name hidden, or "refused".
func fcgiRequest(t *testing.T, cgifcgi, script, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cgifcgi, "-bind", "-connect", addr)
	cmd.Env = []string{"SCRIPT_FILENAME=" + script, "REQUEST_METHOD=GET", "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Could not connect") {
			return "refused"
		}
		t.Fatalf("cgi-fcgi %s: %v\n%s", addr, err, out)
	}
	return fcgiProc.ReplaceAllString(strings.ReplaceAll(string(out), "\r\n", "\n"), "${1}_NN")
}

var fcgiProc = regexp.MustCompile(`(php)_0[01]`)

// fcgiSocket describes the socket file at path: type, mode and owner, or "absent".
func fcgiSocket(path string) string {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return "absent"
	}
	fi, _ := os.Lstat(path)
	return fmt.Sprintf("%v uid=%d gid=%d", fi.Mode(), st.Uid, st.Gid)
}

// fcgiSocketLines are the "Creating socket"/"Closing socket" lines of a main log, with the
// directory replaced by $DIR and the port by $PORT: the unix socket's, then the TCP socket's
// (groups start in parallel in our daemon, so only each socket's own order is compared).
func fcgiSocketLines(d *dtDaemon, port string) []string {
	var out, tcp []string
	for _, l := range strings.Split(d.log(), "\n") {
		if i := strings.Index(l, " INFO Creating socket "); i >= 0 {
			l = l[i+len(" INFO "):]
		} else if i := strings.Index(l, " INFO Closing socket "); i >= 0 {
			l = l[i+len(" INFO "):]
		} else {
			continue
		}
		l = strings.NewReplacer(d.dir, "$DIR", port, "$PORT").Replace(l)
		if strings.Contains(l, "tcp://") {
			tcp = append(tcp, l)
		} else {
			out = append(out, l)
		}
	}
	return append(out, tcp...)
}

func TestFastCGIDifferential(t *testing.T) {
	phpcgi := testenv.LookPath(t, "php-cgi", "php-cgi")
	cgifcgi := testenv.LookPath(t, "cgi-fcgi", "libfcgi-bin")
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	lite, real := dtPair(t, "")
	ports := map[*dtDaemon]string{}
	for _, d := range []*dtDaemon{lite, real} {
		if d == nil {
			continue
		}
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		ports[d] = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		require.NoError(t, os.WriteFile(filepath.Join(d.dir, "index.php"), []byte(fcgiScript), 0o644))
		body := fcgiBody
		if os.Getuid() == 0 { // only root can give the socket file away
			body = strings.Replace(body, "socket_mode=0660\n", "socket_mode=0660\nsocket_owner=nobody:nogroup\n", 1)
		}
		d.write(t, strings.NewReplacer("{phpcgi}", phpcgi, "{dir}", d.dir, "{port}", ports[d]).Replace(body))
	}
	var mu sync.Mutex // the daemons run in parallel subtests
	transcripts := map[string][]string{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		var tr []string
		note := func(what, v string) {
			tr = append(tr, what+": "+strings.TrimSpace(strings.ReplaceAll(v, d.dir, "$DIR")))
		}
		sock := filepath.Join(d.dir, "php.sock")
		script := filepath.Join(d.dir, "index.php")
		tcp := "127.0.0.1:" + ports[d]
		status := func() string {
			out, _ := d.ctl(t, supervisorctl, "status")
			return reUptime.ReplaceAllLiteralString(out, "pid $PID, uptime $UPTIME")
		}
		d.start(t)
		c := d.client(t)
		st := d.waitFor(t, c, "all RUNNING", allRunning("php:php_00", "php:php_01", "tcp"))
		// the tcp pool's php-cgi forks two workers: every process of the tree must end with
		// the daemon
		var kids []int
		for deadline := time.Now().Add(20 * time.Second); len(kids) < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			kids, _ = proctree.Descendants(int(st["tcp"].pid))
		}
		require.Len(t, kids, 2, "%s: php-cgi workers of the tcp pool", d.name)
		for _, k := range kids {
			d.pids[int32(k)] = true
		}
		note("status", status())
		note("socket file", fcgiSocket(sock))
		note("unix request", fcgiRequest(t, cgifcgi, script, sock))
		note("tcp request", fcgiRequest(t, cgifcgi, script, tcp))
		stdinErr := c.SendProcessStdin(context.Background(), "php:php_00", "x")
		note("sendProcessStdin", fmt.Sprint(stdinErr))

		out, _ := d.ctl(t, supervisorctl, "stop", "php:php_00")
		note("stop one", out)
		note("unix request, one left", fcgiRequest(t, cgifcgi, script, sock))
		out, _ = d.ctl(t, supervisorctl, "stop", "php:*")
		note("stop all", out)
		note("socket file after stop", fcgiSocket(sock))
		note("unix request after stop", fcgiRequest(t, cgifcgi, script, sock))
		out, _ = d.ctl(t, supervisorctl, "start", "php:*")
		note("start", out)
		note("unix request after start", fcgiRequest(t, cgifcgi, script, sock))

		out, _ = d.ctl(t, supervisorctl, "stop", "php:*")
		note("stop before remove", out)
		out, _ = d.ctl(t, supervisorctl, "remove", "php")
		note("remove", out)
		note("socket file after remove", fcgiSocket(sock))
		note("status after remove", status())
		out, _ = d.ctl(t, supervisorctl, "add", "php")
		note("add", out)
		d.waitFor(t, c, "php RUNNING again", allRunning("php:php_00", "php:php_01"))
		note("unix request after add", fcgiRequest(t, cgifcgi, script, sock))

		out, _ = d.ctl(t, supervisorctl, "shutdown")
		note("shutdown", out)
		d.waitExit(t)
		note("socket file after shutdown", fcgiSocket(sock))
		note("unix request after shutdown", fcgiRequest(t, cgifcgi, script, sock))
		note("tcp request after shutdown", fcgiRequest(t, cgifcgi, script, tcp))
		note("socket log lines", strings.Join(fcgiSocketLines(d, ports[d]), "\n"))
		mu.Lock()
		transcripts[d.name] = tr
		mu.Unlock()
	}, lite, real)

	got := strings.Join(transcripts["lite"], "\n")
	t.Logf("lite transcript:\n%s", got)
	// What must hold whatever supervisord does (the daemons' cleanup checks that no process
	// of either tree, the php-cgi workers included, outlived its daemon).
	assert.Contains(t, got, "unix request: Content-type: text/html; charset=UTF-8\n\nhello from php_NN in php method GET")
	assert.Contains(t, got, "tcp request: Content-type: text/html; charset=UTF-8\n\nhello from tcp in tcp method GET")
	assert.Contains(t, got, "socket file: Srw-rw----")
	assert.Contains(t, got, "unix request after stop: refused")
	assert.Contains(t, got, "unix request after shutdown: refused")
	assert.Contains(t, got, "tcp request after shutdown: refused")
	if real != nil {
		assert.Equal(t, transcripts["real"], transcripts["lite"])
	}
}

// TestFastCGIConfigErrors compares how both daemons refuse a bad [fcgi-program:x]: exit
// status and the first line of stderr (supervisord's message; ours then lists every problem
// with its line).
func TestFastCGIConfigErrors(t *testing.T) {
	supervisord := testenv.LookPath(t, "supervisord", "supervisor")
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "logs"), 0o755))
	for name, section := range map[string]string{
		"relative unix path": "socket=unix://relative.sock",
		"unknown scheme":     "socket=udp://127.0.0.1:9000",
		"tcp without port":   "socket=tcp://127.0.0.1",
		"mode on tcp":        "socket=tcp://127.0.0.1:9000\nsocket_mode=0600",
		"owner on tcp":       "socket=tcp://127.0.0.1:9000\nsocket_owner=root",
		"bad mode":           "socket=unix:///tmp/x.sock\nsocket_mode=rw",
		"bad owner":          "socket=unix:///tmp/x.sock\nsocket_owner=no-such-user-here",
		"backlog zero":       "socket=unix:///tmp/x.sock\nsocket_backlog=0",
		"backlog not int":    "socket=unix:///tmp/x.sock\nsocket_backlog=many",
		"no socket":          "socket_mode=0600",
		"empty socket":       "socket=",
	} {
		name, section := name, section
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".conf")
			require.NoError(t, os.WriteFile(conf, []byte(dtConfig(dir, "\n[fcgi-program:f]\ncommand=/bin/cat\n"+section+"\n")), 0o644))
			_, le, lrc := dtRun(t, dir, slBin, "-n", "-c", conf)
			_, re, rrc := dtRun(t, dir, supervisord, "-n", "-c", conf)
			assert.Equal(t, 2, rrc, "real supervisord refuses it: %s", re)
			assert.Equal(t, rrc, lrc, "status")
			rl := strings.SplitN(re, "\n", 2)
			ll := strings.SplitN(le, "\n", 2)
			assert.Equal(t, rl[0], ll[0], "first stderr line")
		})
	}
}
