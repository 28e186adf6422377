package ctl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
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

// openTTY opens the terminal side, 50 rows of 80 columns, for a child process.
func openTTY(t *testing.T, path string) *os.File {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
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

// ctlChildEnv makes the test binary run ctl (runCtlChild) instead of the tests: our shell
// as a process of its own, with the pseudo-terminal as its controlling terminal, so that a
// typed Ctrl-C reaches it as SIGINT, as it reaches supervisorctl.
const ctlChildEnv = "SUPERVISORD_LITE_TEST_CTL"

// runCtlChild is ctl as a program wires it (examples/supervisord-lite): SIGINT on
// Options.Interrupts; args are the command line.
func runCtlChild(args []string) int {
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	c := New(Options{Argv0: "supervisorctl", Interrupts: interrupts})
	return c.Run(context.Background(), args)
}

// ptyDriver types into a terminal and waits for what the program shows.
type ptyDriver struct {
	t      *testing.T
	master *os.File
	out    *testenv.Buffer
	prompt string
	name   string // the program on the terminal, for failure messages
}

func (d *ptyDriver) send(keys string) {
	d.t.Helper()
	_, err := d.master.WriteString(keys)
	require.NoError(d.t, err)
}

// waitScreen waits until the terminal's screen holds n times s (a line of its own when s
// ends in a newline).
func (d *ptyDriver) waitScreen(s string, n int) {
	d.t.Helper()
	if !testenv.Poll(testenv.WaitTimeout, func() bool { return strings.Count("\n"+screen(d.out.String()), s) >= n }) {
		d.t.Fatalf("%s: timed out waiting for %d× %q on the terminal's screen:\n%s", d.name, n, s, screen(d.out.String()))
	}
}

// waitPrompt waits until the screen shows the n-th prompt.
func (d *ptyDriver) waitPrompt(n int) {
	d.t.Helper()
	d.waitScreen("\n"+d.prompt, n)
}

// ptyRun is a program run on a new pseudo-terminal: the driver and the end of its run.
type ptyRun struct {
	*ptyDriver
	done chan error
	cmd  *exec.Cmd
}

// startOnPTY runs argv on a new pseudo-terminal as its controlling terminal (a session of
// its own, as a login shell starts a program), with env added to the environment.
func startOnPTY(t *testing.T, argv []string, env ...string) *ptyRun {
	t.Helper()
	master, ttyPath := openPTY(t)
	tty := openTTY(t, ttyPath)
	defer tty.Close() // the child has its copy
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
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.Env = append(os.Environ(), append([]string{"TERM=dumb", "LANG=C.UTF-8"}, env...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	r := &ptyRun{ptyDriver: &ptyDriver{t: t, master: master, out: out, prompt: "supervisor>", name: strings.Join(argv, " ")}, done: make(chan error, 1), cmd: cmd}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = cmd.Process.Kill()
			<-r.done
		}
		master.Close()
		<-readDone
	})
	return r
}

// wait waits for the program to end and returns its screen; it fails the test if the program
// does not end with status 0 in time.
func (r *ptyRun) wait() string {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		assert.NoError(r.t, err)
	case <-time.After(testenv.WaitTimeout):
		r.t.Errorf("%s did not end; its screen:\n%s", r.cmd.Path, screen(r.out.String()))
	}
	return screen(r.out.String())
}

// TestShellTerminal drives the real supervisorctl and our shell through a pseudo-terminal
// with the same keystrokes, each against a supervisord of its own, and compares what the
// terminal shows and the history file each leaves: Tab completion of an action, of a group
// and the list of candidates, the history, editing keys, tail -f and fg (with input) ended
// by Ctrl-C, a server shut down mid-session, Ctrl-D; and Ctrl-C at the prompt. Every step
// waits for what the previous one shows, with a deadline.
func TestShellTerminal(t *testing.T) {
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	type result struct{ interrupted, session, history string }
	run := func(argv []string, env ...string) result {
		history := filepath.Join(t.TempDir(), "history")
		srv := startRealServer(t, "history_file="+history)
		argv = append(argv, "-c", srv.conf)
		var res result

		// Ctrl-C at the prompt ends the shell.
		a := startOnPTY(t, argv, env...)
		a.waitPrompt(1)
		a.send("\x03")
		res.interrupted = normaliseShell(a.wait(), srv.dir)

		d := startOnPTY(t, argv, env...)
		d.waitPrompt(1)
		d.send("vers\t")
		d.waitScreen("supervisor> version", 1)
		d.send("\n")
		d.waitPrompt(2)
		d.send("status gr\t\t\t") // completes grp:, rings the bell, lists
		d.waitPrompt(3)
		d.send("ga\n")
		d.waitPrompt(4)
		d.send("\x1b[A\x1b[A\n") // the history: version
		d.waitPrompt(5)
		d.send("xx\x7f\x7fsig\x01\x05\x15tail -f web\n")
		d.waitScreen("\nweb-out\n", 1)
		d.send("\x03")
		d.waitPrompt(6)
		d.send("fg cat\n")
		d.waitScreen("==> Press Ctrl-C to exit <==", 2)
		d.send("hello\n")
		d.waitScreen("hello\n", 2) // the echo of the input, and cat's output
		d.send("\x03")
		d.waitPrompt(7)
		srv.shutdown(t)
		d.send("status\n")
		d.waitPrompt(8)
		d.send("\x04")
		res.session = normaliseShell(d.wait(), srv.dir)
		data, err := os.ReadFile(history)
		require.NoError(t, err)
		res.history = string(data)
		return res
	}
	real := run([]string{supervisorctl})
	ours := run([]string{os.Args[0]}, ctlChildEnv+"=1")
	// supervisorctl's own race: a Ctrl-C that lands inside a callback of its asyncore loop
	// is reported by the stream's error handler instead of ending tail -f with an empty line
	// (seen about once in five runs); both end the same way, at the prompt.
	// And, after fg, its stream thread may still run in asyncore when it is killed and print
	// an AttributeError (seen about once in five runs); fg has ended either way.
	reTailInterrupted := regexp.MustCompile(`(?m)^\S+ Cannot connect, error: <class 'KeyboardInterrupt'> \(\)$`)
	reFgThread := regexp.MustCompile(`(?m)^error: <class 'AttributeError'>, 'NoneType' object has no attribute '_fileno': file: \S+/asyncore_25.py line: \d+\n`)
	// And its fg output thread may print the process's last output once more after "Exiting
	// foreground" (the thread is still reading when the main thread prints; seen once in CI).
	// Or that thread, reading on a connection already closed or being ended, prints a
	// connection error (OSError EBADF, SystemExit) after the next prompt (seen in CI).
	// How many times the fg screen shows "hello" (the echo of the input, cat's output read
	// from its log, sometimes read twice, sometimes once more after "Exiting foreground") is
	// the timing of supervisorctl's thread (seen in CI and in -count=15 runs): a run of them
	// counts as one.
	reFgLate := regexp.MustCompile(`(?m)^Exiting foreground\nhello\n`)
	reHellos := regexp.MustCompile(`(?m)^(hello\n)+`)
	reFgClosed := regexp.MustCompile(`\S+ Cannot connect, error: <class '(OSError|SystemExit)'> \((\[Errno 9\] Bad file descriptor)?\)\n`)
	norm := func(s string) string {
		s = reFgThread.ReplaceAllLiteralString(strings.ReplaceAll(s, "^C", ""), "")
		s = reFgLate.ReplaceAllLiteralString(s, "Exiting foreground\n")
		s = reFgClosed.ReplaceAllLiteralString(s, "")
		s = reHellos.ReplaceAllLiteralString(s, "hello\n")
		return reTailInterrupted.ReplaceAllLiteralString(s, "")
	}
	assert.Equal(t, norm(real.interrupted), norm(ours.interrupted))
	assert.Equal(t, norm(real.session), norm(ours.session))
	assert.Equal(t, real.history, ours.history)
	t.Logf("the terminal:\n%s", ours.session)
}
