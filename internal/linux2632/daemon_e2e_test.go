package linux2632

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// DaemonEnv names the daemon binary (built with Go 1.23 by `make centos6`) that
// TestDaemonUnder2632 runs; `make test-2632` sets it.
const DaemonEnv = "LINUX2632_DAEMON"

// e2eDaemon is the daemon under test in its own directory.
type e2eDaemon struct {
	bin, dir, conf, mark string
	cmd                  *exec.Cmd
	out                  strings.Builder
	exited               chan error
}

func (d *e2eDaemon) start(t *testing.T, minfds int) {
	t.Helper()
	conf := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/d.log
pidfile=%[1]s/d.pid
childlogdir=%[1]s
minfds=%[2]d
minprocs=300
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/s.sock

[program:crash]
command=/bin/false
startsecs=1
startretries=1

[program:escaper]
command=/bin/sh -c 'setsid /bin/sleep 1001 & exec /bin/sleep 1000'
environment=E2E_MARK="%[3]s"
stopwaitsecs=5
`, d.dir, minfds, d.mark)
	require.NoError(t, os.WriteFile(d.conf, []byte(conf), 0o600))
	os.Remove(filepath.Join(d.dir, "d.log"))
	d.out.Reset()
	// The shell (Debian's, above 4 GiB) sets CentOS 6's default of 1024 file descriptors,
	// soft and hard, and 150 processes soft; the daemon it execs inherits the filter.
	d.cmd = exec.Command("/bin/bash", "-c", `ulimit -n 1024 && ulimit -S -u 150 && exec "$0" -n -c "$1"`, d.bin, d.conf)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	require.NoError(t, d.cmd.Start())
	d.exited = make(chan error, 1)
	go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(d.cmd, d.exited)
}

func (d *e2eDaemon) ctl(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := exec.Command(d.bin, append([]string{"ctl", "-c", d.conf}, args...)...).CombinedOutput()
	return string(out)
}

func (d *e2eDaemon) log(t *testing.T) string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "d.log"))
	return string(b)
}

// marked returns the escaper's processes (found by E2E_MARK in their environment).
func (d *e2eDaemon) marked(t *testing.T) []proctree.Marked {
	t.Helper()
	ms, err := proctree.FindByEnv("E2E_MARK="+d.mark, "SUPERVISOR_PROCESS_NAME")
	require.NoError(t, err)
	return ms
}

// escaped waits until the escaper runs with its grandchild in a session of its own, and
// returns both.
func (d *e2eDaemon) escaped(t *testing.T) []proctree.Marked {
	t.Helper()
	var ms []proctree.Marked
	require.Eventually(t, func() bool {
		ms = d.marked(t)
		return len(ms) == 2 && ms[0].Pgid != ms[1].Pgid
	}, 30*time.Second, 20*time.Millisecond, "escaper and its setsid grandchild; daemon output:\n%s", &d.out)
	return ms
}

func gone(t *testing.T, ms []proctree.Marked, when string) {
	t.Helper()
	for _, m := range ms {
		ok := assert.Eventually(t, func() bool { return !m.Alive() }, 30*time.Second, 20*time.Millisecond,
			"pid %d (%s) outlived %s", m.Pid, m.Env["SUPERVISOR_PROCESS_NAME"], when)
		if !ok {
			syscall.Kill(m.Pid, syscall.SIGKILL)
		}
	}
}

// limit reads one row of /proc/PID/limits ("Max open files") as "soft/hard".
func limit(t *testing.T, pid int, row string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + row + `\s+(\S+)\s+(\S+)`).FindStringSubmatch(string(b))
	require.NotNil(t, m, "%s in /proc/%d/limits", row, pid)
	return m[1] + "/" + m[2]
}

// The Go 1.23 daemon under the 2.6.32 profile: minfds and minprocs applied from `ulimit -n
// 1024` (getrlimit/setrlimit, not prlimit64), the missing subreaper logged once and shown by
// `ctl ps`, a crash loop that ends FATAL, and a grandchild that left its program's group
// (setsid) ended when the program stops and when the daemon shuts down, found by the token in
// its environment since no subreaper adopts it.
func TestDaemonUnder2632(t *testing.T) {
	if !Expected() {
		t.Skip("runs under the 2.6.32 profile only: make test-2632")
	}
	bin := os.Getenv(DaemonEnv)
	if bin == "" {
		testenv.Missing(t, DaemonEnv+" (the daemon built by `make centos6`)")
	}
	testenv.LookPath(t, "setsid", "util-linux")
	d := &e2eDaemon{bin: bin, dir: t.TempDir(), mark: strconv.FormatInt(time.Now().UnixNano(), 36)}
	d.conf = filepath.Join(d.dir, "supervisord.conf")
	t.Cleanup(func() {
		if d.cmd != nil && d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
		for _, m := range d.marked(t) {
			syscall.Kill(m.Pid, syscall.SIGKILL)
		}
	})

	minfds := 4096
	if !testenv.CanRaiseHardLimits(t) {
		// The hard limit of 1024 cannot be raised: the daemon refuses to start with
		// supervisord's message, which shows that it read the limit; then 1024 it is.
		d.start(t, minfds)
		select {
		case err := <-d.exited:
			require.Error(t, err, "minfds above a hard limit that cannot be raised")
		case <-time.After(30 * time.Second):
			t.Fatalf("the daemon did not refuse minfds=4096 with a hard limit of 1024:\n%s", &d.out)
		}
		assert.Contains(t, d.out.String(), "The minimum number of file descriptors required to run this process is 4096")
		assert.Contains(t, d.out.String(), "The current environment will only allow you to open 1024 file descriptors")
		minfds = 1024
	}
	d.start(t, minfds)
	ms := d.escaped(t)
	pid := d.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	require.Contains(t, string(status), "\nSeccomp:\t2\n", "the daemon runs under the filter")
	want := fmt.Sprintf("%d/%d", minfds, minfds)
	assert.Equal(t, want, limit(t, pid, "Max open files"), "minfds")
	assert.True(t, strings.HasPrefix(limit(t, pid, "Max processes"), "300/"), "minprocs raised the soft limit from 150")
	for _, m := range ms {
		assert.Equal(t, want, limit(t, m.Pid, "Max open files"), "children inherit minfds")
	}

	require.Eventually(t, func() bool { return strings.Contains(d.ctl(t, "status", "crash"), "FATAL") },
		60*time.Second, 100*time.Millisecond, "crash loop to FATAL; log:\n%s", d.log(t))

	ps := d.ctl(t, "ps")
	assert.Contains(t, ps, "kernel: PR_SET_CHILD_SUBREAPER (Linux 3.4) missing: ")
	assert.Contains(t, ps, "kernel: F_SETPIPE_SZ (Linux 2.6.35) missing: ")

	assert.Contains(t, d.ctl(t, "stop", "escaper"), "escaper: stopped")
	gone(t, ms, "its program's stop")
	assert.Eventually(t, func() bool {
		return strings.Contains(d.log(t), "WARN stopped: escaper left 1 processes outside its process group")
	}, 30*time.Second, 50*time.Millisecond, "log:\n%s", d.log(t))

	assert.Contains(t, d.ctl(t, "start", "escaper"), "escaper: started")
	ms = d.escaped(t)
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("the daemon did not shut down; log:\n%s", d.log(t))
	}
	gone(t, ms, "the daemon's shutdown")
	log := d.log(t)
	assert.Equal(t, 1, strings.Count(log, "WARN kernel: PR_SET_CHILD_SUBREAPER (Linux 3.4) missing: "), "one WARN; log:\n%s", log)
	assert.Equal(t, 1, strings.Count(log, "WARN kernel: F_SETPIPE_SZ (Linux 2.6.35) missing: "))
}
