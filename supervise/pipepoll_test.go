package supervise

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Many children at once through the shared poller: crash loops (streams come and go, the
// epoll set empties and refills), trickling writers (a stream re-armed after every line) and
// burst writers (a reader that never finds the pipe empty for long). Every line arrives once,
// in order, and every spawn's output is complete.
func TestRealPollerStress(t *testing.T) {
	h := newReal(t)
	logOf := func(name string) string { return filepath.Join(h.dir, name+".log") }
	g := Group{Name: "stress"}
	prog := func(name, script string, restart AutoRestart) Program {
		return Program{Name: name, Command: "/bin/sh", Args: []string{"-c", script}, StartSecs: -1,
			AutoRestart: restart, ExitCodes: []int{0}, StopWait: 5 * time.Second,
			Stdout: Log{Path: logOf(name), MaxBytes: -1}, Stderr: Log{Path: LogNone}}
	}
	var crashers, finite []string
	for i := 0; i < 4; i++ {
		n := fmt.Sprintf("crash%d", i)
		crashers = append(crashers, n)
		g.Programs = append(g.Programs, prog(n, "echo start; exit 3", RestartUnexpected))
	}
	var want = map[string]string{}
	for i := 0; i < 4; i++ {
		n := fmt.Sprintf("trickle%d", i)
		finite = append(finite, n)
		g.Programs = append(g.Programs, prog(n,
			"i=0; while [ $i -lt 40 ]; do echo $i; i=$((i+1)); sleep 0.01; done", RestartNever))
		var b strings.Builder
		for k := 0; k < 40; k++ {
			fmt.Fprintf(&b, "%d\n", k)
		}
		want[n] = b.String()
	}
	for i := 0; i < 2; i++ {
		n := fmt.Sprintf("burst%d", i)
		finite = append(finite, n)
		g.Programs = append(g.Programs, prog(n, "seq 1 200000", RestartNever))
		var b strings.Builder
		for k := 1; k <= 200000; k++ {
			fmt.Fprintf(&b, "%d\n", k)
		}
		want[n] = b.String()
	}
	require.NoError(t, h.sv.Add(context.Background(), g))
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range finite {
		for {
			st, err := h.sv.Status("stress:" + n)
			require.NoError(t, err)
			if st[0].State == Exited {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s still %s", n, st[0].State)
			time.Sleep(10 * time.Millisecond)
		}
	}
	_, err := h.sv.Stop(context.Background(), "stress:*", true)
	require.NoError(t, err)
	for _, n := range finite {
		b, err := os.ReadFile(logOf(n))
		require.NoError(t, err)
		assert.True(t, string(b) == want[n], "%s: %d bytes, want %d", n, len(b), len(want[n]))
	}
	spawns := map[string]int{}
	for done := false; !done; {
		select {
		case e := <-h.events:
			if e.Kind == EventState && e.To == Starting {
				spawns[e.Name]++
			}
		default:
			done = true
		}
	}
	for _, n := range crashers {
		b, err := os.ReadFile(logOf(n))
		require.NoError(t, err)
		require.Greater(t, spawns[n], 1, "%s crash-looped", n)
		// One whole line per spawn; the last spawn may have been stopped before its echo.
		lines := strings.Count(string(b), "\n")
		assert.Equal(t, strings.Repeat("start\n", lines), string(b), "%s: whole lines only", n)
		assert.Contains(t, []int{spawns[n] - 1, spawns[n]}, lines, "%s: %d spawns", n, spawns[n])
	}
}

// The child's last write, its exit and the reaper's close can all fall between a read that
// found the pipe empty and the reader's look at closing: the reader reads once more before it
// finishes, so that last write is not lost.
func TestPipeStreamReadsAfterClosingSeen(t *testing.T) {
	var fds [2]int
	require.NoError(t, unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC))
	defer unix.Close(fds[1])
	var got bytes.Buffer
	child := &forkChild{done: make(chan ExitStatus, 1)}
	child.pending.Store(1)
	s := &pipeStream{fd: fds[0], w: &got, child: child, reading: true}
	emptied := 0
	s.emptied = func() {
		emptied++
		if emptied == 1 { // the child writes its last line and exits; the reaper closes
			_, err := unix.Write(fds[1], []byte("chatty end 584\n"))
			require.NoError(t, err)
			s.mu.Lock()
			s.closing = true
			s.mu.Unlock()
		}
	}
	s.read()
	assert.Equal(t, "chatty end 584\n", got.String())
	assert.Equal(t, 2, emptied, "one more read after closing was seen, and no more")
	select {
	case <-child.done:
	default:
		t.Error("the stream did not finish")
	}
}
