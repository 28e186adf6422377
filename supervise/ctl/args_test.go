package ctl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSectionOnly(t *testing.T) {
	data := "[program:x]\ncommand=\n[supervisorctl]\nserverurl=unix:///a.sock\n[supervisord]\nlogfile=/nonexistent/dir/x.log\n"
	kept, found := sectionOnly([]byte(data))
	require.True(t, found)
	lines := strings.Split(string(kept), "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	assert.Equal(t, []string{"", "", "[supervisorctl]", "serverurl=unix:///a.sock", "", ""}, lines[:6], "line numbers kept")
	_, found = sectionOnly([]byte("[supervisord]\n[supervisorctl2]\n"))
	assert.False(t, found)
}

// TestLoadSection: only [supervisorctl] matters, as for supervisorctl, and %(here)s expands
// to the file's directory.
func TestLoadSection(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.conf")
	require.NoError(t, os.WriteFile(file, []byte("[program:broken]\nstartsecs=x\n[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nusername=u\npassword=p\n"), 0o644))
	c, err := loadSection(file)
	require.NoError(t, err)
	assert.Equal(t, "unix://"+dir+"/s.sock", c.ServerURL)
	assert.Equal(t, "u", c.Username)
	assert.Equal(t, "p", c.Password)

	_, err = loadSection(filepath.Join(dir, "missing.conf"))
	assert.EqualError(t, err, "could not find config file "+filepath.Join(dir, "missing.conf"))
	var ue *UsageError
	assert.ErrorAs(t, err, &ue)
}

// TestParseArgs: the command line wins over [supervisorctl]; the config file is named in
// Settings.
func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.conf")
	require.NoError(t, os.WriteFile(file, []byte("[supervisorctl]\nserverurl=unix:///from/file.sock\nusername=fu\npassword=fp\n"), 0o644))
	s, rest, help, err := parseArgs("ctl", []string{"-c", file, "-u", "cu", "status", "web"})
	require.NoError(t, err)
	assert.False(t, help)
	assert.Equal(t, []string{"status", "web"}, rest)
	assert.Equal(t, Settings{ServerURL: "unix:///from/file.sock", Username: "cu", Password: "fp", ConfigFile: file, Prompt: "supervisor", Timeout: DefaultTimeout}, s)

	// The shell's prompt and history file: [supervisorctl], -r wins and is made absolute.
	shell := filepath.Join(dir, "shell.conf")
	require.NoError(t, os.WriteFile(shell, []byte("[supervisorctl]\nprompt=mybox\nhistory_file=%(here)s/h\n"), 0o644))
	s, _, _, err = parseArgs("ctl", []string{"-c", shell})
	require.NoError(t, err)
	assert.Equal(t, "mybox", s.Prompt)
	assert.Equal(t, filepath.Join(dir, "h"), s.HistoryFile)
	s, _, _, err = parseArgs("ctl", []string{"-c", shell, "-r", "hist"})
	require.NoError(t, err)
	abs, err := filepath.Abs("hist")
	require.NoError(t, err)
	assert.Equal(t, abs, s.HistoryFile)

	s, _, _, err = parseArgs("ctl", []string{"-c", file, "-i", "--serverurl=http://127.0.0.1:1"})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1", s.ServerURL)
	assert.True(t, s.Interactive)

	_, _, help, err = parseArgs("ctl", []string{"-c", file, "-h", "-s", "unix:///x", "status"})
	assert.NoError(t, err)
	assert.True(t, help)
}

// TestParseFleetArgs: -s repeated, --fleet, --json and --timeout make the list of servers;
// one server without --json keeps supervisorctl's settings (no Servers).
func TestParseFleetArgs(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.ini")
	require.NoError(t, os.WriteFile(fleet, []byte("[server:a]\nserverurl=http://127.0.0.1:1\nusername=au\npassword=ap\n[server:b]\nserverurl=unix://%(here)s/b.sock\n"), 0o644))
	one := filepath.Join(dir, "one.ini")
	require.NoError(t, os.WriteFile(one, []byte("[server:solo]\nserverurl=http://127.0.0.1:2\nusername=su\npassword=sp\n"), 0o644))
	ctlConf := filepath.Join(dir, "ctl.conf")
	require.NoError(t, os.WriteFile(ctlConf, []byte("[supervisorctl]\n"), 0o644))
	noConf := []string{"-c", ctlConf}
	parse := func(args ...string) (Settings, error) {
		s, _, _, err := parseArgs("ctl", append(append([]string{}, noConf...), args...))
		return s, err
	}

	s, err := parse("-s", "unix:///a.sock", "-s", "http://127.0.0.1:9", "-u", "cu", "-p", "cp", "--timeout", "1.5", "status")
	require.NoError(t, err)
	assert.Equal(t, []Server{{"unix:///a.sock", "unix:///a.sock", "cu", "cp"}, {"http://127.0.0.1:9", "http://127.0.0.1:9", "cu", "cp"}}, s.Servers)
	assert.Equal(t, 1500*time.Millisecond, s.Timeout)
	assert.True(t, s.fleetMode())

	s, err = parse("--fleet", fleet, "-u", "cu", "-p", "cp", "-s", "unix:///c.sock", "status")
	require.NoError(t, err)
	assert.Equal(t, []Server{{"a", "http://127.0.0.1:1", "au", "ap"}, {"b", "unix://" + dir + "/b.sock", "cu", "cp"},
		{"unix:///c.sock", "unix:///c.sock", "cu", "cp"}}, s.Servers, "-u/-p for servers without username=")
	assert.Equal(t, fleet, s.FleetFile)

	s, err = parse("--fleet", one, "status")
	require.NoError(t, err)
	assert.Empty(t, s.Servers, "one server: supervisorctl's path")
	assert.Equal(t, "http://127.0.0.1:2", s.ServerURL)
	assert.Equal(t, "su", s.Username)
	assert.False(t, s.fleetMode())

	s, err = parse("-s", "unix:///x.sock", "--json", "status")
	require.NoError(t, err)
	assert.Equal(t, []Server{{"unix:///x.sock", "unix:///x.sock", "", ""}}, s.Servers)
	assert.True(t, s.fleetMode())

	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"-s", "unix:///a", "-s", "unix:///a", "status"}, "server 'unix:///a' is given twice"},
		{[]string{"--timeout", "0", "status"}, "invalid value for --timeout '0': want seconds, more than 0 and at most 86400"},
		{[]string{"--timeout", "x", "status"}, "invalid value for --timeout 'x'"},
		{[]string{"--timeout", "NaN", "status"}, "invalid value for --timeout 'NaN'"},
		{[]string{"--json", "--json", "status"}, "conflicting command line option '--json'"},
		{[]string{"--fleet", filepath.Join(dir, "missing.ini"), "status"}, "missing.ini: cannot read fleet file: no such file or directory"},
	} {
		_, err := parse(tt.args...)
		require.Error(t, err, "%q", tt.args)
		assert.Contains(t, err.Error(), tt.err, "%q", tt.args)
		var ue *UsageError
		assert.ErrorAs(t, err, &ue, "%q", tt.args)
	}
}

// FuzzSectionOnly: any file content gives kept lines, one for each input line.
func FuzzSectionOnly(f *testing.F) {
	f.Add([]byte("[supervisorctl]\nserverurl=unix:///x\n"))
	f.Add([]byte("[a]\n[supervisorctl\n]\n"))
	f.Add([]byte("no newline"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kept, _ := sectionOnly(data)
		assert.GreaterOrEqual(t, bytes.Count(kept, []byte("\n")), bytes.Count(data, []byte("\n")))
	})
}
