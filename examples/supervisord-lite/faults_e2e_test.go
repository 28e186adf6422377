package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Fault injection: the daemon killed with SIGKILL at 20 chosen moments (start-up, reload,
// log rotation, a crash storm, shutdown, its own recovery), each time restarted with the same
// config. After each restart, read from /proc: every process of the test (marked by an
// environment variable) carries the new daemon's token (no orphan of an earlier daemon), each
// program's processes all descend from the one main process the daemon reports (no
// duplicate), and the state file names those main processes (state recovered).

// faultsBody is the config: process trees, an escapee (its own session), a chatty writer
// that rotates constantly, a crash loop and a program that ignores SIGTERM.
func faultsBody(dir string) string {
	env := fmt.Sprintf("environment=FAULTS_MARK=%q\n", dir)
	return `
[program:tree]
command=/bin/sh -c '/bin/sleep 1000 & exec /bin/sleep 1000'
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
` + env + `
[program:escape]
command=/bin/sh -c '/usr/bin/setsid /bin/sleep 1000 & exec /bin/sleep 1000'
startsecs=0
` + env + `
[program:chatty]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "line $i ........................................"; [ $((i %% 40)) = 0 ] && sleep 0.02; done'
stdout_logfile=` + dir + `/logs/chatty.log
stdout_logfile_maxbytes=4KB
stdout_logfile_backups=2
startsecs=0
` + env + `
[program:crash]
command=/bin/sh -c '/bin/sleep 0.05; exit 3'
autorestart=true
startsecs=0
startretries=100000
` + env + `
[program:stubborn]
command=/bin/sh -c 'trap "" TERM; exec /bin/sleep 1000'
stopwaitsecs=1
startsecs=0
` + env
}

// faultsStable are the programs that run until stopped: each must have exactly one tree.
var faultsStable = []string{"tree:tree_0", "tree:tree_1", "escape", "chatty", "stubborn"}

// markedProcs lists the live processes whose environment has FAULTS_MARK=dir, by pid.
func markedProcs(t *testing.T, dir string) map[int]proctree.Marked {
	found, err := proctree.FindByEnv("FAULTS_MARK="+dir, "SUPERVISOR_PROCESS_NAME", supervise.TokenEnv)
	require.NoError(t, err)
	out := map[int]proctree.Marked{}
	for _, m := range found {
		out[m.Pid] = m
	}
	return out
}

// cmdline is pid's command line, for messages.
func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strconv.Quote(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})))
}

// stateToken reads the token of the daemon's state file ("" while there is none).
func stateToken(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var doc struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	return doc.Token
}

// faultRun is the chain of daemons on one directory.
type faultRun struct {
	t   *testing.T
	d   *dtDaemon
	off int // length of the main log when the current daemon started
}

func (r *faultRun) start() {
	r.off = len(r.d.log())
	r.d.start(r.t)
}

// seg is the main log written since the current daemon started.
func (r *faultRun) seg() string {
	l := r.d.log()
	if len(l) < r.off {
		return l
	}
	return l[r.off:]
}

// until waits (polling every 2 ms, at most 20 s) until s occurs n times in the current
// daemon's log.
func (r *faultRun) until(s string, n int) {
	r.t.Helper()
	ok := testenv.Poll(20*time.Second, func() bool { return strings.Count(r.seg(), s) >= n })
	require.Truef(r.t, ok, "the log never said %q %d times:\n%s", s, n, r.seg())
}

// kill sends SIGKILL to the daemon and waits until it is reaped. A daemon that has already
// exited (a shutdown moment that completed before the kill) is fine: the restart after it
// is checked the same way.
func (r *faultRun) kill() {
	r.t.Helper()
	if err := r.d.cmd.Process.Signal(syscall.SIGKILL); !errors.Is(err, os.ErrProcessDone) {
		require.NoError(r.t, err)
	}
	select {
	case <-r.d.done:
	case <-time.After(10 * time.Second):
		require.FailNow(r.t, "the daemon survived SIGKILL")
	}
}

// signal sends sig to the daemon.
func (r *faultRun) signal(sig syscall.Signal) {
	require.NoError(r.t, r.d.cmd.Process.Signal(sig))
}

// settled waits until the daemon serves its stable programs RUNNING, and checks the process
// table: no orphan, one tree per program, and the state file naming each main process.
func (r *faultRun) settled(moment string) {
	t := r.t
	t.Helper()
	c := r.d.client(t)
	st := r.d.waitFor(t, c, moment+": stable programs RUNNING", allRunning(faultsStable...))
	statePath := filepath.Join(r.d.dir, "supervisord.children")
	var problems []string
	ok := testenv.Poll(15*time.Second, func() bool {
		problems = problems[:0]
		token := stateToken(statePath)
		if token == "" {
			problems = append(problems, "no token in the state file")
		}
		procs := markedProcs(t, r.d.dir)
		main := map[string]int{}
		for _, n := range faultsStable {
			main[n[strings.LastIndexByte(n, ':')+1:]] = int(st[n].pid)
		}
		for _, p := range procs {
			name := p.Env["SUPERVISOR_PROCESS_NAME"]
			if p.Env[supervise.TokenEnv] != token {
				problems = append(problems, fmt.Sprintf("orphan of an earlier daemon: pid %d (%s) %s", p.Pid, name, cmdline(p.Pid)))
				continue
			}
			m, stable := main[name]
			if !stable {
				continue
			}
			// p must be the main process or descend from it.
			q, hops := p, 0
			for q.Pid != m && hops < 10 {
				parent, ok := procs[q.Ppid]
				if !ok {
					break
				}
				q, hops = parent, hops+1
			}
			if q.Pid != m {
				problems = append(problems, fmt.Sprintf("duplicate: pid %d (%s) %s is not in the tree of %d", p.Pid, name, cmdline(p.Pid), m))
			}
		}
		recs, err := supervise.ReadStateFile(statePath)
		if err != nil {
			problems = append(problems, err.Error())
		}
		recorded := map[int]bool{}
		for _, rec := range recs {
			recorded[rec.Pid] = true
		}
		for n, m := range main {
			if !recorded[m] {
				problems = append(problems, fmt.Sprintf("state file lacks %s (pid %d)", n, m))
			}
			if _, ok := procs[m]; !ok {
				problems = append(problems, fmt.Sprintf("%s: pid %d not found", n, m))
			}
		}
		return len(problems) == 0
	})
	require.Truef(t, ok, "%s: %s\n%s", moment, strings.Join(problems, "\n"), r.seg())
}

// rotated waits until the chatty log's backup n is replaced by a rotation (its inode changes).
func (r *faultRun) rotated(n int) {
	r.t.Helper()
	name := filepath.Join(r.d.dir, "logs", fmt.Sprintf("chatty.log.%d", n))
	ino := func() uint64 {
		var st syscall.Stat_t
		if syscall.Stat(name, &st) != nil {
			return 0
		}
		return st.Ino
	}
	first := ino()
	ok := testenv.Poll(20*time.Second, func() bool { i := ino(); return i != 0 && i != first })
	require.Truef(r.t, ok, "%s never rotated", name)
}

func TestFaultsKill9(t *testing.T) {
	testenv.Short(t)
	d := newDT(t, "lite", slBin, "")
	d.write(t, faultsBody(d.dir))
	r := &faultRun{t: t, d: d}
	// restart: how a start-up moment's daemon is started: after a clean stop of the running
	// one, or after killing it (so that it has leftovers to recover); "" = the moment comes
	// while the running daemon serves.
	// signalled sends sig once everything runs, then waits until the log says text n times
	// (not at all for "").
	signalled := func(sig syscall.Signal, text string, n int) func() {
		return func() {
			r.until("success: stubborn", 1)
			r.signal(sig)
			if text != "" {
				r.until(text, n)
			}
		}
	}
	moments := []struct {
		name, restart string
		at            func()
	}{
		{"start-up: at once", "clean", func() {}},
		{"start-up: first spawn", "clean", func() { r.until("spawned: 'tree_0'", 1) }},
		{"start-up: escapee spawned", "clean", func() { r.until("spawned: 'escape'", 1) }},
		{"start-up: recovering leftovers", "crashed", func() { r.until("left running by a previous supervisor", 1) }},
		{"start-up: all running", "crashed", func() { r.until("success: stubborn entered RUNNING", 1) }},
		{"reload: at once", "", signalled(syscall.SIGHUP, "", 0)},
		{"reload: received", "", signalled(syscall.SIGHUP, "received SIGHUP", 1)},
		{"reload: stopping", "", signalled(syscall.SIGHUP, "stopped: tree_0", 1)},
		{"reload: respawning", "", signalled(syscall.SIGHUP, "spawned: 'tree_1'", 2)},
		{"reload: running again", "", signalled(syscall.SIGHUP, "success: chatty", 2)},
		{"rotation: first backup", "", func() { r.rotated(1) }},
		{"rotation: second backup", "", func() { r.rotated(2) }},
		{"rotation: reopen (SIGUSR2)", "", func() { r.rotated(1); r.signal(syscall.SIGUSR2) }},
		{"crash storm: 3 exits", "", func() { r.until("exited: crash", 3) }},
		{"crash storm: 10 exits", "", func() { r.until("exited: crash", 10) }},
		{"crash storm: 10th spawn", "", func() { r.until("spawned: 'crash'", 10) }},
		{"shutdown: at once", "", signalled(syscall.SIGTERM, "", 0)},
		{"shutdown: stopping", "", signalled(syscall.SIGTERM, "stopped: tree_", 1)},
		{"shutdown: killing the stubborn one", "", signalled(syscall.SIGTERM, "killing 'stubborn'", 1)},
		{"shutdown: SIGINT", "", signalled(syscall.SIGINT, "received SIGINT", 1)},
	}
	require.Len(t, moments, 20)
	r.start()
	r.settled("first start")
	for _, m := range moments {
		switch m.restart {
		case "clean":
			r.signal(syscall.SIGTERM)
			r.d.waitExit(t)
			r.start()
		case "crashed":
			r.kill()
			r.start()
		}
		m.at()
		r.kill()
		r.start()
		r.settled(m.name)
	}
	// A clean stop ends everything.
	r.signal(syscall.SIGTERM)
	r.d.waitExit(t)
	ok := testenv.Poll(10*time.Second, func() bool { return len(markedProcs(t, d.dir)) == 0 })
	require.Truef(t, ok, "left after the last stop: %v", markedProcs(t, d.dir))
}

// 1,000 idle or slow connections to the daemon's TCP port (loopback), with the daemon
// limited to 256 descriptors: other clients are still served, and once the flood is gone
// nothing of it is left open in the daemon.
func TestFaultsIdleConnectionFlood(t *testing.T) {
	testenv.Short(t)
	prlimit := testenv.LookPath(t, "prlimit", "util-linux")
	addr := testenv.FreeAddr(t)
	d := newDT(t, "lite", prlimit, "")
	d.write(t, fmt.Sprintf(`
[inet_http_server]
port=%s

[program:sleeper]
command=%s
startsecs=0
`, addr, dtSleeper))
	// minfds below the limit: supervisord refuses to start under its default 1024.
	conf, err := os.ReadFile(d.conf)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.conf, bytes.Replace(conf, []byte("[supervisord]\n"), []byte("[supervisord]\nminfds=64\n"), 1), 0o644))
	d.startArgs(t, []string{"--nofile=256:256", slBin, "-n", "-c", d.conf})
	c := d.client(t)
	d.waitFor(t, c, "sleeper RUNNING", allRunning("sleeper"))
	baseline := daemonFds(t, d.cmd.Process.Pid)

	var flood []net.Conn
	defer func() {
		for _, fc := range flood {
			fc.Close()
		}
	}()
	for i := 0; i < 1000; i++ {
		fc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err, "connection %d", i)
		flood = append(flood, fc)
		if i%2 == 1 { // slow: half a request, then nothing
			_, _ = fc.Write([]byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Le"))
		}
	}
	tcp, err := rpc.Dial("http://"+addr, "", "")
	require.NoError(t, err)
	defer tcp.Close()
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := tcp.GetAllProcessInfo(ctx)
		cancel()
		require.NoError(t, err, "call %d during the flood", i)
	}
	// The daemon says why it closed connections.
	require.Contains(t, d.log(), "out of file descriptors accepting a connection; closing the connections idle longest")
	for _, fc := range flood {
		fc.Close()
	}
	flood = nil
	ok := testenv.Poll(20*time.Second, func() bool { return daemonFds(t, d.cmd.Process.Pid) <= baseline+5 })
	require.Truef(t, ok, "the daemon holds %d descriptors after the flood, %d before", daemonFds(t, d.cmd.Process.Pid), baseline)
	_, err = c.GetAllProcessInfo(context.Background())
	require.NoError(t, err)
}

// daemonFds counts the open descriptors of pid.
func daemonFds(t *testing.T, pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	return len(ents)
}

// The daemon under a low descriptor limit (100; Go raises a soft limit to the hard one) with 40 programs of 5 descriptors each:
// the programs that find no descriptor fail with supervisord's spawn error naming them, the
// daemon keeps serving, and a start of everything
// of those that failed, once descriptors are free again (the others stopped), brings them to
// RUNNING.
func TestFaultsFdExhaustion(t *testing.T) {
	testenv.Short(t)
	prlimit := testenv.LookPath(t, "prlimit", "util-linux")
	d := newDT(t, "lite", prlimit, "")
	d.write(t, fmt.Sprintf(`
[program:p]
command=%s
process_name=%%(program_name)s_%%(process_num)02d
numprocs=40
startsecs=0
startretries=0
stdout_logfile=NONE
stderr_logfile=NONE
`, dtSleeper))
	conf, err := os.ReadFile(d.conf)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.conf, bytes.Replace(conf, []byte("[supervisord]\n"), []byte("[supervisord]\nminfds=64\n"), 1), 0o644))
	d.startArgs(t, []string{"--nofile=100:100", slBin, "-n", "-c", d.conf})
	var c *rpc.Client
	var st map[string]procState
	ok := testenv.Poll(30*time.Second, func() bool {
		if c == nil {
			var err error
			if c, err = rpc.Dial("unix://"+filepath.Join(d.dir, "s.sock"), "", ""); err != nil {
				c = nil
				return false
			}
		}
		var err error
		if st, err = d.states(c); err != nil || len(st) != 40 {
			return false
		}
		for _, p := range st {
			if p.state != "RUNNING" && p.state != "FATAL" {
				return false
			}
		}
		return true
	})
	require.Truef(t, ok, "the programs never settled in RUNNING or FATAL: %v\n%s", st, d.log())
	defer c.Close()
	infos, err := c.GetAllProcessInfo(context.Background())
	require.NoError(t, err)
	fatal := 0
	for _, in := range infos {
		if in.StateName != "FATAL" {
			continue
		}
		fatal++
		require.Equal(t, fmt.Sprintf("too many open files to spawn '%s'", in.Name), in.SpawnErr)
		require.Contains(t, d.log(), fmt.Sprintf("spawnerr: too many open files to spawn '%s'", in.Name))
	}
	require.NotZero(t, fatal, "some programs found no descriptor")
	require.NotContains(t, d.log(), "couldn't exec")

	// Free descriptors: stop the running ones, then start the ones that failed.
	var failed []string
	for _, in := range infos {
		if in.StateName == "FATAL" {
			failed = append(failed, in.Namespec())
		} else {
			require.NoError(t, c.StopProcess(context.Background(), in.Namespec()))
		}
	}
	for _, n := range failed {
		require.NoError(t, c.StartProcess(context.Background(), n), n)
	}
	d.waitFor(t, c, "the programs that failed RUNNING once descriptors are free", allRunning(failed...))
}

// Disk full under the whole daemon (main log, state file, pidfile, child logs with rotation on
// a 1 MiB tmpfs): the chatty child is never blocked (it keeps counting, in a file elsewhere),
// the daemon keeps answering and restarts a program, and once space is freed the child's log
// and the main log grow again.
func TestFaultsDiskFull(t *testing.T) {
	testenv.Short(t)
	d := newDT(t, "lite", slBin, "")
	if err := syscall.Mount("tmpfs", d.dir, "tmpfs", 0, "size=1m"); err != nil {
		testenv.Missing(t, "permission to mount a tmpfs (root): "+err.Error())
	}
	t.Cleanup(func() { syscall.Unmount(d.dir, syscall.MNT_DETACH) }) // after the daemon's finish
	require.NoError(t, os.MkdirAll(filepath.Join(d.dir, "logs"), 0o755))
	progress := filepath.Join(t.TempDir(), "progress")
	d.write(t, fmt.Sprintf(`
[program:chatty]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "line $i ........................................................"; [ $((i %%%% 50)) = 0 ] && echo $i > %s && sleep 0.01; done'
stdout_logfile=%s/logs/chatty.log
stdout_logfile_maxbytes=100KB
stdout_logfile_backups=2
startsecs=0

[program:other]
command=%s
startsecs=0
`, progress, d.dir, dtSleeper))
	d.start(t)
	c := d.client(t)
	d.waitFor(t, c, "RUNNING", allRunning("chatty", "other"))
	count := func() int {
		b, _ := os.ReadFile(progress)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	testenv.WaitFor(t, "the child counting", func() bool { return count() > 100 })

	// Fill the filesystem.
	filler, err := os.Create(filepath.Join(d.dir, "filler"))
	require.NoError(t, err)
	defer filler.Close()
	chunk := bytes.Repeat([]byte("f"), 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	mainSize := len(d.log())
	full := count()
	testenv.WaitFor(t, "the child counting 5,000 lines further while the disk is full", func() bool { return count() > full+5000 })
	_, err = c.GetAllProcessInfo(context.Background())
	require.NoError(t, err, "the daemon answers")
	require.NoError(t, c.StopProcess(context.Background(), "other"))
	require.NoError(t, c.StartProcess(context.Background(), "other"))
	d.waitFor(t, c, "RUNNING while full", allRunning("chatty", "other"))

	// Free the space: both logs grow again.
	require.NoError(t, filler.Close())
	require.NoError(t, os.Remove(filler.Name()))
	chatty := filepath.Join(d.dir, "logs", "chatty.log")
	var before int64
	if fi, err := os.Stat(chatty); err == nil {
		before = fi.Size()
	}
	testenv.WaitFor(t, "chatty.log written again", func() bool {
		fi, err := os.Stat(chatty)
		return err == nil && fi.Size() != before && fi.Size() > 0
	})
	require.NoError(t, c.StopProcess(context.Background(), "other"))
	testenv.WaitFor(t, "the main log written again", func() bool {
		return len(d.log()) > mainSize && strings.Contains(d.log()[mainSize:], "stopped: other")
	})
}

// A SIGSTOPped child and stop, against supervisord 4.2.5 when it is installed: neither sends
// SIGCONT; the stop signal stays pending, SIGKILL follows stopwaitsecs, the program is
// STOPPED and the child gone, with the same log lines.
func TestFaultsStopOfStoppedChildDifferential(t *testing.T) {
	t.Parallel()
	lite, real := dtPair(t, fmt.Sprintf("\n[program:frozen]\ncommand=%s\nstartsecs=0\nstopwaitsecs=1\n", dtSleeper))
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		d.start(t)
		c := d.client(t)
		st := d.waitFor(t, c, "RUNNING", allRunning("frozen"))
		pid := int(st["frozen"].pid)
		require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
		// Until the child has run and stopped, a SIGTERM sent now would be delivered first.
		testenv.WaitFor(t, "the child stopped (state T)", func() bool {
			p, err := process.NewProcess(int32(pid))
			if err != nil {
				return false
			}
			st, err := p.Status()
			return err == nil && len(st) > 0 && st[0] == process.Stop
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, c.StopProcess(ctx, "frozen"))
		info, err := c.GetProcessInfo(ctx, "frozen")
		require.NoError(t, err)
		require.Equal(t, "STOPPED", info.StateName)
		require.False(t, dtLive(int32(pid)), "the stopped child is gone")
		log := d.log()
		require.Contains(t, log, fmt.Sprintf("WARN killing 'frozen' (%d) with SIGKILL", pid))
		require.Contains(t, log, "WARN stopped: frozen (terminated by SIGKILL)")
	}, lite, real)
}
