package logrotate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// startFollow runs Follow in a goroutine; stop cancels it and returns its error.
func startFollow(t *testing.T, path string, from int64) (*testenv.Buffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &testenv.Buffer{}
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() { done <- follow(ctx, path, from, out, func() { close(started) }) }()
	if _, err := os.Stat(path); err == nil {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("Follow did not open the file")
		}
	}
	return out, func() error {
		cancel()
		return <-done
	}
}

func seqLine(i int) string {
	return fmt.Sprintf("line %06d %s\n", i, "abcdefghijklmnopqrstuvwxyz"[:i%27])
}

// Follow across rotations by the Writer (size rotation and Rotate) and Clear: every byte once.
// Each rotation waits until the follower has delivered the first line after the previous one, so
// no file is rotated in and out within one poll; writing itself never waits.
func TestFollowAcrossRotationsDeliversEveryByteOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backups int
		action  func(w *Writer) error
	}{
		{"size rotation", 3, nil},
		{"Rotate", 3, (*Writer).Rotate},
		{"Clear", 3, (*Writer).Clear},
		{"compressed backups", 2, (*Writer).Rotate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "f.log")
			w := &Writer{Filename: name, MaxBytes: 2000, Backups: tc.backups, Compress: tc.name == "compressed backups"}
			if tc.action != nil {
				w.MaxBytes = 0
			}
			_, _ = w.Write([]byte(seqLine(0)))
			out, stop := startFollow(t, name, 0)
			var want bytes.Buffer
			want.WriteString(seqLine(0))
			rotations := 0
			for i := 1; i <= 3000; i++ {
				before := w.Size()
				l := seqLine(i)
				_, _ = w.Write([]byte(l))
				want.WriteString(l)
				rotated := w.Size() < before+int64(len(l)) // the size rotation happened on this write
				if tc.action != nil && i%150 == 0 {
					require.NoError(t, tc.action(w))
					rotated = true
				}
				if rotated {
					rotations++
					next := seqLine(i + 1)
					i++
					_, _ = w.Write([]byte(next))
					want.WriteString(next)
					testenv.WaitFor(t, "follower to reach "+next, func() bool { return bytes.HasSuffix([]byte(out.String()), []byte(next)) })
				}
			}
			testenv.WaitFor(t, "follower to catch up", func() bool { return out.String() == want.String() || len(out.String()) > want.Len() })
			require.NoError(t, stop())
			require.NoError(t, w.Close())
			assert.GreaterOrEqual(t, rotations, 15)
			assert.Equal(t, want.Len(), len(out.String()))
			assert.True(t, want.String() == out.String(), "followed bytes differ from written bytes")
		})
	}
}

// copytruncate done by hand while the follower runs: the bytes written after its last poll and
// before the copy are taken from path.1.
func TestFollowAcrossCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "c.log")
	w := &Writer{Filename: name}
	defer w.Close()
	_, _ = w.Write([]byte("start\n"))
	out, stop := startFollow(t, name, 0)
	var want bytes.Buffer
	want.WriteString("start\n")
	testenv.WaitFor(t, "follower to start", func() bool { return out.String() == "start\n" })
	for round := 0; round < 20; round++ {
		for i := 0; i < 100; i++ {
			l := seqLine(round*100 + i)
			_, _ = w.Write([]byte(l))
			want.WriteString(l)
		}
		if round%2 == 0 {
			// Sometimes the follower has everything before the copy; otherwise the last lines
			// are only in the copy when it notices the truncation.
			testenv.WaitFor(t, "follower to catch up", func() bool { return len(out.String()) >= want.Len() })
		}
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(name+".1", data, 0o644))
		require.NoError(t, os.Truncate(name, 0))
		l := fmt.Sprintf("after truncation %d\n", round)
		_, _ = w.Write([]byte(l))
		want.WriteString(l)
		// One truncation per poll at most, as with any real rotation schedule.
		testenv.WaitFor(t, "follower to catch up", func() bool { return len(out.String()) >= want.Len() })
	}
	waitForOutput(t, "follower to catch up", func() bool { return len(out.String()) >= want.Len() }, out, &want)
	require.NoError(t, stop())
	assert.Equal(t, want.Len(), len(out.String()))
	assert.True(t, want.String() == out.String(), "followed bytes differ from written bytes")
}

// The poll step directly: a file truncated and grown back past the read position between two
// polls is recognised by its content.
func TestFollowPollRecognisesRegrownTruncation(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "t.log")
	first := bytes.Repeat([]byte("a"), 500)
	require.NoError(t, os.WriteFile(name, first, 0o644))
	out := &testenv.Buffer{}
	fl := &follower{path: name, w: out, buf: make([]byte, 128)}
	defer fl.close()
	ok, err := fl.open(name)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, fl.poll())
	assert.Equal(t, string(first), out.String())

	// copytruncate with 10 more bytes written before the copy, then 900 bytes after truncation.
	more := bytes.Repeat([]byte("b"), 10)
	grown := bytes.Repeat([]byte("c"), 900)
	require.NoError(t, os.WriteFile(name+".1", append(append([]byte{}, first...), more...), 0o644))
	require.NoError(t, os.WriteFile(name, grown, 0o644)) // O_TRUNC: same inode
	require.NoError(t, fl.poll())
	assert.Equal(t, string(first)+string(more)+string(grown), out.String())
}

func TestFollowStartOffsets(t *testing.T) {
	for _, tc := range []struct {
		name string
		from int64
		want string
	}{
		{"from 0", 0, "0123456789"},
		{"from 4", 4, "456789"},
		{"last 3", -3, "789"},
		{"last 100", -100, "0123456789"},
		{"past the end", 50, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "o.log")
			require.NoError(t, os.WriteFile(name, []byte("0123456789"), 0o644))
			out, stop := startFollow(t, name, tc.from)
			w := &Writer{Filename: name}
			_, _ = w.Write([]byte("END\n"))
			testenv.WaitFor(t, "END", func() bool { return bytes.HasSuffix([]byte(out.String()), []byte("END\n")) })
			require.NoError(t, stop())
			require.NoError(t, w.Close())
			assert.Equal(t, tc.want+"END\n", out.String())
		})
	}
}

func TestFollowWaitsForMissingFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "later.log")
	out, stop := startFollow(t, name, -5)
	time.Sleep(2 * followPoll)
	w := &Writer{Filename: name}
	_, _ = w.Write([]byte("hello world\n"))
	testenv.WaitFor(t, "hello", func() bool { return out.String() == "hello world\n" })
	require.NoError(t, stop())
	require.NoError(t, w.Close())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestFollowReturnsWriterError(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.log")
	require.NoError(t, os.WriteFile(name, []byte("data"), 0o644))
	err := Follow(context.Background(), name, 0, failingWriter{})
	assert.ErrorIs(t, err, os.ErrClosed)
}

// waitForOutput waits like testenv.WaitFor and, on a timeout, shows where out and want diverge.
func waitForOutput(t *testing.T, what string, cond func() bool, out *testenv.Buffer, want *bytes.Buffer) {
	t.Helper()
	if testenv.Poll(testenv.WaitTimeout, cond) {
		return
	}
	o, w := out.String(), want.String()
	i := 0
	for i < len(o) && i < len(w) && o[i] == w[i] {
		i++
	}
	t.Fatalf("waiting for %s: diverge at %d (out %d want %d): out %q want %q", what, i, len(o), len(w),
		o[max(0, i-40):min(len(o), i+60)], w[max(0, i-40):min(len(w), i+60)])
}

// Many rotations between two polls: the files rotated in and out meanwhile are delivered from
// path.1 .. path.j, in order, so Follow still delivers every byte once.
func TestFollowThroughManyRotationsPerPoll(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "m.log")
	w := &Writer{Filename: name, MaxBytes: 300, Backups: 60}
	_, _ = w.Write([]byte(seqLine(0)))
	out, stop := startFollow(t, name, 0)
	total := len(seqLine(0))
	for i := 1; i < 1000; i++ {
		_, _ = w.Write([]byte(seqLine(i)))
		total += len(seqLine(i))
		if i%100 == 0 {
			// Let the follower catch up now and then (it may be up to 60 rotations behind).
			waitForOutput(t, "follower to catch up", func() bool { return len(out.String()) >= total }, out, wantUpTo(i))
		}
	}
	require.NoError(t, w.Close())
	testenv.WaitFor(t, "follower to catch up", func() bool { return len(out.String()) >= total })
	require.NoError(t, stop())
	var want strings.Builder
	for i := 0; i < 1000; i++ {
		want.WriteString(seqLine(i))
	}
	assert.Equal(t, want.Len(), len(out.String()))
	assert.True(t, want.String() == out.String(), "followed bytes differ from written bytes")
}

func wantUpTo(n int) *bytes.Buffer {
	var b bytes.Buffer
	for i := 0; i <= n; i++ {
		b.WriteString(seqLine(i))
	}
	return &b
}

// slowWriter takes 1 ms per Write.
type slowWriter struct{ n atomic.Int64 }

func (s *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	s.n.Add(int64(len(p)))
	return len(p), nil
}

// A file growing faster than w takes it does not keep Follow from returning when ctx ends.
func TestFollowStopsWhileFileKeepsGrowing(t *testing.T) {
	name := filepath.Join(t.TempDir(), "g.log")
	w := &Writer{Filename: name, MaxBytes: 4 << 20} // truncated in place: bounded disk use
	defer w.Close()
	_, _ = w.Write([]byte("start\n"))
	stopWriting := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		chunk := bytes.Repeat([]byte("y"), 64<<10)
		for i := 0; i < 100000; i++ { // bounded
			select {
			case <-stopWriting:
				return
			default:
			}
			_, _ = w.Write(chunk)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	sw := &slowWriter{}
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, name, 0, sw) }()
	// Cancel once Follow is copying (under load its first write can take a while).
	testenv.WaitFor(t, "Follow to copy the growing file", func() bool { return sw.n.Load() > 0 })
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Error("Follow did not return after ctx ended")
		<-done
	}
	close(stopWriting)
	<-writerDone
	assert.Greater(t, sw.n.Load(), int64(0))
}

// Rotations back to back while Follow moves from file to file: a rotation every few lines, the
// follower up to about 40 rotations behind. Every byte arrives once, in order.
func TestFollowThroughBackToBackRotations(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "b.log")
	w := &Writer{Filename: name, MaxBytes: 100, Backups: 60}
	_, _ = w.Write([]byte(seqLine(0)))
	out, stop := startFollow(t, name, 0) // opened before the writes below
	var want strings.Builder
	want.WriteString(seqLine(0))
	for i := 1; i < 3000; i++ {
		_, _ = w.Write([]byte(seqLine(i)))
		want.WriteString(seqLine(i))
		if i%150 == 149 {
			n := want.Len()
			waitForOutput(t, "catch up", func() bool { return len(out.String()) >= n }, out, bytes.NewBufferString(want.String()))
		}
	}
	require.NoError(t, w.Close())
	testenv.WaitFor(t, "follower to catch up", func() bool { return len(out.String()) >= want.Len() })
	require.NoError(t, stop())
	assert.Equal(t, want.Len(), len(out.String()))
	assert.True(t, want.String() == out.String(), "followed bytes differ from written bytes")
}
