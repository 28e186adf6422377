package logrotate

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for Writer.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestPeriodBoundaries(t *testing.T) {
	india := time.FixedZone("IST", 5*3600+1800)
	for _, tc := range []struct {
		p           Period
		at          time.Time
		start, next time.Time
	}{
		{Hourly, time.Date(2026, 11, 26, 10, 29, 59, 0, india), time.Date(2026, 11, 26, 10, 0, 0, 0, india), time.Date(2026, 11, 26, 11, 0, 0, 0, india)},
		{Hourly, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Daily, time.Date(2026, 11, 26, 0, 0, 0, 0, india), time.Date(2026, 11, 26, 0, 0, 0, 0, india), time.Date(2026, 11, 27, 0, 0, 0, 0, india)},
		{Daily, time.Date(2028, 2, 28, 13, 0, 0, 0, india), time.Date(2028, 2, 28, 0, 0, 0, 0, india), time.Date(2028, 2, 29, 0, 0, 0, 0, india)},
	} {
		assert.True(t, tc.start.Equal(tc.p.start(tc.at)), "%v start of %v: %v", tc.p, tc.at, tc.p.start(tc.at))
		assert.True(t, tc.next.Equal(tc.p.next(tc.at)), "%v next of %v: %v", tc.p, tc.at, tc.p.next(tc.at))
	}
	assert.Equal(t, "hourly", Hourly.String())
	assert.Equal(t, "never", Never.String())
	assert.Equal(t, "Period(9)", Period(9).String())
}

func TestTimeBasedRotation(t *testing.T) {
	zone := time.FixedZone("X", 5*3600+1800) // a half-hour zone: hours are local, not UTC
	clock := &fakeClock{t: time.Date(2026, 11, 26, 10, 40, 0, 0, zone)}
	dir := t.TempDir()
	w := &Writer{Filename: filepath.Join(dir, "h.log"), Backups: 5, Every: Hourly, Now: clock.Now}
	defer w.Close()

	_, _ = w.Write([]byte("10:40\n"))
	clock.Set(time.Date(2026, 11, 26, 10, 59, 59, 0, zone))
	_, _ = w.Write([]byte("10:59\n"))
	clock.Set(time.Date(2026, 11, 26, 11, 0, 0, 0, zone))
	_, _ = w.Write([]byte("11:00\n"))
	// An hour with no writes, then one late in the next hour: one rotation, no empty file.
	clock.Set(time.Date(2026, 11, 26, 13, 5, 0, 0, zone))
	_, _ = w.Write([]byte("13:05\n"))
	assertFile(t, w.Filename, "13:05\n")
	assertFile(t, w.backupName(1, false), "11:00\n")
	assertFile(t, w.backupName(2, false), "10:40\n10:59\n")
	_, err := os.Stat(w.backupName(3, false))
	assert.ErrorIs(t, err, os.ErrNotExist)

	// Size rotation still applies inside a period.
	w.MaxBytes = 10
	_, _ = w.Write([]byte("13:06\n"))
	assertFile(t, w.backupName(1, false), "13:05\n13:06\n")
}

// A file last written in an earlier period is rotated by the first Write of a new Writer.
func TestTimeBasedRotationOfAnOldFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "d.log")
	require.NoError(t, os.WriteFile(name, []byte("yesterday\n"), 0o644))
	yesterday := time.Date(2026, 11, 25, 22, 0, 0, 0, time.Local)
	require.NoError(t, os.Chtimes(name, yesterday, yesterday))

	clock := &fakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.Local)}
	w := &Writer{Filename: name, Backups: 2, Every: Daily, Now: clock.Now}
	_, _ = w.Write([]byte("today\n"))
	require.NoError(t, w.Close())
	assertFile(t, name, "today\n")
	assertFile(t, name+".1", "yesterday\n")

	// Written today: not rotated by a new Writer today.
	w2 := &Writer{Filename: name, Backups: 2, Every: Daily, Now: clock.Now}
	require.NoError(t, os.Chtimes(name, clock.Now(), clock.Now()))
	_, _ = w2.Write([]byte("again\n"))
	require.NoError(t, w2.Close())
	assertFile(t, name, "today\nagain\n")
}

func gunzip(t *testing.T, path string) (string, string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(b), zr.Name
}

func TestCompressedBackups(t *testing.T) {
	dir := t.TempDir()
	w := &Writer{Filename: filepath.Join(dir, "z.log"), MaxBytes: 300, Backups: 3, Compress: true}
	for i := 1; i <= 5; i++ {
		_, _ = w.Write(chunk(i, 300))
	}
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"z.log", "z.log.1.gz", "z.log.2.gz", "z.log.3.gz"}, sortedKeys(fileSizes(t, dir)))
	for k, want := range map[int]int{1: 5, 2: 4, 3: 3} {
		got, name := gunzip(t, w.backupName(k, true))
		assert.Equal(t, string(chunk(want, 300)), got, "backup %d", k)
		assert.Equal(t, "z.log.1", name)
	}
	assertFile(t, w.Filename, "")
}

// Switching Compress on or off between runs leaves one file per backup number.
func TestCompressToggleKeepsOneFormPerSlot(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "m.log")
	plain := &Writer{Filename: name, MaxBytes: 100, Backups: 2}
	for i := 1; i <= 3; i++ {
		_, _ = plain.Write(chunk(i, 100))
	}
	require.NoError(t, plain.Close())
	gz := &Writer{Filename: name, MaxBytes: 100, Backups: 2, Compress: true}
	for i := 4; i <= 5; i++ {
		_, _ = gz.Write(chunk(i, 100))
	}
	require.NoError(t, gz.Close())
	assert.Equal(t, []string{"m.log", "m.log.1.gz", "m.log.2.gz"}, sortedKeys(fileSizes(t, dir)))
	got, _ := gunzip(t, name+".2.gz")
	assert.Equal(t, string(chunk(4, 100)), got)
}

func TestMaxAgeRemovesOldBackups(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: now}
	w := &Writer{Filename: filepath.Join(dir, "a.log"), MaxBytes: 100, Backups: 5, MaxAge: 48 * time.Hour, Now: clock.Now}
	for i := 1; i <= 4; i++ {
		_, _ = w.Write(chunk(i, 100))
	}
	// Backups .1 .. .4 now; age .3 and .4 beyond MaxAge and .2 just under it.
	for k, age := range map[int]time.Duration{2: 47 * time.Hour, 3: 49 * time.Hour, 4: 100 * time.Hour} {
		mt := now.Add(-age)
		require.NoError(t, os.Chtimes(w.backupName(k, false), mt, mt))
	}
	_, _ = w.Write(chunk(5, 100)) // rotation: shift, then the ones older than 48 h go
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"a.log", "a.log.1", "a.log.2", "a.log.3"}, sortedKeys(fileSizes(t, dir)))
	assertFile(t, w.backupName(3, false), string(chunk(3, 100))) // 47 h old: kept
}
