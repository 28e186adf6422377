package logrotate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// disk is a fake disk shared by the files a test's Writer opens: while err is set, writes get
// half of their bytes through and then fail with err, the way a filling disk behaves, and opens
// fail with openErr.
type disk struct {
	mu      sync.Mutex
	err     error
	openErr error
}

func (d *disk) set(writeErr, openErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err, d.openErr = writeErr, openErr
}

func (d *disk) open(name string, flag int, perm os.FileMode) (logFile, error) {
	d.mu.Lock()
	err := d.openErr
	d.mu.Unlock()
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &flakyFile{File: f, d: d}, nil
}

type flakyFile struct {
	*os.File
	d *disk
}

func (f *flakyFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	err := f.d.err
	f.d.mu.Unlock()
	if err == nil {
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:len(p)/2])
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: err}
}

// errorLog records OnError calls.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func TestDiskErrorsAreDroppedReportedOnceAndRecovered(t *testing.T) {
	for _, tc := range []struct {
		name      string
		writeErr  error
		openErr   error
		rotations bool
	}{
		{"ENOSPC on write", syscall.ENOSPC, nil, false},
		{"EIO on write, then reopen", syscall.EIO, syscall.EIO, false},
		{"ENOSPC while rotating", syscall.ENOSPC, syscall.ENOSPC, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := &disk{}
			errs := &errorLog{}
			clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.Local)
			w := &Writer{Filename: filepath.Join(dir, "d.log"), OnError: errs.add, openFile: d.open,
				Now: func() time.Time { return clock }}
			if tc.rotations {
				w.MaxBytes, w.Backups = 500, 50
			}
			var written, lost bytes.Buffer
			line := func(i int) []byte { return []byte(seqLine(i)) }
			i := 0
			for ; i < 100; i++ {
				n, err := w.Write(line(i))
				require.NoError(t, err)
				require.Equal(t, len(line(i)), n)
				written.Write(line(i))
			}
			fail := func(n int) {
				d.set(tc.writeErr, tc.openErr)
				for end := i + n; i < end; i++ {
					n, err := w.Write(line(i))
					assert.NoError(t, err)
					assert.Equal(t, len(line(i)), n)
					lost.Write(line(i))
				}
			}
			succeed := func(n int) {
				d.set(nil, nil)
				for end := i + n; i < end; i++ {
					_, _ = w.Write(line(i))
					written.Write(line(i))
				}
			}
			for episode := 0; episode < 2; episode++ {
				fail(60)
				// Writes that succeed less than ErrorQuiet after the last failure, then fail
				// again (a nearly full disk): the same episode.
				clock = clock.Add(ErrorQuiet / 2)
				succeed(10)
				clock = clock.Add(ErrorQuiet / 2)
				fail(40)
				clock = clock.Add(ErrorQuiet - time.Second)
				succeed(10)
				require.Len(t, errs.all(), episode+1, "alternations within ErrorQuiet are one episode")
				// A success ErrorQuiet after the last failure ends it; the next failure is new.
				clock = clock.Add(time.Second)
				succeed(90)
				// One report per episode, naming the cause.
				got := errs.all()
				require.Len(t, got, episode+1)
				assert.ErrorIs(t, got[episode], tc.writeErr)
			}
			require.NoError(t, w.Close())
			assert.Equal(t, int64(lost.Len()), w.Dropped())

			// Only whole writes reached the disk, each once, in order.
			var onDisk []byte
			for k := 50; k >= 1; k-- {
				if b, err := os.ReadFile(w.backupName(k, false)); err == nil {
					onDisk = append(onDisk, b...)
				}
			}
			b, err := os.ReadFile(w.Filename)
			require.NoError(t, err)
			onDisk = append(onDisk, b...)
			assert.Equal(t, written.String(), string(onDisk))
		})
	}
}

// The directory disappears: the rotation cannot reopen the file, bytes are dropped, and writing
// resumes once the directory is back.
func TestDirectoryGoneAndBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	require.NoError(t, os.Mkdir(dir, 0o755))
	errs := &errorLog{}
	w := &Writer{Filename: filepath.Join(dir, "g.log"), MaxBytes: 100, Backups: 1, OnError: errs.add}
	defer w.Close()
	_, _ = w.Write([]byte(strings.Repeat("a", 50) + "\n"))
	require.NoError(t, os.RemoveAll(dir))
	_, _ = w.Write([]byte(strings.Repeat("b", 59) + "\n")) // reaches MaxBytes: rotation fails
	for i := 0; i < 10; i++ {
		_, _ = w.Write([]byte("dropped\n"))
	}
	assert.Equal(t, int64(80), w.Dropped())
	require.Len(t, errs.all(), 1)
	assert.ErrorIs(t, errs.all()[0], os.ErrNotExist)

	require.NoError(t, os.Mkdir(dir, 0o755))
	_, _ = w.Write([]byte("back\n"))
	assertFile(t, w.Filename, "back\n")
	assert.Equal(t, int64(80), w.Dropped())
	assert.Len(t, errs.all(), 1)
}

// A real small tmpfs filled up (needs root and mount permission; E2E=1 makes that mandatory),
// written by Write and by Write2 (each line in two halves: writev(2), short writes undone).
func TestRealFullTmpfs(t *testing.T) {
	for _, tt := range []struct {
		name  string
		split bool
	}{{"Write", false}, {"Write2", true}} {
		t.Run(tt.name, func(t *testing.T) { realFullTmpfs(t, tt.split) })
	}
}

func realFullTmpfs(t *testing.T, split bool) {
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		testenv.Missing(t, "permission to mount a tmpfs (run as root): "+err.Error())
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, 0) })

	errs := &errorLog{}
	w := &Writer{Filename: filepath.Join(mnt, "full.log"), MaxBytes: 64 << 10, Backups: 10, OnError: errs.add}
	var all bytes.Buffer
	i := 0
	write := func(n int) {
		for end := i + n; i < end; i++ {
			l := []byte(seqLine(i))
			var k int
			var err error
			if split {
				k, err = w.Write2(l[:len(l)/2], l[len(l)/2:])
			} else {
				k, err = w.Write(l)
			}
			require.NoError(t, err)
			require.Equal(t, len(l), k)
			all.Write(l)
		}
	}
	// 256 KiB fill up after ~7000 lines of ~40 bytes; write well past that.
	write(12000)
	require.Greater(t, w.Dropped(), int64(0), "the tmpfs never filled")
	require.Len(t, errs.all(), 1)
	assert.ErrorIs(t, errs.all()[0], syscall.ENOSPC)
	droppedWhileFull := w.Dropped()

	// Free space: keep what the backups hold, then delete them.
	var kept []byte
	for k := 10; k >= 1; k-- {
		if b, err := os.ReadFile(w.backupName(k, false)); err == nil {
			kept = append(kept, b...)
			require.NoError(t, os.Remove(w.backupName(k, false)))
		}
	}
	write(2000)
	assert.Equal(t, droppedWhileFull, w.Dropped(), "writing did not resume after space was freed")
	assert.Len(t, errs.all(), 1)
	require.NoError(t, w.Close())
	for k := 10; k >= 1; k-- {
		if b, err := os.ReadFile(w.backupName(k, false)); err == nil {
			kept = append(kept, b...)
		}
	}
	b, err := os.ReadFile(w.Filename)
	require.NoError(t, err)
	kept = append(kept, b...)

	// Every line on disk is whole and in order; lost bytes are exactly the dropped count.
	assert.Equal(t, int64(all.Len()), int64(len(kept))+w.Dropped())
	lines := strings.Split(strings.TrimSuffix(string(kept), "\n"), "\n")
	prev := -1
	for _, l := range lines {
		var n int
		if !assert.True(t, strings.HasPrefix(l, "line "), "torn line %q", l) {
			break
		}
		_, err := fmtSscanf(l, &n)
		require.NoError(t, err, l)
		require.Equal(t, seqLine(n), l+"\n", "torn line")
		require.Greater(t, n, prev, "line out of order or duplicated")
		prev = n
	}
	assert.Equal(t, i-1, prev)
}

// OnError runs without the Writer's lock: it may write to the same Writer (a supervisor logging
// "log write failed" into its own log) without deadlocking, and that write does not start a new
// episode.
func TestOnErrorMayWriteToTheSameWriter(t *testing.T) {
	d := &disk{}
	var w *Writer
	calls := 0
	w = &Writer{Filename: filepath.Join(t.TempDir(), "s.log"), openFile: d.open, OnError: func(err error) {
		calls++
		_, _ = w.Write([]byte("log write failed: " + err.Error() + "\n"))
	}}
	defer w.Close()
	d.set(syscall.ENOSPC, nil)
	_, _ = w.Write([]byte("first\n"))
	_, _ = w.Write([]byte("second\n"))
	assert.Equal(t, 1, calls)
	d.set(nil, nil)
	_, _ = w.Write([]byte("third\n"))
	assertFile(t, w.Filename, "third\n")
}
