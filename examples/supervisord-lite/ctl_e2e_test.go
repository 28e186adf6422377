package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// The differential test runs three daemons on the same program set: the real supervisord
// driven by the real supervisorctl ("real"), supervisord-lite driven by the real
// supervisorctl ("lite"), and supervisord-lite driven by our ctl ("ours"). Every command
// runs on the three at once; outputs and exit codes must agree after normalising pids,
// uptimes, dates and paths.

// sleeperCmd ignores SIGHUP (inherited across exec) so that `signal HUP` leaves it running.
const sleeperCmd = `/bin/sh -c 'trap "" HUP; exec sleep 1000'`

const ctlTestUser, ctlTestPass = "user", "s3cret"

// ctlTestConfig is the supervisord.conf of one setup; variant 1 is the edited one (added,
// changed, removed programs), variant 2 a broken one.
func ctlTestConfig(dir string, port int, variant int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[unix_http_server]
file=%[1]s/s.sock

[inet_http_server]
port=127.0.0.1:%[2]d
username=%[3]s
password=%[4]s

[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s/logs
loglevel=debug

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/s.sock

[program:sleeper]
command=%[5]s
startsecs=0

[program:failer]
command=/bin/sh -c 'echo failing >&2; exit 1'
startsecs=1
startretries=1

[program:nolog]
command=%[5]s
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[group:grp]
programs=ga,gb

[program:ga]
command=%[5]s
startsecs=0

[program:gb]
command=%[5]s
startsecs=0

[program:multi]
command=%[5]s
process_name=%%(program_name)s_%%(process_num)d
numprocs=2
startsecs=0
`, dir, port, ctlTestUser, ctlTestPass, sleeperCmd)
	quick := `/bin/sh -c 'echo out; echo err >&2; sleep 1.5; exit 0'`
	if variant >= 1 {
		quick = `/bin/sh -c 'echo out2; echo err2 >&2; sleep 1.5; exit 0'`
	}
	fmt.Fprintf(&b, "\n[program:quick]\ncommand=%s\nstartsecs=1\nautorestart=false\n", quick)
	if variant == 0 {
		b.WriteString("\n[program:manual]\ncommand=" + sleeperCmd + "\nstartsecs=0\nautostart=false\n")
	} else {
		b.WriteString("\n[program:added]\ncommand=" + sleeperCmd + "\nstartsecs=0\nautostart=false\n")
	}
	if variant == 2 {
		b.WriteString("\n[program:broken]\nstartsecs=0\n")
	}
	return b.String()
}

// ctlSetup is one daemon with the ctl that drives it.
type ctlSetup struct {
	name   string
	dir    string
	conf   string
	port   int
	daemon *exec.Cmd
	done   chan struct{} // closed when the daemon has exited
	ctl    []string      // argv prefix of the ctl: supervisorctl, or our binary + "ctl"
	client *rpc.Client
	pids   map[int32]bool // every child pid seen, checked gone at the end
}

func startCtlSetup(t *testing.T, name string, daemonArgv, ctlArgv []string) *ctlSetup {
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	s := &ctlSetup{name: name, dir: dir, conf: filepath.Join(dir, "supervisord.conf"), port: testenv.FreePort(t),
		ctl: ctlArgv, pids: map[int32]bool{}, done: make(chan struct{})}
	s.writeConfig(t, 0)
	cmd := exec.Command(daemonArgv[0], append(daemonArgv[1:], "-n", "-c", s.conf)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	s.daemon = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(t, out.String) })
	var err error
	s.client, err = rpc.Dial("unix://"+filepath.Join(dir, "s.sock"), "", "")
	require.NoError(t, err)
	t.Cleanup(func() { s.client.Close() })
	return s
}

func (s *ctlSetup) writeConfig(t *testing.T, variant int) {
	require.NoError(t, os.WriteFile(s.conf, []byte(ctlTestConfig(s.dir, s.port, variant)), 0o644))
}

// stop ends the daemon (TERM, then KILL of its process group after 10 s) and checks that
// none of the processes it started survives.
func (s *ctlSetup) stop(t *testing.T, log func() string) {
	s.recordPids()
	select {
	case <-s.done:
	default:
		_ = s.daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: daemon did not stop on SIGTERM within 10 s; killing it\n%s", s.name, log())
			_ = syscall.Kill(-s.daemon.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for pid := range s.pids {
		for pidAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if pidAlive(pid) {
			t.Errorf("%s: child pid %d outlived the daemon", s.name, pid)
			_ = syscall.Kill(int(pid), syscall.SIGKILL)
		}
	}
}

// pidAlive reports whether pid is a live process: not gone and not a zombie (a child of a
// dead daemon waits for pid 1 to reap it, which a container's init may never do).
func pidAlive(pid int32) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] != 'Z'
}

type procState struct {
	name, state string
	pid         int32
}

// states returns namespec -> statename, or an error while the daemon is not answering.
func (s *ctlSetup) states(ctx context.Context) (map[string]procState, error) {
	infos, err := s.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]procState{}
	for _, r := range infos {
		p := procState{name: r.Namespec(), state: r.StateName, pid: int32(r.Pid)}
		out[p.name] = p
	}
	return out, nil
}

func (s *ctlSetup) recordPids() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := s.states(ctx)
	if err != nil {
		return
	}
	for _, p := range st {
		if p.pid > 0 {
			s.pids[p.pid] = true
		}
	}
}

// settled is true when no process is in a transient state and quick (which runs 1.5 s)
// is not running.
func settled(st map[string]procState) bool {
	for name, p := range st {
		switch p.state {
		case "STARTING", "BACKOFF", "STOPPING":
			return false
		case "RUNNING":
			if name == "quick" {
				return false
			}
		}
	}
	return true
}

// waitSettled polls until the daemon's processes are settled (at most 20 s).
func (s *ctlSetup) waitSettled() error {
	deadline := time.Now().Add(20 * time.Second)
	var last map[string]procState
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last, err = s.states(ctx)
		cancel()
		if err == nil && len(last) > 0 && settled(last) {
			s.recordPids()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: processes did not settle within 20 s: %v %v", s.name, last, err)
}

type ctlRun struct {
	out string
	rc  int
}

// run runs the setup's ctl with args (bounded to 30 s).
func (s *ctlSetup) run(t *testing.T, args ...string) ctlRun {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	argv := append(append([]string{}, s.ctl...), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	err := cmd.Run()
	rc := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Errorf("%s %q: %v", s.name, args, err)
	}
	return ctlRun{out: out.String(), rc: rc}
}

var (
	reUptime = regexp.MustCompile(`pid \d+, uptime (?:\d+ days?, )?\d+:\d\d:\d\d`)
	reDate   = regexp.MustCompile(`[A-Z][a-z][a-z] \d\d \d\d:\d\d [AP]M`)
	rePid    = regexp.MustCompile(`(?m)^[1-9]\d*$`)
	rePyFile = regexp.MustCompile(`(?m): file: \S+ line: \d+$`)
)

// normalise removes what legitimately differs between two runs of the same command.
func (s *ctlSetup) normalise(out string) string {
	out = strings.ReplaceAll(out, s.dir, "$DIR")
	out = strings.ReplaceAll(out, fmt.Sprintf("127.0.0.1:%d", s.port), "127.0.0.1:$PORT")
	out = strings.ReplaceAll(out, strings.Join(s.ctl, " "), "$CTL")
	out = reUptime.ReplaceAllLiteralString(out, "pid $PID, uptime $UPTIME")
	out = reDate.ReplaceAllLiteralString(out, "$DATE")
	out = rePid.ReplaceAllLiteralString(out, "$PID")
	out = rePyFile.ReplaceAllString(out, "")
	return out
}

// ctlCase is one command line of the differential table.
type ctlCase struct {
	args []string
	// loose compares only the exit status and that the output is not empty (maintail).
	loose bool
	// before runs on every setup before the command (config edits).
	before func(t *testing.T, s *ctlSetup)
	// settle waits for the processes to settle after the command.
	settle bool
	// ro marks a command that changes nothing: consecutive ones run concurrently.
	ro bool
	// unordered compares the lines as sets: the order of startAllProcesses' results
	// follows completion times.
	unordered bool
	// knownDiff names a difference of the daemon from supervisord that is reported by
	// the lead elsewhere: it is logged, not failed.
	knownDiff string
}

func TestCtlDifferential(t *testing.T) {
	supervisord := testenv.LookPath(t, "supervisord", "supervisor")
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")

	setups := []*ctlSetup{
		startCtlSetup(t, "real", []string{supervisord}, []string{supervisorctl}),
		startCtlSetup(t, "lite", []string{slBin}, []string{supervisorctl}),
		startCtlSetup(t, "ours", []string{slBin}, []string{slBin, "ctl"}),
	}
	each := func(f func(s *ctlSetup)) {
		var wg sync.WaitGroup
		for _, s := range setups {
			wg.Add(1)
			go func(s *ctlSetup) { defer wg.Done(); f(s) }(s)
		}
		wg.Wait()
	}
	settleAll := func(t *testing.T) {
		errs := make([]error, len(setups))
		each(func(s *ctlSetup) {
			for i := range setups {
				if setups[i] == s {
					errs[i] = s.waitSettled()
				}
			}
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	settleAll(t)
	cfg := func(s *ctlSetup) []string { return []string{"-c", s.conf} }
	edit := func(variant int) func(t *testing.T, s *ctlSetup) {
		return func(t *testing.T, s *ctlSetup) { s.writeConfig(t, variant) }
	}
	ro := func(args ...string) ctlCase { return ctlCase{args: args, ro: true} }
	st := func(args ...string) ctlCase { return ctlCase{args: args, settle: true} }
	cases := []ctlCase{
		ro("status"), ro("status", "sleeper"), ro("status", "grp:*"), ro("status", "grp:"),
		ro("status", "nosuch"), ro("status", "grp:nosuch"), ro("status", "nosuch:*"),
		ro("status", "sleeper", "failer", "nosuch"), ro("status", "all"),
		ro("version"), ro("version", "x"),
		ro("pid"), ro("pid", "sleeper"), ro("pid", "manual"), ro("pid", "nosuch"), ro("pid", "all"),
		ro("start"), ro("stop"), ro("restart"), ro("signal", "HUP"), ro("clear"),
		ro("avail"), ro("avail", "x"), ro("help"), ro("help", "tail"), ro("help", "nosuch"), ro("nosuch"),
		ro("shutdown", "now"), ro("reread"),
		ro("fg"), ro("fg", "nosuch"), ro("fg", "quick"), ro("fg", "a", "b"),
		ro("open", "ftp://x"), ro("open", "http://127.0.0.1:1"), ro("exit"), ro("EOF"),
		ro("tail", "sleeper"), ro("tail", "quick"), ro("tail", "-100", "quick", "stderr"),
		ro("tail", "-3", "quick", "stdout"), ro("tail", "quick", "bogus"), ro("tail", "-x", "quick"),
		ro("tail"), ro("tail", "nolog"), ro("tail", "nosuch"), ro("tail", "failer", "stderr"),
		{args: []string{"maintail", "-100"}, loose: true, ro: true}, ro("maintail", "x"),
		st("start", "manual"),
		ro("start", "manual"), ro("start", "nosuch"), ro("start", "nosuch:*"), ro("start", "grp:*"),
		ro("stop", "nosuch"), ro("stop", "nosuch:*"), ro("signal", "HUP", "nosuch"), ro("signal", "HUP", "nosuch:*"),
		ro("signal", "BOGUS", "sleeper"), ro("signal", "HUP", "quick"), ro("restart", "nosuch"),
		st("start", "failer"),
		{args: []string{"start", "all"}, settle: true, unordered: true},
		ro("status"),
		st("stop", "sleeper"),
		ro("stop", "sleeper"),
		{args: []string{"stop", "grp:*"}, settle: true, unordered: true},
		ro("stop", "grp:*"), ro("status", "grp:*"),
		st("stop", "multi:multi_0"),
		ro("status"),
		st("restart", "sleeper"),
		{args: []string{"restart", "grp:*"}, settle: true, unordered: true},
		{args: []string{"restart", "multi:*"}, settle: true, unordered: true},
		{args: []string{"signal", "HUP", "sleeper"}},
		{args: []string{"signal", "HUP", "grp:*"}, unordered: true},
		{args: []string{"signal", "USR1", "all"}, settle: true, unordered: true},
		{args: []string{"clear", "sleeper"}},
		{args: []string{"clear", "quick"}},
		{args: []string{"tail", "quick"}, knownDiff: "deliberate: clear of a process that is not running empties its log; supervisord answers cleared but keeps the files (its issue #804)"},
		{args: []string{"clear", "nosuch"}},
		{args: []string{"clear", "all"}, unordered: true},
		{args: []string{"reread"}, before: edit(1)},
		ro("add", "nosuch"), ro("add", "sleeper"), ro("remove", "sleeper"), ro("remove", "nosuch"), ro("update", "nosuch"),
		{args: []string{"add", "added"}},
		{args: []string{"remove", "added"}},
		st("update"),
		ro("status"), ro("avail"), ro("update"),
		{args: []string{"reread"}, before: edit(2)},
		{args: []string{"update"}},
		ro("-s", "http://127.0.0.1:0", "status"),
	}
	// TCP with authentication: none, wrong, right.
	authCases := []ctlCase{
		ro("status"),
		ro("-u", ctlTestUser, "-p", "wrong", "status"),
		ro("-u", ctlTestUser, "-p", ctlTestPass, "status", "sleeper"),
		ro("-u", ctlTestUser, "avail"),
		ro("-u", ctlTestUser, "-p", ctlTestPass, "tail", "quick", "stderr"),
	}
	// check compares the three results of one case.
	check := func(t *testing.T, c ctlCase, res []ctlRun) {
		args := c.args
		want := res[0]
		for i, s := range setups[1:] {
			got := res[i+1]
			if c.loose {
				assert.Equal(t, want.rc, got.rc, "%s %q: exit status", s.name, args)
				assert.NotEmpty(t, strings.TrimSpace(got.out), "%s %q: output", s.name, args)
				continue
			}
			wo, gotOut := setups[0].normalise(want.out), s.normalise(got.out)
			if c.unordered {
				wo, gotOut = sortLines(wo), sortLines(gotOut)
			}
			if c.knownDiff != "" && (wo != gotOut || want.rc != got.rc) {
				t.Logf("%s %q: known difference (%s):\nreal (rc %d): %s\n%s (rc %d): %s", s.name, args, c.knownDiff, want.rc, wo, s.name, got.rc, gotOut)
				continue
			}
			assert.Equal(t, wo, gotOut, "%s %q: output", s.name, args)
			assert.Equal(t, want.rc, got.rc, "%s %q: exit status\nreal: %s\n%s: %s", s.name, args, want.out, s.name, got.out)
		}
	}
	// runBatch runs cases that change nothing all at once (at most 4 at a time per setup),
	// or one stateful case.
	runBatch := func(t *testing.T, batch []ctlCase, argsFor func(s *ctlSetup, c ctlCase) []string) {
		for _, c := range batch {
			if c.before != nil {
				for _, s := range setups {
					c.before(t, s)
				}
			}
		}
		res := make([][]ctlRun, len(batch))
		for i := range res {
			res[i] = make([]ctlRun, len(setups))
		}
		sem := make(chan struct{}, 4*len(setups))
		var wg sync.WaitGroup
		for i, c := range batch {
			for j, s := range setups {
				wg.Add(1)
				go func(i, j int, c ctlCase, s *ctlSetup) {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					res[i][j] = s.run(t, argsFor(s, c)...)
				}(i, j, c, s)
			}
		}
		wg.Wait()
		settle := false
		for i, c := range batch {
			check(t, c, res[i])
			settle = settle || c.settle
		}
		if settle {
			settleAll(t)
		}
	}
	runCases := func(t *testing.T, cases []ctlCase, argsFor func(s *ctlSetup, c ctlCase) []string) {
		var batch []ctlCase
		for _, c := range cases {
			if c.ro && c.before == nil {
				batch = append(batch, c)
				continue
			}
			if len(batch) > 0 {
				runBatch(t, batch, argsFor)
				batch = nil
			}
			runBatch(t, []ctlCase{c}, argsFor)
		}
		if len(batch) > 0 {
			runBatch(t, batch, argsFor)
		}
	}
	withConfig := func(s *ctlSetup, c ctlCase) []string {
		a := append([]string{}, c.args...)
		if len(a) > 1 && a[0] == "-s" {
			a[1] = fmt.Sprintf("http://127.0.0.1:%d", s.port)
		}
		return append(cfg(s), a...)
	}
	overTCP := func(s *ctlSetup, c ctlCase) []string {
		return append([]string{"-s", fmt.Sprintf("http://127.0.0.1:%d", s.port)}, c.args...)
	}
	runCases(t, cases, withConfig)
	runCases(t, authCases, overTCP)

	t.Run("tail -f", func(t *testing.T) { testTailFollow(t, setups) })
	// fg with standard input at EOF: supervisorctl's do_fg ends with "Exiting foreground" and
	// status 0. The real supervisorctl cannot be the reference here: its fg thread races its own
	// kill() and mostly hangs (against the real supervisord too), so ours is checked alone.
	t.Run("fg at EOF", func(t *testing.T) {
		ours := setups[2]
		for _, name := range []string{"sleeper", "nolog"} {
			got := ours.run(t, "-c", ours.conf, "fg", name)
			assert.Equal(t, "==> Press Ctrl-C to exit <==\nExiting foreground\n", got.out, "fg %s", name)
			assert.Equal(t, 0, got.rc, "fg %s", name)
		}
	})
	t.Run("maintail -f stops on SIGTERM", func(t *testing.T) { testMaintailTerm(t, setups[2]) })

	// Last: shutdown, then the server is gone.
	runCases(t, []ctlCase{{args: []string{"shutdown"}}}, withConfig)
	each(func(s *ctlSetup) {
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Errorf("%s: daemon still running 15 s after shutdown", s.name)
		}
	})
	var down []ctlCase
	for _, a := range [][]string{{"status"}, {"start", "sleeper"}, {"shutdown"}, {"avail"}, {"reread"}, {"pid"}} {
		down = append(down, ctlCase{args: a, ro: true})
	}
	runCases(t, down, withConfig)
	runCases(t, down, overTCP)
}

// sortLines sorts the lines of s (for results whose order depends on timing).
func sortLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// testTailFollow runs `tail -f quick stderr` on each setup, waits for the log's bytes, then
// interrupts the ctl as a user's Ctrl-C does, and compares what was printed.
func testTailFollow(t *testing.T, setups []*ctlSetup) {
	outs := make([]string, len(setups))
	rcs := make([]int, len(setups))
	var wg sync.WaitGroup
	for i, s := range setups {
		wg.Add(1)
		go func(i int, s *ctlSetup) {
			defer wg.Done()
			argv := append(append([]string{}, s.ctl...), "-c", s.conf, "tail", "-f", "quick", "stderr")
			cmd := exec.Command(argv[0], argv[1:]...)
			var out testenv.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Errorf("%s: %v", s.name, err)
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(out.String(), "err2") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("%s: tail -f did not stop on SIGINT", s.name)
				_ = cmd.Process.Kill()
				<-done
			}
			outs[i], rcs[i] = s.normalise(out.String()), cmd.ProcessState.ExitCode()
		}(i, s)
	}
	wg.Wait()
	for i := range setups[1:] {
		assert.Equal(t, rcs[0], rcs[i+1], "%s: tail -f exit status", setups[i+1].name)
		assert.Equal(t, outs[0], outs[i+1], "%s: tail -f output", setups[i+1].name)
	}
	assert.True(t, strings.HasPrefix(outs[0], "==> Press Ctrl-C to exit <==\n"), "%q", outs[0])
}

// testMaintailTerm: our `maintail -f` streams the main log and ends on SIGTERM (a service
// manager's stop) as on Ctrl-C, with an empty line and exit status 0.
func testMaintailTerm(t *testing.T, s *ctlSetup) {
	cmd := exec.Command(slBin, "ctl", "-c", s.conf, "maintail", "-f")
	var out testenv.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("maintail -f did not stop on SIGTERM")
	}
	got := out.String()
	assert.True(t, strings.HasPrefix(got, "==> Press Ctrl-C to exit <==\n"), "%q", got)
	assert.Contains(t, got, "INFO", "the main log's lines")
	assert.True(t, strings.HasSuffix(got, "\n"), "%q", got)
}
