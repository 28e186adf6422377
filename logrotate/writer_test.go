package logrotate

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunk returns supervisord probe l's chunk i: "chunkNN-" + x * (size-9) + "\n".
func chunk(i, size int) []byte {
	return []byte(fmt.Sprintf("chunk%02d-%s\n", i, strings.Repeat("x", size-9)))
}

// fileSizes lists the regular files in dir with their sizes.
func fileSizes(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		require.NoError(t, err)
		out[e.Name()] = fi.Size()
	}
	return out
}

// chunksIn returns the chunk numbers found in a file, in order.
func chunksIn(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line != "" {
			out = append(out, line[:7])
		}
	}
	return out
}

// The rotation supervisord 4.2.5 was measured doing (reference README 2.l, probe/l and probe/k).
func TestRotationMatchesSupervisordMeasurements(t *testing.T) {
	cases := []struct {
		name     string
		maxBytes int64
		backups  int
		writes   []int // sizes of the writes
		want     map[string]int64
		chunks   map[string][]string
	}{
		{
			name: "probe l: 1KB, 2 backups, ten 300-byte writes", maxBytes: 1024, backups: 2,
			writes: []int{300, 300, 300, 300, 300, 300, 300, 300, 300, 300},
			want:   map[string]int64{"rot.log": 600, "rot.log.1": 1200, "rot.log.2": 1200},
			chunks: map[string][]string{
				"rot.log":   {"chunk09", "chunk10"},
				"rot.log.1": {"chunk05", "chunk06", "chunk07", "chunk08"},
				"rot.log.2": {"chunk01", "chunk02", "chunk03", "chunk04"},
			},
		},
		{
			name: "probe k: one 5271-byte write", maxBytes: 1024, backups: 2,
			writes: []int{5271},
			want:   map[string]int64{"rot.log": 0, "rot.log.1": 5271},
		},
		{
			name: "backups=0 truncates in place", maxBytes: 1024, backups: 0,
			writes: []int{300, 300, 300, 300, 300},
			want:   map[string]int64{"rot.log": 300},
			chunks: map[string][]string{"rot.log": {"chunk05"}},
		},
		{
			name: "maxbytes=0 never rotates", maxBytes: 0, backups: 2,
			writes: []int{300, 300, 300, 300, 300},
			want:   map[string]int64{"rot.log": 1500},
		},
		{
			name: "exactly maxbytes rotates", maxBytes: 600, backups: 1,
			writes: []int{300, 300, 300},
			want:   map[string]int64{"rot.log": 300, "rot.log.1": 600},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := &Writer{Filename: filepath.Join(dir, "rot.log"), MaxBytes: tc.maxBytes, Backups: tc.backups}
			for i, n := range tc.writes {
				k, err := w.Write(chunk(i+1, n))
				require.NoError(t, err)
				require.Equal(t, n, k)
			}
			require.NoError(t, w.Close())
			assert.Equal(t, tc.want, fileSizes(t, dir))
			for name, want := range tc.chunks {
				assert.Equal(t, want, chunksIn(t, filepath.Join(dir, name)), name)
			}
			assert.Zero(t, w.Dropped())
		})
	}
}

func TestWriterAppendsToExistingFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.log")
	require.NoError(t, os.WriteFile(name, bytes.Repeat([]byte("y"), 1000), 0o600))
	w := &Writer{Filename: name, MaxBytes: 1024, Backups: 3}
	_, _ = w.Write(chunk(1, 30))
	// 1000 existing + 30 new bytes reach MaxBytes: the existing content rotates with the write.
	assert.Equal(t, int64(0), w.Size())
	require.NoError(t, w.Close())
	assert.Equal(t, map[string]int64{"a.log": 0, "a.log.1": 1030}, fileSizes(t, dir))
}

func TestReopenRotateClear(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.log")
	w := &Writer{Filename: name, Backups: 2}
	defer w.Close()

	_, _ = w.Write([]byte("one\n"))
	// External rotation (logrotate's create): rename, then Reopen.
	require.NoError(t, os.Rename(name, name+".old"))
	_, _ = w.Write([]byte("two\n")) // still goes to the renamed file
	require.NoError(t, w.Reopen())
	_, _ = w.Write([]byte("three\n"))
	assertFile(t, name+".old", "one\ntwo\n")
	assertFile(t, name, "three\n")
	assert.Equal(t, int64(6), w.Size())

	require.NoError(t, w.Rotate())
	_, _ = w.Write([]byte("four\n"))
	assertFile(t, name+".1", "three\n")
	assertFile(t, name, "four\n")

	// Clear removes the current file and reopens it; backups stay.
	require.NoError(t, w.Clear())
	assertFile(t, name, "")
	assert.Equal(t, int64(0), w.Size())
	_, _ = w.Write([]byte("five\n"))
	assertFile(t, name, "five\n")
	assertFile(t, name+".1", "three\n")

	// Clear on a file someone already removed is not an error.
	require.NoError(t, os.Remove(name))
	require.NoError(t, w.Clear())
	assertFile(t, name, "")

	// Write after Close reopens.
	require.NoError(t, w.Close())
	_, _ = w.Write([]byte("six\n"))
	assertFile(t, name, "six\n")
}

func TestModeDefault(t *testing.T) {
	old := setUmask(0)
	defer setUmask(old)
	for _, tc := range []struct {
		mode os.FileMode
		want os.FileMode
	}{{0, 0o644}, {0o600, 0o600}} {
		dir := t.TempDir()
		w := &Writer{Filename: filepath.Join(dir, "m.log"), Mode: tc.mode}
		_, _ = w.Write([]byte("x"))
		require.NoError(t, w.Close())
		fi, err := os.Stat(w.Filename)
		require.NoError(t, err)
		assert.Equal(t, tc.want, fi.Mode().Perm())
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if assert.NoError(t, err) {
		assert.Equal(t, want, string(got), path)
	}
}

func sortedKeys(m map[string]int64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fmtSscanf parses the sequence number of a seqLine.
func fmtSscanf(l string, n *int) (int, error) { return fmt.Sscanf(l, "line %d", n) }

// A FIFO (like /dev/stdout) is written to but never renamed or truncated.
func TestNonRegularFileIsNeverRotated(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the Writer opens the other end
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	w := &Writer{Filename: fifo, MaxBytes: 10, Backups: 2, Every: Hourly}
	for i := 0; i < 5; i++ {
		_, _ = w.Write([]byte("0123456789abcdef\n"))
	}
	require.NoError(t, w.Rotate())
	require.NoError(t, w.Close())
	assert.Equal(t, strings.Repeat("0123456789abcdef\n", 5), string(<-got))
	assert.Zero(t, w.Dropped())
	fi, err := os.Stat(fifo)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type())
	assert.Equal(t, []string{"pipe"}, dirNames(t, dir))
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// After an external truncation (logrotate's copytruncate) the Writer asks the kernel where its
// append ended before rotating, so it does not rotate a nearly empty file.
func TestExternalTruncationDoesNotCauseEarlyRotation(t *testing.T) {
	dir := t.TempDir()
	w := &Writer{Filename: filepath.Join(dir, "t.log"), MaxBytes: 1000, Backups: 2}
	defer w.Close()
	_, _ = w.Write(chunk(1, 900))
	require.NoError(t, os.Truncate(w.Filename, 0))
	_, _ = w.Write(chunk(2, 200)) // 1100 by the Writer's count, 200 on disk
	assert.Equal(t, map[string]int64{"t.log": 200}, fileSizes(t, dir))
	assert.Equal(t, int64(200), w.Size())
	_, _ = w.Write(chunk(3, 800)) // now 1000 on disk: rotates
	assert.Equal(t, map[string]int64{"t.log": 0, "t.log.1": 1000}, fileSizes(t, dir))
}
