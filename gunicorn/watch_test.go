package gunicorn

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCertWatcher(t *testing.T) {
	dir := t.TempDir()
	path, _ := testCert(t, dir, "cert", certSpec{serial: 0x1001})
	a, err := ReadCertInfo(path)
	require.NoError(t, err)

	ticks := make(chan time.Time)
	events := make(chan CertEvent, 10)
	w := &CertWatcher{Path: path, Ticks: ticks, OnChange: func(e CertEvent) { events <- e }}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- w.Serve(ctx) }()

	next := func() CertEvent {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return CertEvent{}
	}
	// tick sends two ticks: the second is received only after the first reading finished.
	tick := func() { ticks <- time.Time{}; ticks <- time.Time{} }
	none := func(what string) {
		t.Helper()
		select {
		case e := <-events:
			t.Fatalf("%s: unexpected event %+v", what, e)
		default:
		}
	}

	e := next()
	assert.Equal(t, a.SHA256, e.New.SHA256, "first reading")
	assert.Empty(t, e.Old.SHA256)
	assert.False(t, e.Renewed())

	tick()
	none("unchanged file")

	_, _ = testCert(t, dir, "cert", certSpec{serial: 0x2002})
	tick()
	e = next()
	assert.True(t, e.Renewed())
	assert.Equal(t, "1001", e.Old.Serial)
	assert.Equal(t, "2002", e.New.Serial)
	none("one event per change")

	require.NoError(t, os.Rename(path, path+".gone"))
	tick()
	e = next()
	assert.ErrorIs(t, e.Err, fs.ErrNotExist)
	tick()
	none("same error again")

	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	tick()
	e = next()
	assert.ErrorIs(t, e.Err, ErrNotPEM)

	require.NoError(t, os.Rename(path+".gone", path))
	tick()
	e = next()
	require.NoError(t, e.Err)
	assert.Equal(t, "2002", e.New.Serial)
	assert.False(t, e.Renewed(), "after an error there is no previous certificate")

	cancel()
	assert.ErrorIs(t, <-served, context.Canceled)
}

func TestCertWatcherRealTicker(t *testing.T) {
	dir := t.TempDir()
	path, _ := testCert(t, dir, "cert", certSpec{})
	events := make(chan CertEvent, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &CertWatcher{Path: path, Interval: time.Millisecond, OnChange: func(e CertEvent) { events <- e }}
	served := make(chan error, 1)
	go func() { served <- w.Serve(ctx) }()
	e := <-events
	assert.NoError(t, e.Err)
	cancel()
	assert.ErrorIs(t, <-served, context.Canceled)

	assert.True(t, errors.Is((&CertWatcher{}).Serve(context.Background()), errNoPath))
}
