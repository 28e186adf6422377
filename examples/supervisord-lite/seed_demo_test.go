package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestSeedMakeDemo runs README's quick start as a newcomer would: `make demo` in one
// terminal (here: a process group of its own, DEMO_DIR in a temp dir), then the commands of
// the printed guide in another: curl /health, ctl status, ctl ps, ctl explain, kill -9 of
// the master and the app serving again. Ctrl-C (SIGINT to the group) ends it all.
func TestSeedMakeDemo(t *testing.T) {
	testenv.Short(t)
	makeBin := testenv.LookPath(t, "make", "make")
	curl := testenv.LookPath(t, "curl", "curl")
	testenv.LookPath(t, "gunicorn", "gunicorn")
	root := seedRepoRoot(t)
	if l, err := net.Listen("tcp", "127.0.0.1:5001"); err != nil {
		t.Skipf("port 5001, which the demo serves on, is in use: %v", err)
	} else {
		l.Close()
	}
	demo := t.TempDir()
	out, err := os.Create(filepath.Join(demo, "make.out"))
	require.NoError(t, err)
	defer out.Close()
	cmd := exec.Command(makeBin, "-C", root, "demo", "DEMO_DIR="+demo)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	s := &seedStack{demo: demo, logFile: filepath.Join(demo, "log", "supervisord-lite.log"), port: 5001, seen: map[int32]int64{}}
	text := func() string { b, _ := os.ReadFile(out.Name()); return string(b) }
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C in the demo's terminal
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Errorf("make demo did not end within 40 s of Ctrl-C:\n%s", text())
		}
		ok := seedPoll(10*time.Second, 50*time.Millisecond, func() bool { return len(s.alive()) == 0 })
		assert.True(t, ok, "processes left after Ctrl-C: %v", s.alive())
	}()

	run := func(line string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "/bin/sh", "-c", line)
		b, _ := c.CombinedOutput()
		return string(b)
	}
	var health string
	ok := seedPoll(120*time.Second, 200*time.Millisecond, func() bool {
		health = run(curl + " -sk https://127.0.0.1:5001/health")
		return strings.Contains(health, `"status":"ok"`)
	})
	require.True(t, ok, "the demo does not answer: %s\nmake demo:\n%s", health, text())

	// A newcomer reads the guide for a few seconds: by then the app is RUNNING (startsecs).
	var status string
	ok = seedPoll(30*time.Second, 200*time.Millisecond, func() bool {
		status = run(filepath.Join(demo, "bin", "supervisord-lite") + " ctl -c " + filepath.Join(demo, "supervisord-lite.conf") + " status")
		return strings.Contains(status, "RUNNING")
	})
	require.True(t, ok, "not RUNNING: %s", status)

	// The guide's commands, as printed.
	var cmds []string
	sc := bufio.NewScanner(strings.NewReader(text()))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, filepath.Join(demo, "bin", "supervisord-lite")+" ctl ") || strings.HasPrefix(l, "curl ") || strings.HasPrefix(l, "kill -9 ") {
			cmds = append(cmds, l)
		}
	}
	require.NotEmpty(t, cmds, "no commands in the guide:\n%s", text())
	seen := map[string]bool{}
	for _, l := range cmds {
		switch {
		case strings.Contains(l, " tail -f "):
			continue // follows forever
		case strings.HasPrefix(l, "kill -9 "):
			pidCmd := strings.TrimSuffix(strings.TrimPrefix(l, "kill -9 $("), ")")
			before := strings.TrimSpace(run(pidCmd))
			run(l)
			ok := seedPoll(30*time.Second, 100*time.Millisecond, func() bool {
				st := run(strings.Replace(pidCmd, " pid ", " status ", 1))
				return strings.Contains(st, "RUNNING") && !strings.Contains(st, "pid "+before+",")
			})
			assert.True(t, ok, "not RUNNING again after %s", l)
			seen["kill"] = true
		default:
			o := run(strings.Replace(l, "curl ", curl+" ", 1))
			for _, want := range []string{"status", " ps", "explain", "/health", "/pid"} {
				if strings.Contains(l, want) {
					seen[want] = true
				}
			}
			switch {
			case strings.HasSuffix(l, " status"):
				assert.Contains(t, o, "RUNNING", l)
			case strings.HasSuffix(l, " ps"):
				assert.Contains(t, o, "gunicorn", l)
			case strings.Contains(l, " explain "):
				assert.Contains(t, o, ".python-version", l)
			case strings.Contains(l, "/health"):
				assert.Contains(t, o, `"status":"ok"`, l)
			}
		}
		s.recordTreeOf(t, demo)
	}
	for _, k := range []string{"status", " ps", "explain", "/health", "kill"} {
		assert.True(t, seen[k], "the guide has no %q command:\n%s", k, text())
	}
}

// recordTreeOf records the demo daemon's process tree, found by its pidfile.
func (s *seedStack) recordTreeOf(t *testing.T, demo string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(demo, "run", "supervisord-lite.pid"))
	if err != nil {
		return
	}
	pid := 0
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	s.cmd = &exec.Cmd{Process: &os.Process{Pid: pid}}
	s.recordTree()
}
