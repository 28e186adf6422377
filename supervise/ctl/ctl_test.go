package ctl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// run runs a Ctl with args and returns stdout, stderr and the exit status.
func run(t testing.TB, opts Options, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.Stdout, opts.Stderr = &out, &errOut
	if opts.Argv0 == "" {
		opts.Argv0 = "ctl"
	}
	if opts.Stdin == nil {
		opts.Stdin = strings.NewReader("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc := New(opts).Run(ctx, args)
	return out.String(), errOut.String(), rc
}

// TestServerDown runs ctl against a socket that does not exist: the texts and exit
// statuses supervisorctl gives for a server that is down.
func TestServerDown(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		args []string
		out  string
		rc   int
	}{
		{[]string{"status"}, sock + " no such file\n", ExitStatusUnknown},
		{[]string{"start", "x"}, sock + " no such file\n", ExitNotRunning},
		{[]string{"version"}, sock + " no such file\n", ExitNotRunning},
		{[]string{"avail"}, "error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory\n", ExitGeneric},
		{[]string{"shutdown"}, "ERROR: " + sock + " no such file (already shut down?)\n", ExitGeneric},
		{[]string{"nosuch"}, "*** Unknown syntax: nosuch\n", ExitGeneric},
		{[]string{""}, "", ExitSuccess},
		{[]string{"help", "help"}, "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n", ExitSuccess},
	}
	for _, tt := range tests {
		out, _, rc := run(t, Options{}, append([]string{"-s", sock}, tt.args...)...)
		assert.Equal(t, tt.out, out, "%q", tt.args)
		assert.Equal(t, tt.rc, rc, "%q", tt.args)
	}
	// No action, or -i alone, is the shell: `status` first, then the prompt; EOF ends it
	// with an empty line and exit status 0, as supervisorctl's.
	for _, args := range [][]string{{"-s", sock}, {"-s", sock, "-i"}} {
		out, errOut, rc := run(t, Options{}, args...)
		assert.Equal(t, ExitSuccess, rc, "%q", args)
		assert.Empty(t, errOut, "%q", args)
		assert.Equal(t, sock+" no such file\nsupervisor> \n", out, "%q", args)
	}
}

// TestExtraCommands: a command given in Options runs with the session's settings, prints
// and sets the exit status; `help <name>` shows its help while `help` stays
// supervisorctl's list; an extra command may replace one of supervisorctl's.
func TestExtraCommands(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	var got Settings
	opts := Options{Commands: []Command{
		{Name: "hello", Help: []string{"hello <who>\tGreet"}, Run: func(s *Session, arg string) error {
			got = s.Settings()
			s.Output("hello " + arg)
			s.SetExit(ExitNotRunning)
			return nil
		}},
		{Name: "version", Help: []string{"version\tOurs"}, Run: func(s *Session, arg string) error {
			return errors.New("boom")
		}},
	}}
	out, _, rc := run(t, opts, "-s", sock, "hello", "  world ")
	assert.Equal(t, "hello world\n", out)
	assert.Equal(t, ExitNotRunning, rc)
	assert.Equal(t, sock, got.ServerURL)

	out, _, rc = run(t, opts, "-s", sock, "help", "hello")
	assert.Equal(t, "hello <who>\tGreet\n", out)
	assert.Equal(t, ExitSuccess, rc)

	out, _, _ = run(t, opts, "-s", sock, "help")
	assert.Equal(t, helpTopics+"\n", out)
	assert.NotContains(t, out, "hello")

	out, _, rc = run(t, opts, "-s", sock, "version")
	assert.Equal(t, "error: <class 'Exception'>, boom\n", out, "an escaping error is printed as supervisorctl prints an exception")
	assert.Equal(t, ExitGeneric, rc)
}

// TestUsageDifferential compares command-line and config-file errors with the real
// supervisorctl's (output, exit status), the program name normalised.
func TestUsageDifferential(t *testing.T) {
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	dir := t.TempDir()
	noCtl := filepath.Join(dir, "noctl.conf")
	require.NoError(t, os.WriteFile(noCtl, []byte("[supervisord]\n"), 0o644))
	brokenProg := filepath.Join(dir, "broken.conf")
	sock := filepath.Join(dir, "none.sock")
	require.NoError(t, os.WriteFile(brokenProg, []byte("[program:x]\nstartsecs=bad\n[supervisorctl]\nserverurl=unix://"+sock+"\n"), 0o644))
	tests := [][]string{
		{"-x", "status"},
		{"--bogus", "status"},
		{"-s"},
		{"-s", "notaurl", "status"},
		{"-c", filepath.Join(dir, "missing.conf"), "status"},
		{"-c", noCtl, "status"},
		{"-c", brokenProg, "status"},
		{"-c", brokenProg, "avail"},
		{"--serverurl=unix://" + sock, "status"},
		{"--serv", "unix://" + sock, "status"},
		{"-s", "unix://" + sock, "pid"},
		{"-s", "unix://" + sock, "reread"},
		{"-s", "http://127.0.0.1:1", "status"},
		{"-s", "http://127.0.0.1:1", "start", "x"},
		{"-s", "http://127.0.0.1:1", "update"},
		{"-s", "unix://" + sock, "help"},
		{"-s", "unix://" + sock, "help", "maintail"},
		{"-s", "unix://" + sock, "?", "start"},
		{"-s", "unix://" + sock, "quit"},
		{"-s", "unix://" + sock, "!ls"},
		{"-s", "unix://" + sock, "start-x"},
	}
	rePyFile := regexp.MustCompile(`(?m): file: \S+ line: \d+$`)
	for _, args := range tests {
		cmd := exec.Command(supervisorctl, args...)
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
		gotRC := New(Options{Argv0: supervisorctl, Stdin: strings.NewReader(""), Stdout: &ours, Stderr: &ours}).Run(ctx, args)
		cancel()
		want := rePyFile.ReplaceAllString(strings.ReplaceAll(real.String(), supervisorctl, "$CTL"), "")
		got := strings.ReplaceAll(ours.String(), supervisorctl, "$CTL")
		assert.Equal(t, want, got, "%q", args)
		assert.Equal(t, wantRC, gotRC, "%q: %s", args, got)
	}
}

// FuzzCommandLine: any command line gives an exit status and never panics or hangs (the
// server is down, so every call fails at once).
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"status", "start all", "tail -f x", "tail -100 x stderr", "signal HUP g:*",
		"maintail -x", "update all", "? start", "!x", "open http://x", "open unix:///x", "help nosuch",
		"pid all", "clear", "fg", "fg a b", "reload now", "version 1", "\x00", "tail -99999999999999 x"} {
		f.Add(s)
	}
	sock := "unix://" + filepath.Join(f.TempDir(), "none.sock")
	f.Fuzz(func(t *testing.T, line string) {
		_, _, rc := run(t, Options{}, "-s", sock, line)
		assert.True(t, rc >= 0 && rc <= 7, "rc %d for %q", rc, line)
	})
}
