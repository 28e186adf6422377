package supervise

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDependsOnWaitsForReady(t *testing.T) {
	h := newHarness(t)
	db := quiet("db")
	db.Checks.Ready = ReadyNotify
	app := quiet("app")
	app.StartSecs = -1
	app.DependsOn = []string{"db"}
	h.add(db)
	h.expect(Starting)
	h.add(app)
	assert.Contains(t, h.log.lines(), "INFO waiting: app starts when db are RUNNING (depends_on)")
	assert.Equal(t, 1, h.sp.count(), "app waits")
	assert.Equal(t, Stopped, h.status("app").State)
	sdNotify(t, notifySocketOf(t, h.sp.kid(1)), "READY=1")
	ev := h.expect(Running, Starting, Running)
	assert.Equal(t, "db", ev[0].Name)
	assert.Equal(t, "app", ev[1].Name)
	assert.Equal(t, 2, h.sp.count())
}

func TestDependsOnAlreadyRunningAndMissing(t *testing.T) {
	h := newHarness(t)
	db := quiet("db")
	db.StartSecs = -1
	h.add(db)
	h.expect(Starting, Running)
	app := quiet("app")
	app.StartSecs = -1
	app.DependsOn = []string{"db:db"}
	h.add(app)
	ev := h.expect(Starting, Running)
	assert.Equal(t, "app", ev[0].Name)
	orphan := quiet("orphan")
	orphan.DependsOn = []string{"nope"}
	h.add(orphan)
	assert.Contains(t, h.log.lines(), "WARN not starting orphan: depends_on names nope, which is not configured")
	assert.Equal(t, Stopped, h.status("orphan").State)
}

func TestDependsOnStopsDependentsFirst(t *testing.T) {
	h := newHarness(t)
	// By priority alone db (999) would stop before app (1); depends_on wins.
	db := quiet("db")
	db.StartSecs = -1
	web := quiet("web")
	web.StartSecs = -1
	web.DependsOn = []string{"app"}
	app := quiet("app")
	app.StartSecs = -1
	app.DependsOn = []string{"db"}
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "db", Priority: 999, Programs: []Program{db}}))
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "app", Priority: 1, Programs: []Program{app}}))
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "web", Priority: 500, Programs: []Program{web}}))
	for i := 0; i < 3; i++ {
		h.expect(Starting, Running)
	}
	h.cancel()
	var stopped []string
	for e := range h.events {
		if e.Kind == EventState && e.To == Stopped {
			stopped = append(stopped, e.Name)
		}
	}
	assert.Equal(t, []string{"web", "app", "db"}, stopped)
}
