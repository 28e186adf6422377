package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestNamespec(t *testing.T) {
	tests := []struct {
		in, group, process, back string
	}{
		{"web", "web", "web", "web"},
		{"grp:web", "grp", "web", "grp:web"},
		{"grp:*", "grp", "", "grp:"},
		{"grp:", "grp", "", "grp:"},
		{"a:b:c", "a", "b:c", "a:b:c"},
		{":x", "", "x", ":x"},
	}
	for _, tt := range tests {
		g, p := splitNamespec(tt.in)
		assert.Equal(t, tt.group, g, tt.in)
		assert.Equal(t, tt.process, p, tt.in)
		assert.Equal(t, tt.back, makeNamespec(g, p), tt.in)
	}
}

func TestPyRepr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", `'abc'`},
		{"it's", `"it's"`},
		{`say "hi" it's`, `'say "hi" it\'s'`},
		{"a\nb\tc\\", `'a\nb\tc\\'`},
		{"\x01", `'\x01'`},
		{"héllo", `'héllo'`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pyRepr(tt.in), tt.in)
	}
}

func TestPyInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100", 100, true}, {"-5", -5, true}, {"+7", 7, true}, {" 12 ", 12, true},
		{"1_000", 1000, true}, {"1__0", 0, false}, {"_1", 0, false}, {"1_", 0, false},
		{"x", 0, false}, {"", 0, false}, {"1.5", 0, false},
	}
	for _, tt := range tests {
		n, ok := pyInt(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		if tt.ok {
			assert.Equal(t, tt.want, n, tt.in)
		}
	}
}

func TestCtlSectionOnly(t *testing.T) {
	data := "[program:x]\ncommand=\n[supervisorctl]\nserverurl=unix:///a.sock\n[supervisord]\nlogfile=/nonexistent/dir/x.log\n"
	kept, found := ctlSectionOnly([]byte(data))
	require.True(t, found)
	lines := strings.Split(string(kept), "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	assert.Equal(t, []string{"", "", "[supervisorctl]", "serverurl=unix:///a.sock", "", ""}, lines[:6], "line numbers kept")
	_, found = ctlSectionOnly([]byte("[supervisord]\n[supervisorctl2]\n"))
	assert.False(t, found)
}

// TestLoadCtlSection: only [supervisorctl] matters, as for supervisorctl, and %(here)s
// expands to the file's directory.
func TestLoadCtlSection(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.conf")
	require.NoError(t, os.WriteFile(file, []byte("[program:broken]\nstartsecs=x\n[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nusername=u\npassword=p\n"), 0o644))
	c, err := loadCtlSection(file)
	require.NoError(t, err)
	assert.Equal(t, "unix://"+dir+"/s.sock", c.ServerURL)
	assert.Equal(t, "u", c.Username)
	assert.Equal(t, "p", c.Password)

	_, err = loadCtlSection(filepath.Join(dir, "missing.conf"))
	assert.EqualError(t, err, "could not find config file "+filepath.Join(dir, "missing.conf"))
}

// TestCtlServerDown runs ctl in-process against a socket that does not exist: the texts
// and exit statuses supervisorctl gives for a server that is down.
func TestCtlServerDown(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		args []string
		out  string
		rc   int
	}{
		{[]string{"status"}, sock + " no such file\n", 4},
		{[]string{"start", "x"}, sock + " no such file\n", 7},
		{[]string{"version"}, sock + " no such file\n", 7},
		{[]string{"avail"}, "error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory\n", 1},
		{[]string{"shutdown"}, "ERROR: " + sock + " no such file (already shut down?)\n", 1},
		{[]string{"nosuch"}, "*** Unknown syntax: nosuch\n", 1},
		{[]string{""}, "", 0},
		{[]string{"help", "help"}, "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n", 0},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		rc := runCtl("ctl", append([]string{"-s", sock}, tt.args...), &out, &errOut)
		assert.Equal(t, tt.out, out.String(), "%q", tt.args)
		assert.Equal(t, tt.rc, rc, "%q", tt.args)
	}
	// The interactive shell is not reproduced: no action, or -i, is a usage error.
	for _, args := range [][]string{{"-s", sock}, {"-s", sock, "-i", "status"}} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, runCtl("ctl", args, &out, &errOut), "%q", args)
		assert.Contains(t, errOut.String(), "interactive shell is not supported", "%q", args)
		assert.Empty(t, out.String(), "%q", args)
	}
}

// TestCtlUsageDifferential compares command-line and config-file errors with the real
// supervisorctl's (stderr, exit status), the program name normalised.
func TestCtlUsageDifferential(t *testing.T) {
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
		{"-s", "unix:///a", "-s", "unix:///b", "status"},
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
	run := func(argv []string) (string, int) {
		cmd := exec.Command(argv[0], argv[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		require.NoError(t, err)
		return out.String(), 0
	}
	for _, args := range tests {
		want, wantRC := run(append([]string{supervisorctl}, args...))
		got, gotRC := run(append([]string{slBin, "ctl"}, args...))
		want = strings.ReplaceAll(want, supervisorctl, "$CTL")
		got = strings.ReplaceAll(got, slBin+" ctl", "$CTL")
		want = rePyFile.ReplaceAllString(want, "")
		assert.Equal(t, want, got, "%q", args)
		assert.Equal(t, wantRC, gotRC, "%q: %s", args, got)
	}
}

// FuzzCtlCommandLine: any command line gives an exit status and never panics or hangs
// (the server is down, so every RPC fails at once).
func FuzzCtlCommandLine(f *testing.F) {
	for _, s := range []string{"status", "start all", "tail -f x", "tail -100 x stderr", "signal HUP g:*",
		"maintail -x", "update all", "? start", "!x", "open http://x", "open unix:///x", "help nosuch",
		"pid all", "clear", "fg", "fg a b", "reload now", "version 1", "\x00", "tail -99999999999999 x"} {
		f.Add(s)
	}
	sock := "unix://" + filepath.Join(f.TempDir(), "none.sock")
	f.Fuzz(func(t *testing.T, line string) {
		var out, errOut bytes.Buffer
		rc := runCtl("ctl", []string{"-s", sock, line}, &out, &errOut)
		assert.True(t, rc >= 0 && rc <= 7, "rc %d for %q", rc, line)
	})
}

// FuzzCtlSectionOnly: any file content gives kept lines, one for each input line.
func FuzzCtlSectionOnly(f *testing.F) {
	f.Add([]byte("[supervisorctl]\nserverurl=unix:///x\n"))
	f.Add([]byte("[a]\n[supervisorctl\n]\n"))
	f.Add([]byte("no newline"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kept, _ := ctlSectionOnly(data)
		assert.GreaterOrEqual(t, bytes.Count(kept, []byte("\n")), bytes.Count(data, []byte("\n")))
	})
}
