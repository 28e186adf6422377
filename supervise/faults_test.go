package supervise

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// Fault injection in the engine: what a kill -9 of the supervisor, fd exhaustion or a stepped
// wall clock would otherwise get wrong. The daemon-level kill -9 runs are in
// examples/supervisord-lite (faults_e2e_test.go).

// stateProbe is a Spawner standing in for the fork spawner of a Supervisor that has a token:
// at each spawn it reads the state file, as the next supervisor would after a kill -9 right
// after that spawn, and refuses the spawn.
type stateProbe struct {
	path string
	mu   sync.Mutex
	seen []stateFileDoc
}

func (s *stateProbe) Spawn(cmd *Cmd) (Child, error) {
	doc, err := readStateDoc(s.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.seen = append(s.seen, doc)
	}
	return nil, errors.New("probe: no spawn")
}

func (s *stateProbe) docs() []stateFileDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stateFileDoc(nil), s.seen...)
}

// A supervisor killed right after its first spawn leaves a child that carries its token: the
// state file must name that token before the fork, or the next supervisor cannot find the
// child. The file is written before the first autostart spawn, not a batch interval later.
func TestStateFileWrittenBeforeFirstSpawn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sv.children")
	require.NoError(t, writeAtomic(path, []byte(`{"version":2,"supervisor_pid":1,"token":"previous","processes":[]}`+"\n")))
	probe := &stateProbe{path: path}
	log := &logBuffer{}
	sv := New(Options{StateFile: path, ChildLogDir: t.TempDir(), Logger: logTo(log)})
	sv.spawner = probe // keeps the token made for the fork spawner
	p := quiet("first")
	p.StartRetries = -1
	require.NoError(t, sv.Add(bg, Group{Name: "first", Programs: []Program{p}}))
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	testenv.WaitFor(t, "first FATAL", func() bool {
		infos, err := sv.Status("first")
		return err == nil && infos[0].State == Fatal
	})
	cancel()
	require.NoError(t, <-done)
	docs := probe.docs()
	require.NotEmpty(t, docs, "the spawner read the state file")
	assert.Equal(t, sv.token, docs[0].Token, "the token is on disk before the first spawn")
}
