package supervise

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Any spec gives processes or a typed error, never a panic.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{"", "all", "g", "g:", "g:*", "g:a", "a:g", ":", "::", "g:a:b", "\x00", "all:*"} {
		f.Add(s)
	}
	sv := New(Options{Spawner: &fakeSpawner{clock: newFakeClock()}, ChildLogDir: f.TempDir()})
	require.NoError(f, sv.Add(context.Background(), Group{Name: "g", Programs: []Program{quiet("a"), quiet("g")}}))
	f.Fuzz(func(t *testing.T, spec string) {
		infos, err := sv.Status(spec)
		if err != nil {
			assert.True(t, errors.Is(err, ErrNotFound), "%q: %v", spec, err)
			return
		}
		assert.NotEmpty(t, infos)
		_, err = sv.Start(context.Background(), spec, false)
		assert.ErrorIs(t, err, ErrShutdown, "not serving")
	})
}

// Any signal text parses to a signal in 1..64 or wraps ErrBadSignal.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"TERM", "sigkill", "9", "0", "65", "", "SIG", "HUP1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err != nil {
			assert.ErrorIs(t, err, ErrBadSignal)
			return
		}
		assert.True(t, sig >= 1 && sig <= 64, "%q -> %d", s, sig)
	})
}

// Any command line either resolves or gives a supervisord spawn error text.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"/bin/sh -c 'exit 1'", `sh "x`, `a\`, "", "   ", "/", "true"} {
		f.Add(s)
	}
	sv := New(Options{Env: []string{"PATH=/bin:/usr/bin"}})
	f.Fuzz(func(t *testing.T, line string) {
		p := &process{sv: sv, prog: &Program{Name: "x", CommandLine: line}}
		path, argv, err := p.resolve()
		if err != nil {
			var se *spawnError
			require.ErrorAs(t, err, &se)
			assert.NotEmpty(t, se.msg)
			return
		}
		assert.NotEmpty(t, path)
		assert.NotEmpty(t, argv)
	})
}
