package ctl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	assert.Equal(t, Settings{ServerURL: "unix:///from/file.sock", Username: "cu", Password: "fp", ConfigFile: file, Prompt: "supervisor"}, s)

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
