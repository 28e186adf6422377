package rpc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

const e2ePrograms = `
[program:web]
command=/bin/sh -c 'echo hello-stdout; echo hello-stderr >&2; exec sleep 1000'

[program:oneshot]
command=/bin/true
startsecs=0
autorestart=false

[program:manual]
command=/bin/sleep 1000
autostart=false

[program:broken]
command=/nonexistent/bin/app
startretries=0

[program:w]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)02d

[group:workers]
programs=w
`

// Differential: Debian's supervisorctl 4.2.5 runs the same commands against the real
// supervisord and against our server (whose fake backend starts from the real one's state),
// and must print the same and exit with the same code.
func TestSupervisorctlDifferential(t *testing.T) {
	supervisord := testenv.LookPath(t, "supervisord", "supervisor")
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	testenv.Short(t)
	dir, err := os.MkdirTemp("", "rpc-e2e")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	realSock := filepath.Join(dir, "real.sock")
	liteSock := filepath.Join(dir, "lite.sock")
	realTCP, liteTCP := testenv.FreeAddr(t), testenv.FreeAddr(t)
	conf := filepath.Join(dir, "supervisord.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(`[unix_http_server]
file=%s
[inet_http_server]
port=%s
username=user
password=123
[supervisord]
logfile=%s/supervisord.log
pidfile=%s/supervisord.pid
childlogdir=%s
identifier=e2e
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
`, realSock, realTCP, dir, dir, dir)+e2ePrograms), 0o644))

	cmd := exec.Command(supervisord, "-n", "-c", conf)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outFile, err := os.Create(filepath.Join(dir, "supervisord.out"))
	require.NoError(t, err)
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	require.NoError(t, cmd.Start())
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-waited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
	})

	real, err := Dial("unix://"+realSock, "", "")
	require.NoError(t, err)
	defer real.Close()
	ctx := context.Background()
	settled := func() bool {
		v, err := real.Call(ctx, "supervisor.getAllProcessInfo")
		if err != nil {
			return false
		}
		want := map[string]string{"web": "RUNNING", "oneshot": "EXITED", "broken": "FATAL", "manual": "STOPPED", "w_00": "RUNNING", "w_01": "RUNNING"}
		for _, p := range v.([]any) {
			m := p.(xmlrpc.Struct).Map()
			if want[m["name"].(string)] != m["statename"] {
				return false
			}
		}
		return true
	}
	if !assert.Eventually(t, settled, 20*time.Second, 100*time.Millisecond) {
		out, _ := os.ReadFile(outFile.Name())
		t.Fatalf("supervisord did not settle: %s", out)
	}

	// Our side: a fake holding the real supervisord's processes and configuration.
	v, err := real.Call(ctx, "supervisor.getAllProcessInfo")
	require.NoError(t, err)
	f := &fake{clock: time.Now, nextPid: 1 << 20, stdin: map[string]string{}}
	for _, p := range v.([]any) {
		m := p.(xmlrpc.Struct).Map()
		fp := &fakeProc{info: supervise.ProcessInfo{Name: m["name"].(string), Group: m["group"].(string),
			State: supervise.State(m["state"].(int64)), Start: unix(m["start"].(int64)), Stop: unix(m["stop"].(int64)),
			Pid: int(m["pid"].(int64)), SpawnErr: m["spawnerr"].(string), ExitStatus: int(m["exitstatus"].(int64)),
			StdoutLogfile: m["stdout_logfile"].(string), StderrLogfile: m["stderr_logfile"].(string)}}
		if strings.Contains(fp.info.SpawnErr, "can't find command") {
			fp.noFile = fp.info.SpawnErr
		}
		f.procs = append(f.procs, fp)
	}
	v, err = real.Call(ctx, "supervisor.getAllConfigInfo")
	require.NoError(t, err)
	var configs []ConfigInfo
	for _, c := range v.([]any) {
		configs = append(configs, configFromStruct(c.(xmlrpc.Struct)))
	}
	realPid, err := real.Call(ctx, "supervisor.getPID")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", liteTCP)
	require.NoError(t, err)
	startServer(t, Options{Backend: f, PID: func() int { return int(realPid.(int64)) },
		MainLog:    filepath.Join(dir, "supervisord.log"),
		ConfigInfo: func() []ConfigInfo { return configs }, Reloader: &fakeReloader{},
		Identification: "e2e",
		Listeners: []Listener{{Network: "unix", Address: liteSock},
			{Network: "tcp", Address: liteTCP, Listener: ln, Username: "user", Password: "123"}}})

	ctlConf := filepath.Join(dir, "ctl.conf")
	require.NoError(t, os.WriteFile(ctlConf, []byte("[supervisorctl]\n"), 0o644))
	var run func(url string, args ...string) (string, int)
	run = func(url string, args ...string) (string, int) {
		c := exec.Command(supervisorctl, append([]string{"-c", ctlConf, "-s", url}, args...)...)
		c.Env = append(os.Environ(), "TZ=UTC")
		out, err := c.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return string(out), code
	}
	volatile := []*regexp.Regexp{
		regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d`),
		regexp.MustCompile(`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`),
		regexp.MustCompile(`(?m)^\d{3,}$`),
	}
	normalize := func(s string) string {
		for _, re := range volatile {
			s = re.ReplaceAllString(s, "<v>")
		}
		return s
	}
	// Group results come in the order processes finish in supervisord: compare them sorted.
	sortLines := func(s string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		sort.Strings(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	both := func(args ...string) (wantOut string, wantCode int, gotOut string, gotCode int) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			wantOut, wantCode = run(strings.Replace(args[0], "LITE", "REAL", 1), args[1:]...)
		}()
		gotOut, gotCode = run(args[0], args[1:]...)
		<-done
		return
	}
	urls := strings.NewReplacer("REALunix", "unix://"+realSock, "LITEunix", "unix://"+liteSock,
		"REALtcp", "http://"+realTCP, "LITEtcp", "http://"+liteTCP)
	run0 := run
	run = func(url string, args ...string) (string, int) { return run0(urls.Replace(url), args...) }
	tests := []struct {
		args  []string
		exact bool // compare without normalizing pids and times
	}{
		{[]string{"status"}, false},
		{[]string{"status", "web", "nosuch", "workers:*"}, false},
		{[]string{"status", "nosuch:*"}, true},
		{[]string{"avail"}, true},
		{[]string{"version"}, true},
		{[]string{"pid"}, true},
		{[]string{"pid", "web"}, true},
		{[]string{"pid", "all"}, true},
		{[]string{"start", "nosuch"}, true},
		{[]string{"start", "web"}, true},
		{[]string{"start", "broken"}, true},
		{[]string{"start", "nosuch:*"}, true},
		{[]string{"stop", "manual"}, true},
		{[]string{"signal", "NOPE", "web"}, true},
		{[]string{"signal", "HUP", "manual"}, true},
		{[]string{"tail", "web"}, true},
		{[]string{"tail", "web", "stderr"}, true},
		{[]string{"tail", "manual"}, true},
		{[]string{"tail", "nosuch"}, true},
		{[]string{"reread"}, true},
		{[]string{"clear", "oneshot"}, true},
		{[]string{"stop", "web"}, true},
		{[]string{"status", "web"}, false},
		{[]string{"start", "web"}, true},
		{[]string{"restart", "workers:*"}, true},
		{[]string{"signal", "USR1", "workers:*"}, true},
		{[]string{"stop", "workers:*"}, true},
		{[]string{"start", "workers:w_00"}, true},
		{[]string{"status"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			wantOut, wantCode, gotOut, gotCode := both(append([]string{"LITEunix"}, tt.args...)...)
			assert.Equal(t, wantCode, gotCode, "exit code; real said %q", wantOut)
			if !tt.exact {
				wantOut, gotOut = normalize(wantOut), normalize(gotOut)
			}
			if strings.Contains(strings.Join(tt.args, " "), ":*") {
				wantOut, gotOut = sortLines(wantOut), sortLines(gotOut)
			}
			assert.Equal(t, wantOut, gotOut)
		})
	}

	// maintail reads the same file; its end moves as supervisord logs, so compare the exit
	// code and that the output is part of the file.
	out, code := run("LITEunix", "maintail", "-100")
	assert.Equal(t, 0, code)
	mainLog, err := os.ReadFile(filepath.Join(dir, "supervisord.log"))
	require.NoError(t, err)
	assert.Contains(t, string(mainLog), strings.TrimSuffix(out, "\n"))

	// tail -f and maintail -f use supervisorctl's own HTTP client on /logtail and /mainlogtail:
	// run each for a moment against both servers.
	follow := func(url string, args ...string) string {
		fctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		c := exec.CommandContext(fctx, supervisorctl, append([]string{"-c", ctlConf, "-s", urls.Replace(url)}, args...)...)
		out, _ := c.CombinedOutput()
		return string(out)
	}
	for _, args := range [][]string{{"tail", "-f", "web"}, {"tail", "-f", "web", "stderr"}} {
		var want string
		done := make(chan struct{})
		go func() { defer close(done); want = follow("REALunix", args...) }()
		got := follow("LITEunix", args...)
		<-done
		assert.True(t, strings.HasPrefix(got, "==> Press Ctrl-C to exit <==\n"), "%v: %q", args, got)
		assert.Equal(t, want, got, "%v", args)
	}
	got := follow("LITEunix", "maintail", "-f")
	assert.True(t, strings.HasPrefix(got, "==> Press Ctrl-C to exit <==\n"), got)
	assert.Greater(t, len(got), len("==> Press Ctrl-C to exit <==\n"), got)

	// Authentication over TCP: none, wrong and right credentials.
	for _, creds := range [][]string{nil, {"-u", "user", "-p", "wrong"}, {"-u", "user", "-p", "123"}} {
		t.Run("auth"+strings.Join(creds, "_"), func(t *testing.T) {
			wantOut, wantCode, gotOut, gotCode := both(append([]string{"LITEtcp"}, append(creds, "status", "manual")...)...)
			assert.Equal(t, wantCode, gotCode, "exit code; real said %q", wantOut)
			assert.Equal(t, normalize(wantOut), normalize(gotOut))
		})
	}

	// Last: shutdown.
	wantOut, wantCode, gotOut, gotCode := both("LITEunix", "shutdown")
	assert.Equal(t, wantCode, gotCode)
	assert.Equal(t, wantOut, gotOut)
}

// configFromStruct reads one getAllConfigInfo entry back into a ConfigInfo.
func configFromStruct(s xmlrpc.Struct) ConfigInfo {
	m := s.Map()
	i := func(k string) int { return int(m[k].(int64)) }
	b := func(k string) bool { return m[k].(bool) }
	str := func(k string) string { return m[k].(string) }
	var exit []int
	for _, e := range m["exitcodes"].([]any) {
		exit = append(exit, int(e.(int64)))
	}
	var uid *int
	if n, err := strconv.Atoi(str("uid")); err == nil {
		uid = &n
	}
	return ConfigInfo{Name: str("name"), Group: str("group"), GroupPrio: i("group_prio"), ProcessPrio: i("process_prio"),
		InUse: b("inuse"), AutoStart: b("autostart"), Directory: str("directory"), UID: uid, Command: str("command"),
		ServerURL: str("serverurl"), ExitCodes: exit, KillAsGroup: b("killasgroup"), RedirectStderr: b("redirect_stderr"),
		StartRetries: i("startretries"), StartSecs: i("startsecs"), StopSignal: i("stopsignal"), StopWaitSecs: i("stopwaitsecs"),
		StdoutLogfile: str("stdout_logfile"), StdoutLogfileMaxBytes: int64(i("stdout_logfile_maxbytes")),
		StdoutLogfileBackups: i("stdout_logfile_backups"), StdoutCaptureMaxBytes: int64(i("stdout_capture_maxbytes")),
		StdoutEventsEnabled: b("stdout_events_enabled"), StdoutSyslog: b("stdout_syslog"),
		StderrLogfile: str("stderr_logfile"), StderrLogfileMaxBytes: int64(i("stderr_logfile_maxbytes")),
		StderrLogfileBackups: i("stderr_logfile_backups"), StderrCaptureMaxBytes: int64(i("stderr_capture_maxbytes")),
		StderrEventsEnabled: b("stderr_events_enabled"), StderrSyslog: b("stderr_syslog")}
}
