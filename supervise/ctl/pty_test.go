package ctl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// openPTY returns a new pseudo-terminal: the controlling side and the terminal's path. Both
// files it opens are non-blocking, so that closing them ends pending reads.
func openPTY(t *testing.T) (master *os.File, ttyPath string) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	require.NoError(t, err)
	m := os.NewFile(uintptr(fd), "ptmx")
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// openTTY opens the terminal side; nonblock makes a file whose pending reads end when it is
// closed (for our shell in this process), blocking is what a child process expects.
func openTTY(t *testing.T, path string, nonblock bool) *os.File {
	t.Helper()
	flags := unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC
	if nonblock {
		flags |= unix.O_NONBLOCK
	}
	fd, err := unix.Open(path, flags, 0)
	require.NoError(t, err)
	require.NoError(t, unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 80}))
	return os.NewFile(uintptr(fd), path)
}

// screen renders what a terminal shows for out: text lines after carriage returns,
// backspaces, cursor moves left and right, erasing to the end of the line and bells.
func screen(out string) string {
	var lines [][]rune
	row, col := 0, 0
	put := func(r rune) {
		for len(lines) <= row {
			lines = append(lines, nil)
		}
		for len(lines[row]) < col {
			lines[row] = append(lines[row], ' ')
		}
		if col < len(lines[row]) {
			lines[row][col] = r
		} else {
			lines[row] = append(lines[row], r)
		}
		col++
	}
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\r':
			col = 0
		case r == '\n':
			row, col = row+1, 0
		case r == '\b':
			if col > 0 {
				col--
			}
		case r == '\a':
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
				j++
			}
			if j >= len(rs) {
				i = j
				continue
			}
			param, final := string(rs[i+2:j]), rs[j]
			n := 1
			if _, err := fmt.Sscanf(param, "%d", &n); err != nil || n < 1 {
				n = 1
			}
			switch final {
			case 'D':
				col = max(0, col-n)
			case 'C':
				col += n
			case 'K':
				if row < len(lines) && col < len(lines[row]) {
					lines[row] = lines[row][:col]
				}
			}
			i = j
		case r == 0x1b:
			i++ // a two-byte sequence (keypad modes)
		case r < ' ':
		default:
			put(r)
		}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.TrimRight(string(l), " ") + "\n")
	}
	return b.String()
}

// ptyDriver types into a terminal and waits for what the program prints.
type ptyDriver struct {
	t      *testing.T
	master *os.File
	out    *testenv.Buffer
}

func (d *ptyDriver) send(keys string) {
	_, err := d.master.WriteString(keys)
	require.NoError(d.t, err)
}

// waitCount waits until the output holds n times s.
func (d *ptyDriver) waitCount(s string, n int) {
	d.t.Helper()
	if !testenv.Poll(testenv.WaitTimeout, func() bool { return strings.Count(d.out.String(), s) >= n }) {
		d.t.Fatalf("timed out waiting for %d× %q in the terminal's output:\n%q", n, s, d.out.String())
	}
}

// shellSession types the keystrokes of the terminal test; interrupt is the user's Ctrl-C.
func shellSession(d *ptyDriver, interrupt func()) {
	d.waitCount("supervisor> ", 1)
	d.send("vers\t")
	d.waitCount("version", 1)
	d.send("\n")
	d.waitCount("supervisor> ", 2)
	d.send("status gr\t")
	d.waitCount("grp:", 1)
	d.send("\t")
	time.Sleep(100 * time.Millisecond) // the first Tab only rings the bell
	d.send("\t")
	d.waitCount("grp:gb", 1)
	d.send("ga\n")
	d.waitCount("supervisor> ", 4)
	d.send("\x1b[A\x1b[A\n") // the history: version
	d.waitCount("4.2.5", 2)
	d.waitCount("supervisor> ", 5)
	d.send("xx\x7f\x7fsig\x01\x05\x15tail -f web\n")
	d.waitCount("web-out", 1)
	time.Sleep(200 * time.Millisecond)
	interrupt()
	d.waitCount("supervisor> ", 6)
	d.send("\x04")
}

// TestShellTerminal drives the real supervisorctl and our shell through a pseudo-terminal
// with the same keystrokes (Tab completion of an action and of a group, the list of
// candidates, the history, editing keys, tail -f ended by Ctrl-C, Ctrl-D) and compares what
// the terminal shows and the history file each leaves.
func TestShellTerminal(t *testing.T) {
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	srv := startRealServer(t, "")
	run := func(name string, start func(ttyPath, history string) (interrupt func(), wait func())) (string, string) {
		master, ttyPath := openPTY(t)
		history := filepath.Join(t.TempDir(), name+".history")
		out := &testenv.Buffer{}
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			buf := make([]byte, 4096)
			for {
				n, err := master.Read(buf)
				_, _ = out.Write(buf[:n])
				if err != nil {
					return
				}
			}
		}()
		defer func() {
			master.Close()
			<-readDone
		}()
		interrupt, wait := start(ttyPath, history)
		shellSession(&ptyDriver{t: t, master: master, out: out}, interrupt)
		wait()
		data, _ := os.ReadFile(history)
		return screen(out.String()), string(data)
	}
	realScreen, realHistory := run("real", func(ttyPath, history string) (func(), func()) {
		tty := openTTY(t, ttyPath, false)
		defer tty.Close() // the child has its copy
		cmd := exec.Command(supervisorctl, "-c", srv.conf, "-r", history)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.Env = append(os.Environ(), "TERM=dumb", "LANG=C.UTF-8")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return func() { _ = cmd.Process.Signal(os.Interrupt) }, func() {
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Error("supervisorctl did not end at Ctrl-D")
			}
		}
	})
	oursScreen, oursHistory := run("ours", func(ttyPath, history string) (func(), func()) {
		tty := openTTY(t, ttyPath, true)
		interrupts := make(chan os.Signal, 1)
		c := New(Options{Argv0: "ctl", Stdin: tty, Stdout: tty, Stderr: tty, Interrupts: interrupts})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		done := make(chan int, 1)
		go func() { done <- c.Run(ctx, []string{"-c", srv.conf, "-r", history}) }()
		return func() { interrupts <- os.Interrupt }, func() {
			defer cancel()
			defer tty.Close() // ends the read of our input goroutine
			select {
			case rc := <-done:
				assert.Equal(t, ExitSuccess, rc)
			case <-time.After(20 * time.Second):
				t.Error("our shell did not end at Ctrl-D")
			}
		}
	})
	norm := func(s string) string { return normaliseShell(strings.ReplaceAll(s, "^C", "")) }
	assert.Equal(t, norm(realScreen), norm(oursScreen))
	assert.Equal(t, realHistory, oursHistory)
	assert.Equal(t, "version\nstatus grp:ga\nversion\ntail -f web\n", oursHistory)
}
