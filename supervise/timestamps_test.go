package supervise

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

func TestCaptureTimestamps(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	sv := New(Options{ChildLogDir: dir, Clock: clock})
	c := &capture{sv: sv, name: "w", channel: "stdout", stamp: true,
		file: &logrotate.Writer{Filename: filepath.Join(dir, "w.log")}}
	c.Write([]byte("one\ntw"))
	clock.Advance(1500 * time.Millisecond)
	c.Write([]byte("o\nthree\nfour"))
	clock.Advance(time.Second)
	c.endOfStream()
	require.NoError(t, c.file.Close())
	b, err := os.ReadFile(filepath.Join(dir, "w.log"))
	require.NoError(t, err)
	assert.Equal(t, "2026-11-25 23:23:54,305 one\n"+
		"2026-11-25 23:23:55,805 two\n"+
		"2026-11-25 23:23:55,805 three\n"+
		"2026-11-25 23:23:56,805 four", string(b))
	assert.Equal(t, "one\ntwo\nthree\nfour", string(c.last()), "the tail keeps the raw output")
}

func TestRealLogRotateDailyCompressed(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "talk", "print", "3")
	p.AutoRestart = RestartNever
	p.StartSecs = -1
	p.Stdout = Log{Path: filepath.Join(h.dir, "talk.log"), Every: logrotate.Daily, Compress: true, Timestamps: true, Backups: 5}
	p.Stderr.Path = LogNone
	h.add(p)
	h.untilState("talk", Exited)
	b, err := os.ReadFile(p.Stdout.Path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 3, "%q", b)
	for i, l := range lines {
		_, err := time.ParseInLocation("2006-01-02 15:04:05,000", l[:23], time.Local)
		assert.NoError(t, err, l)
		assert.Equal(t, " out "+string(rune('0'+i)), l[23:])
	}
}

// The Log options reach the program's logrotate.Writer, which rotates on the supervisor's
// clock: a line after midnight lands in a new file and yesterday's is gzipped.
func TestLogRotateDailyOnTheSupervisorClock(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock() // 23:23:54
	sv := New(Options{ChildLogDir: dir, Clock: clock})
	path := filepath.Join(dir, "app.log")
	c, got, err := sv.newCapture("app", Program{Name: "app"}, "stdout",
		Log{Path: path, Every: logrotate.Daily, Compress: true, MaxAge: 48 * time.Hour, Backups: 3}.withDefaults())
	require.NoError(t, err)
	assert.Equal(t, path, got)
	assert.Equal(t, logrotate.Daily, c.file.Every)
	assert.Equal(t, 48*time.Hour, c.file.MaxAge)
	c.Write([]byte("yesterday\n"))
	clock.Advance(time.Hour)
	c.Write([]byte("today\n"))
	require.NoError(t, c.file.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "today\n", string(b))
	_, err = os.Stat(path + ".1.gz")
	assert.NoError(t, err, "the rotated file is compressed")
}
