package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// realServer is Debian's supervisord on a unix socket in a temp dir, for the shell's
// differential tests.
type realServer struct {
	dir, conf, sock string
	cmd             *exec.Cmd
}

// startRealServer starts Debian's supervisord with four running programs (web, grp:ga,
// grp:gb, cat) and one stopped (manual); extra is appended to [supervisorctl]. It returns
// once the four run.
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
[program:cat]
command=/bin/cat
startsecs=0
[group:grp]
programs=ga,gb
[program:ga]
command=/bin/sleep 1000
startsecs=0
[program:gb]
command=/bin/sleep 1000
startsecs=0
`, dir, extra)
	// The same text in s.conf, for the clients' -c (and %(here)s).
	require.NoError(t, os.WriteFile(s.conf, []byte(cfg), 0o644))
	s.cmd, _ = testenv.Supervisord(t, supervisord, cfg, &syscall.SysProcAttr{Setpgid: true})
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
		return err == nil && running == 4
	})
	return s
}

// shutdown shuts the server down (supervisor.shutdown) and waits until its socket is gone.
func (s *realServer) shutdown(t *testing.T) {
	t.Helper()
	c, err := rpc.Dial("unix://"+s.sock, "", "")
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Shutdown(context.Background()))
	testenv.WaitFor(t, "supervisord to remove its socket", func() bool {
		_, err := os.Stat(s.sock)
		return os.IsNotExist(err)
	})
}

var (
	reShellUptime = regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d`)
	reShellPid    = regexp.MustCompile(`(?m)^(supervisor> |mybox> )?\d+$`)
)

// normaliseShell removes what differs between two runs: pids, uptimes and the servers'
// temporary directories (dirs).
func normaliseShell(s string, dirs ...string) string {
	for _, d := range dirs {
		s = strings.ReplaceAll(s, d, "$DIR")
	}
	s = reShellUptime.ReplaceAllLiteralString(s, "pid $PID, uptime $UPTIME")
	return reShellPid.ReplaceAllString(s, "${1}$$PID")
}

// helpAll asks for the help of every action, as supervisorctl's vocabulary lists them.
const helpAll = "help add\nhelp avail\nhelp clear\nhelp exit\nhelp fg\nhelp maintail\nhelp open\n" +
	"help pid\nhelp quit\nhelp reload\nhelp remove\nhelp reread\nhelp restart\nhelp shutdown\n" +
	"help signal\nhelp start\nhelp status\nhelp stop\nhelp tail\nhelp update\nhelp version\n" +
	"help help\nhelp EOF\nhelp\n? \n"

// TestShellDifferential feeds the same lines to the real supervisorctl's shell and to ours
// (standard input not a terminal, as in `ctl < script`), against Debian's supervisord, and
// compares everything printed and the exit status. With then, the server is shut down once
// the script's lines have run, and then's lines follow: a server that goes away mid-session.
func TestShellDifferential(t *testing.T) {
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	srv := startRealServer(t, "")
	custom := startRealServer(t, "prompt=mybox")
	gone := "unix://" + filepath.Join(t.TempDir(), "gone.sock")
	tests := []struct {
		name   string
		server *realServer // nil: none, or one of its own for each of the two runs (fresh)
		args   []string
		script string
		fresh  bool
		then   string
	}{
		{"actions and help", srv, nil, "version\nhelp\nhelp status\n? stop\nstatus grp:*\nnosuch\n\n  \nfoo bar\n!ls\nhelp nosuch\nquit\n", false, ""},
		{"help of every action", srv, nil, helpAll, false, ""},
		{"ends at EOF", srv, nil, "status web\npid nosuch\npid", false, ""},
		{"exit", srv, nil, "avail\nexit\nversion\n", false, ""},
		{"start and stop", nil, nil, "start manual\nstatus manual\nstop manual\nstop manual\nstatus manual\nEOF\n", true, ""},
		{"tail and errors", srv, nil, "tail web\ntail nosuch\ntail\nmaintail -x\nsignal\nstart\nclear\n", false, ""},
		{"prompt from the config file", custom, nil, "version\nstatus web\n", false, ""},
		{"-i", srv, []string{"-i"}, "version\n", false, ""},
		{"-i with an action runs the action only", srv, []string{"-i", "version"}, "status\n", false, ""},
		{"server not there", nil, []string{"-s", gone}, "status\nversion\nstart web\nhelp\nquit\n", false, ""},
		{"server goes away", nil, nil, "version\n", true, "status\nversion\nstart web\ntail web\nfg web\npid\nstop all\nhelp stop\nquit\n"},
		{"no input", srv, nil, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			finish := func(rc int, out *testenv.Buffer, server *realServer) (string, int) {
				var dirs []string
				if server != nil {
					dirs = append(dirs, server.dir)
				}
				return normaliseShell(out.String(), dirs...), rc
			}
			run := func(server *realServer, start func(args []string, stdin io.Reader, out io.Writer) (wait func() int)) (string, int) {
				var args []string
				if server != nil {
					args = append(args, "-c", server.conf)
				}
				args = append(args, tt.args...)
				out := &testenv.Buffer{}
				if tt.then == "" {
					return finish(start(args, strings.NewReader(tt.script), out)(), out, server)
				}
				stdin, w := io.Pipe()
				wait := start(args, stdin, out)
				_, err := io.WriteString(w, tt.script)
				require.NoError(t, err)
				// One prompt for each line of the script, and the next.
				prompts := strings.Count(tt.script, "\n") + 1
				testenv.WaitFor(t, "the script to run", func() bool { return strings.Count(out.String(), "supervisor> ") >= prompts })
				server.shutdown(t)
				_, err = io.WriteString(w, tt.then)
				require.NoError(t, err)
				require.NoError(t, w.Close())
				return finish(wait(), out, server)
			}
			server := func() *realServer {
				if tt.fresh {
					return startRealServer(t, "")
				}
				return tt.server
			}
			real, wantRC := run(server(), func(args []string, stdin io.Reader, out io.Writer) func() int {
				cmd := exec.Command(supervisorctl, args...)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, out
				cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
				require.NoError(t, cmd.Start())
				return func() int {
					err := cmd.Wait()
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						return ee.ExitCode()
					}
					require.NoError(t, err)
					return 0
				}
			})
			ours, gotRC := run(server(), func(args []string, stdin io.Reader, out io.Writer) func() int {
				ctx, cancel := context.WithTimeout(context.Background(), testenv.WaitTimeout)
				done := make(chan int, 1)
				go func() {
					c := New(Options{Argv0: supervisorctl, Stdin: stdin, Stdout: out, Stderr: out})
					done <- c.Run(ctx, args)
				}()
				return func() int {
					defer cancel()
					return <-done
				}
			})
			assert.Equal(t, real, ours)
			assert.Equal(t, wantRC, gotRC)
		})
	}
}
