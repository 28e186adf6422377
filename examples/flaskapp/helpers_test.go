package flaskapp_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cleanPath is the PATH every child gets: no pyenv shims, nothing from the caller.
const cleanPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// repoRoot is the top of the module (this package sits two levels below it).
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	root, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	require.NoError(t, err)
	testenv.RequireFile(t, filepath.Join(root, "scripts", "demo-setup.sh"), "the demo setup script")
	return root
}

// cleanEnv is a minimal environment plus extra KEY=VALUE settings.
func cleanEnv(extra ...string) []string {
	home := os.Getenv("HOME")
	if home == "" {
		home = "/root"
	}
	return append([]string{"PATH=" + cleanPath, "LANG=C.UTF-8", "HOME=" + home, "PYTHONDONTWRITEBYTECODE=1"}, extra...)
}

// setupResult is what one run of scripts/demo-setup.sh printed and returned.
type setupResult struct {
	rc     int
	stdout string
	stderr string
	vars   map[string]string
}

// runSetup runs scripts/demo-setup.sh with DEMO_DIR=demoDir, args and extra environment, bounded
// to two minutes.
func runSetup(t *testing.T, root, demoDir string, extraEnv []string, args ...string) setupResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", append([]string{filepath.Join(root, "scripts", "demo-setup.sh")}, args...)...)
	cmd.Env = cleanEnv(append([]string{"DEMO_DIR=" + demoDir}, extraEnv...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := setupResult{stdout: stdout.String(), stderr: stderr.String(), vars: map[string]string{}}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.rc = exit.ExitCode()
	default:
		require.NoError(t, err, "running demo-setup.sh")
	}
	require.NoError(t, ctx.Err(), "demo-setup.sh did not finish in time; stderr:\n%s", res.stderr)
	if res.rc == 0 && len(args) == 0 {
		res.vars = parseVars(t, res.stdout)
	}
	return res
}

// parseVars reads KEY=VALUE lines. The script quotes values the shell way when they need it;
// the paths of these tests never do, so a quoted value is a failure here.
func parseVars(t *testing.T, out string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		require.True(t, ok, "not a KEY=VALUE line: %q", sc.Text())
		require.NotContains(t, v, `\`, "unexpectedly quoted value for %s", k)
		require.NotContains(t, v, `'`, "unexpectedly quoted value for %s", k)
		vars[k] = v
	}
	require.NoError(t, sc.Err())
	return vars
}

// tlsClient trusts exactly the demo's certificate, so a request also checks its SANs.
func tlsClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem), "no certificate in %s", certFile)
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// get fetches url and returns the status and body.
func get(c *http.Client, url string) (int, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// pollUntil calls cond every interval until it returns true, at most for limit; it reports
// whether cond became true.
func pollUntil(limit, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// childPids lists the direct children of pid (gopsutil).
func childPids(pid int) map[int32]bool {
	out := map[int32]bool{}
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return out
	}
	kids, err := p.Children()
	if err != nil {
		return out
	}
	for _, k := range kids {
		out[k.Pid] = true
	}
	return out
}

// seenProc is a process recorded by pid and start time, so a recycled pid is not mistaken for it.
type seenProc struct {
	pid     int32
	created int64 // ms since the epoch, from gopsutil
}

func record(t *testing.T, pid int32) seenProc {
	t.Helper()
	p, err := process.NewProcess(pid)
	require.NoError(t, err, "pid %d", pid)
	c, err := p.CreateTime()
	require.NoError(t, err, "pid %d", pid)
	return seenProc{pid: pid, created: c}
}

// alive reports whether the recorded process still exists (same pid, same start time) and is
// not a zombie.
func (s seenProc) alive() bool {
	p, err := process.NewProcess(s.pid)
	if err != nil {
		return false
	}
	c, err := p.CreateTime()
	if err != nil || c != s.created {
		return false
	}
	st, err := p.Status()
	if err == nil && len(st) > 0 && st[0] == process.Zombie {
		return false
	}
	return true
}

// processesRunning lists live processes whose command line contains needle.
func processesRunning(t *testing.T, needle string) []string {
	t.Helper()
	procs, err := process.Processes()
	require.NoError(t, err)
	var found []string
	for _, p := range procs {
		if p.Pid == int32(os.Getpid()) {
			continue
		}
		cl, err := p.Cmdline()
		if err != nil || !strings.Contains(cl, needle) {
			continue
		}
		if st, err := p.Status(); err == nil && len(st) > 0 && st[0] == process.Zombie {
			continue
		}
		found = append(found, fmt.Sprintf("%d %s", p.Pid, cl))
	}
	return found
}

// groupGone reports whether no process is left in process group pgid.
func groupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

// started is a child process started in its own process group, with its exit collected by one
// goroutine that always ends before the test does.
type started struct {
	cmd  *exec.Cmd
	done chan error
	log  string
}

// start runs argv in a new process group with env, its output going to logFile.
func start(t *testing.T, logFile string, env []string, dir string, argv ...string) *started {
	t.Helper()
	f, err := os.Create(logFile)
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	s := &started{cmd: cmd, done: make(chan error, 1), log: logFile}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if s.done == nil {
			return
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
	return s
}

// wait waits up to limit for the process to exit; on timeout it SIGKILLs the group, fails the
// test and still collects the exit.
func (s *started) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done = nil
		return err
	case <-time.After(limit):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		err := <-s.done
		s.done = nil
		t.Errorf("%s did not exit within %v; killed. Log:\n%s", s.cmd.Path, limit, s.logText())
		return err
	}
}

// exited reports, without blocking, whether the process has exited.
func (s *started) exited() bool {
	select {
	case err := <-s.done:
		s.done <- err
		return true
	default:
		return false
	}
}

func (s *started) logText() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}
