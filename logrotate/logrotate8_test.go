package logrotate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// runLogrotate forces one rotation of name by the real logrotate(8) with the given directive.
func runLogrotate(t *testing.T, bin, dir, name, directive string) {
	t.Helper()
	conf := filepath.Join(dir, "logrotate.conf")
	if _, err := os.Stat(conf); err != nil {
		body := fmt.Sprintf("%s {\n    %s\n    rotate 1000\n    missingok\n    nocompress\n}\n", name, directive)
		require.NoError(t, os.WriteFile(conf, []byte(body), 0o644))
	}
	out, err := exec.Command(bin, "-f", "-s", filepath.Join(dir, "logrotate.state"), conf).CombinedOutput()
	require.NoError(t, err, "logrotate: %s", out)
}

// readRotated returns the contents of name.N .. name.1 and name, oldest first.
func readRotated(t *testing.T, name string) []byte {
	t.Helper()
	var all []byte
	n := 0
	for {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", name, n+1)); err != nil {
			break
		}
		n++
	}
	for k := n; k >= 1; k-- {
		b, err := os.ReadFile(fmt.Sprintf("%s.%d", name, k))
		require.NoError(t, err)
		all = append(all, b...)
	}
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return append(all, b...)
}

// checkLines verifies that data holds, for each writer g, its lines 0..lines[g]-1 once each,
// whole and in order.
func checkLines(t *testing.T, data []byte, lines []int) {
	t.Helper()
	next := make([]int, len(lines))
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var g, i int
		_, err := fmt.Sscanf(l, "w%d %d", &g, &i)
		require.NoError(t, err, "torn line %q", l)
		require.Equal(t, wline(g, i), l+"\n", "torn line")
		require.Equal(t, next[g], i, "writer %d: line lost or duplicated", g)
		next[g]++
	}
	for g := range next {
		assert.Equal(t, lines[g], next[g], "writer %d", g)
	}
}

func wline(g, i int) string { return fmt.Sprintf("w%d %06d %s\n", g, i, strings.Repeat("q", i%17)) }

// logrotate(8) with `create` while four goroutines write without pause, and our Reopen after
// each run (what supervisord does on SIGUSR2): no line lost, and Follow delivers every byte once.
func TestLogrotateCreateAndReopen(t *testing.T) {
	testenv.Short(t)
	bin := testenv.LookPath(t, "logrotate", "logrotate")
	dir := t.TempDir()
	name := filepath.Join(dir, "app.log")
	w := &Writer{Filename: name}
	_, _ = w.Write([]byte(wline(0, 0)))
	out, stopFollow := startFollow(t, name, 0)

	const writers, runs = 4, 12
	var wg sync.WaitGroup
	stop := make(chan struct{})
	counts := make([]int, writers)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			i := 0
			if g == 0 {
				i = 1
			}
			// Bounded: at most a million lines, paced a little so the files stay small.
			for ; i < 1000000; i++ {
				if i%20 == 0 {
					select {
					case <-stop:
						counts[g] = i
						return
					case <-time.After(time.Millisecond):
					}
				}
				_, _ = w.Write([]byte(wline(g, i)))
			}
			counts[g] = i
		}(g)
	}
	for r := 0; r < runs; r++ {
		runLogrotate(t, bin, dir, name, "create")
		require.NoError(t, w.Reopen())
		// One rotation per Follow poll at most: wait until the follower is on the new file.
		testenv.WaitFor(t, "follower to reach the new file", func() bool {
			b, err := os.ReadFile(name)
			return err == nil && followerHas(out, b)
		})
	}
	close(stop)
	wg.Wait()
	require.NoError(t, w.Close())
	all := readRotated(t, name)
	checkLines(t, all, counts)
	for k := 1; k <= runs; k++ {
		fi, err := os.Stat(fmt.Sprintf("%s.%d", name, k))
		if assert.NoError(t, err) {
			assert.Greater(t, fi.Size(), int64(0), "rotation %d happened while nothing was written", k)
		}
	}
	testenv.WaitFor(t, "follower to catch up", func() bool { return len(out.String()) >= len(all) })
	require.NoError(t, stopFollow())
	assert.True(t, string(all) == out.String(), "followed bytes differ from the files' bytes")
}

// followerHas reports whether the follower's output contains the first line of data (the new file).
func followerHas(out *testenv.Buffer, data []byte) bool {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return false
	}
	return strings.Contains(out.String(), string(data[:i+1]))
}

// logrotate(8) with `copytruncate`. logrotate documents that lines written between its copy and
// its truncate are lost, so the writers pause while it runs; they write right before and after.
// No line is lost, none is torn (appending after the truncation starts at offset 0), and Follow
// delivers every byte once, taking the bytes it had not read before the truncation from the copy.
func TestLogrotateCopyTruncate(t *testing.T) {
	testenv.Short(t)
	bin := testenv.LookPath(t, "logrotate", "logrotate")
	dir := t.TempDir()
	name := filepath.Join(dir, "app.log")
	w := &Writer{Filename: name}
	_, _ = w.Write([]byte(wline(0, 0)))
	out, stopFollow := startFollow(t, name, 0)
	testenv.WaitFor(t, "follower to start", func() bool { return out.String() == wline(0, 0) })

	const writers, batch, runs = 4, 300, 12
	next := make([]int, writers)
	next[0] = 1
	written := int64(len(wline(0, 0)))
	writeBatch := func(n int) {
		var wg sync.WaitGroup
		for g := 0; g < writers; g++ {
			wg.Add(1)
			go func(g, from int) {
				defer wg.Done()
				for i := from; i < from+n; i++ {
					_, _ = w.Write([]byte(wline(g, i)))
				}
			}(g, next[g])
		}
		wg.Wait()
		for g := 0; g < writers; g++ {
			for i := next[g]; i < next[g]+n; i++ {
				written += int64(len(wline(g, i)))
			}
			next[g] += n
		}
	}
	for r := 0; r < runs; r++ {
		writeBatch(batch)
		runLogrotate(t, bin, dir, name, "copytruncate")
		writeBatch(5)
		testenv.WaitFor(t, "follower to catch up", func() bool { return int64(len(out.String())) >= written })
	}
	require.NoError(t, w.Close())
	all := readRotated(t, name)
	checkLines(t, all, next)
	_, err := os.Stat(fmt.Sprintf("%s.%d", name, runs))
	assert.NoError(t, err, "logrotate did not rotate %d times", runs)
	require.NoError(t, stopFollow())
	assert.True(t, string(all) == out.String(), "followed bytes differ from the files' bytes")
}
