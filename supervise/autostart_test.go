package supervise

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// A stop that comes while the autostart is still spawning (slow forks on a loaded machine) ends
// the autostart: the programs not begun yet are never spawned, and Serve returns once the ones
// under way are stopped. (Before, the whole autostart ran first: a SIGHUP or SIGTERM to a daemon
// with 1,000 programs waited minutes for it.)
func TestStopDuringAutostartEndsIt(t *testing.T) {
	clock := newFakeClock()
	release := make(chan struct{})
	sp := &fakeSpawner{clock: clock, behave: func(int, *fakeChild) { <-release }}
	sv := New(Options{Clock: clock, Spawner: sp, Env: []string{"PATH=/bin:/usr/bin"}, ChildLogDir: t.TempDir(),
		Logger: slog.New(NewLogHandler(&testenv.Buffer{}, slog.LevelInfo))})
	const n = 40
	for i := 0; i < n; i++ {
		require.NoError(t, sv.Add(context.Background(), Group{Name: fmt.Sprintf("p%02d", i),
			Programs: []Program{{Name: fmt.Sprintf("p%02d", i), Command: "/bin/true"}}}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	testenv.WaitFor(t, "the first spawns to be under way", func() bool { return sp.count() == autostartWindow })
	cancel()
	close(release)
	require.NoError(t, <-done)
	assert.Less(t, sp.count(), n, "spawns after the stop")
}
