package ctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// realServer is Debian's supervisord on a unix socket in a temp dir, for the shell's
// differential tests; extra is appended to [supervisorctl].
type realServer struct {
	dir, conf, sock string
}

func startRealServer(t *testing.T, extra string) *realServer {
	t.Helper()
	supervisord := testenv.LookPath(t, "supervisord", "supervisor")
	dir := t.TempDir()
	s := &realServer{dir: dir, conf: filepath.Join(dir, "s.conf"), sock: filepath.Join(dir, "s.sock")}
	cfg := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock
[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://%[1]s/s.sock
%[2]s
[program:web]
command=/bin/sh -c 'echo web-out; exec sleep 1000'
startsecs=0
[program:manual]
command=/bin/sleep 1000
startsecs=0
autostart=false
[group:grp]
programs=ga,gb
[program:ga]
command=/bin/sleep 1000
startsecs=0
[program:gb]
command=/bin/sleep 1000
startsecs=0
`, dir, extra)
	require.NoError(t, os.WriteFile(s.conf, []byte(cfg), 0o644))
	cmd := exec.Command(supervisord, "-n", "-c", s.conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	c, err := rpc.Dial("unix://"+s.sock, "", "")
	require.NoError(t, err)
	defer c.Close()
	testenv.WaitFor(t, "supervisord's processes to run", func() bool {
		infos, err := c.GetAllProcessInfo(context.Background())
		running := 0
		for _, i := range infos {
			if i.StateName == "RUNNING" {
				running++
			}
		}
		return err == nil && running == 3
	})
	return s
}

var (
	reShellUptime = regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d`)
	reShellPid    = regexp.MustCompile(`(?m)^(supervisor> |mybox> )?\d+$`)
)

// normaliseShell removes what differs between two runs: pids and uptimes.
func normaliseShell(s string) string {
	s = reShellUptime.ReplaceAllLiteralString(s, "pid $PID, uptime $UPTIME")
	return reShellPid.ReplaceAllString(s, "${1}$$PID")
}

// TestShellDifferential feeds the same lines to the real supervisorctl's shell and to ours
// (standard input not a terminal, as in `ctl < script`), against Debian's supervisord, and
// compares everything printed and the exit status.
func TestShellDifferential(t *testing.T) {
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	srv := startRealServer(t, "")
	custom := startRealServer(t, "prompt=mybox")
	gone := "unix://" + filepath.Join(t.TempDir(), "gone.sock")
	tests := []struct {
		name   string
		server *realServer // nil: none; fresh: one of its own for each of the two runs
		args   []string
		script string
		fresh  bool
	}{
		{"actions and help", srv, nil, "version\nhelp\nhelp status\n? stop\nstatus grp:*\nnosuch\n\n  \nfoo bar\n!ls\nhelp nosuch\nquit\n", false},
		{"ends at EOF", srv, nil, "status web\npid nosuch\npid", false},
		{"exit", srv, nil, "avail\nexit\nversion\n", false},
		{"start and stop", nil, nil, "start manual\nstatus manual\nstop manual\nstop manual\nstatus manual\nEOF\n", true},
		{"tail and errors", srv, nil, "tail web\ntail nosuch\ntail\nmaintail -x\nsignal\nstart\nclear\n", false},
		{"prompt from the config file", custom, nil, "version\nstatus web\n", false},
		{"-i", srv, []string{"-i"}, "version\n", false},
		{"-i with an action runs the action only", srv, []string{"-i", "version"}, "status\n", false},
		{"server not there", nil, []string{"-s", gone}, "status\nversion\nstart web\nhelp\nquit\n", false},
		{"no input", srv, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.server != nil {
				args = append(args, "-c", tt.server.conf)
			}
			oursArgs := args
			if tt.fresh {
				args = append(args, "-c", startRealServer(t, "").conf)
				oursArgs = append(oursArgs, "-c", startRealServer(t, "").conf)
			}
			args = append(args, tt.args...)
			oursArgs = append(oursArgs, tt.args...)
			cmd := exec.Command(supervisorctl, args...)
			cmd.Stdin = strings.NewReader(tt.script)
			var real bytes.Buffer
			cmd.Stdout, cmd.Stderr = &real, &real
			cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
			err := cmd.Run()
			wantRC := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				wantRC = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			var ours bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := New(Options{Argv0: supervisorctl, Stdin: strings.NewReader(tt.script), Stdout: &ours, Stderr: &ours})
			gotRC := c.Run(ctx, oursArgs)
			assert.Equal(t, normaliseShell(real.String()), normaliseShell(ours.String()))
			assert.Equal(t, wantRC, gotRC)
		})
	}
}
