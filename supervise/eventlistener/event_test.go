package eventlistener

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// The payloads and envelopes are the bytes supervisord 4.2.5 sent in the reference capture
// (shared/reference/supervisord/events/captured.txt), built from the same engine events.
func TestEnvelopesMatchCapture(t *testing.T) {
	const capture = "/work/shared/reference/supervisord/events/captured.txt"
	testenv.RequireFile(t, capture, "the supervisord events capture")
	raw, err := os.ReadFile(capture)
	require.NoError(t, err)
	grp := func(g string) supervise.Event { return supervise.Event{Kind: supervise.EventGroupAdded, Group: g} }
	st := func(name string, from, to supervise.State, pid, tries int) supervise.Event {
		return supervise.Event{Kind: supervise.EventState, Group: name, Name: name, From: from, To: to, Pid: pid, Tries: tries}
	}
	out := func(data string) supervise.Event {
		return supervise.Event{Kind: supervise.EventLog, Group: "talker", Name: "talker", Channel: "stdout", Pid: 11247, Data: []byte(data)}
	}
	cases := []struct {
		e      supervise.Event
		serial int
	}{
		{grp("listener"), 0},
		{grp("talker"), 1},
		{supervise.Event{Kind: supervise.EventSupervisorRunning}, 2},
		{st("listener", supervise.Stopped, supervise.Starting, 11245, 0), 3},
		{st("talker", supervise.Stopped, supervise.Starting, 11247, 0), 4},
		{out("line-one\n"), 5},
		{out("comm payload"), 6},
		{supervise.Event{Kind: supervise.EventComm, Group: "talker", Name: "talker", Channel: "stdout", Pid: 11247, Data: []byte("comm payload")}, 7},
		{st("listener", supervise.Starting, supervise.Running, 11245, 0), 8},
		{st("talker", supervise.Starting, supervise.Running, 11247, 0), 9},
		{supervise.Event{Kind: supervise.EventRemoteComm, Type: "mytype", Data: []byte("remote data")}, 10},
		{st("talker", supervise.Running, supervise.Stopping, 11247, 0), 12},
		{st("talker", supervise.Stopping, supervise.Stopped, 11247, 0), 13},
	}
	for _, c := range cases {
		ev, ok := FromEngine(c.e)
		require.True(t, ok)
		env := string(Envelope("probe-events", "listener", c.serial, c.serial, ev))
		assert.Contains(t, string(raw)+"\n", "\n"+env+"\n", "event %d", c.serial)
	}
	tick := string(Envelope("probe-events", "listener", 11, 11, tickEvent("TICK_5", 1795649385)))
	assert.Contains(t, string(raw), tick)
}

// len: counts characters as supervisord's len() of a str; undecodable output is shown as
// supervisord shows it.
func TestEnvelopeLenAndUndecodable(t *testing.T) {
	ev, _ := FromEngine(supervise.Event{Kind: supervise.EventLog, Group: "talker", Name: "talker", Channel: "stdout", Pid: 2866, Data: []byte("h\xc3\xa9llo w\xc3\xb6rld\n")})
	env := string(Envelope("probe-events_utf8", "raw", 0, 0, ev))
	// shared/reference/supervisord/events/captured_utf8.txt: header len 72, 74 payload bytes
	assert.True(t, strings.HasPrefix(env, "ver:3.0 server:probe-events_utf8 serial:0 pool:raw poolserial:0 eventname:PROCESS_LOG_STDOUT len:72\n"), env)
	assert.Equal(t, 74, len(env)-strings.IndexByte(env, '\n')-1)
	ev, _ = FromEngine(supervise.Event{Kind: supervise.EventLog, Group: "g", Name: "p", Channel: "stderr", Pid: 1, Data: []byte("a\xff'\n")})
	assert.Equal(t, `processname:p groupname:g pid:1 channel:stderr`+"\n"+`Undecodable: b"a\xff'\n"`, ev.Payload)
	assert.Equal(t, "PROCESS_LOG_STDERR", ev.Name)
}

func TestStatePayloads(t *testing.T) {
	for _, c := range []struct {
		e    supervise.Event
		want string
	}{
		{supervise.Event{Kind: supervise.EventState, Group: "g", Name: "p", From: supervise.Starting, To: supervise.Backoff, Tries: 2}, "processname:p groupname:g from_state:STARTING tries:2"},
		{supervise.Event{Kind: supervise.EventState, Group: "g", Name: "p", From: supervise.Running, To: supervise.Exited, Pid: 7, Expected: false}, "processname:p groupname:g from_state:RUNNING expected:0 pid:7"},
		{supervise.Event{Kind: supervise.EventState, Group: "g", Name: "p", From: supervise.Running, To: supervise.Exited, Pid: 7, Expected: true}, "processname:p groupname:g from_state:RUNNING expected:1 pid:7"},
		{supervise.Event{Kind: supervise.EventState, Group: "g", Name: "p", From: supervise.Backoff, To: supervise.Fatal}, "processname:p groupname:g from_state:BACKOFF"},
	} {
		ev, ok := FromEngine(c.e)
		require.True(t, ok)
		assert.Equal(t, "PROCESS_STATE_"+c.e.To.String(), ev.Name)
		assert.Equal(t, c.want, ev.Payload)
	}
}

func TestTypeHierarchy(t *testing.T) {
	assert.True(t, Is("PROCESS_STATE_RUNNING", "PROCESS_STATE"))
	assert.True(t, Is("PROCESS_STATE_RUNNING", "EVENT"))
	assert.True(t, Is("TICK_5", "TICK"))
	assert.False(t, Is("TICK_5", "TICK_60"))
	assert.False(t, Is("PROCESS_LOG_STDOUT", "PROCESS_COMMUNICATION"))
	assert.Len(t, Types(), 27)
	assert.False(t, KnownType("PROCESS_STATE_NOPE"))
}

// No TICK subscriber: no timer at all. A TICK_5 subscriber: one timer, at the next multiple
// of 5 s, and one TICK_5 per boundary with supervisord's `when`.
func TestTicks(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "quiet", Events: []string{"PROCESS_STATE"}},
		PoolConfig{Name: "ticks", Events: []string{"TICK_5"}})
	h.addGroup("quiet", "quiet")
	h.pools()
	assert.Empty(t, h.clock.pending(), "no TICK subscriber, no timer")
	h.addGroup("ticks", "ticks")
	h.pools()
	start := h.clock.Now()
	require.Equal(t, []time.Time{time.Unix(1796402330, 0)}, h.clock.pending())
	h.run("ticks", "ticks", 5) // serials 0 and 1, in the pool "quiet"
	h.say("ticks", "ticks", 5, "READY\n")
	h.clock.Advance(3 * time.Second)
	assert.Equal(t, "ver:3.0 server:test serial:2 pool:ticks poolserial:0 eventname:TICK_5 len:15\nwhen:1796402330", h.sent().data)
	h.say("ticks", "ticks", 5, "RESULT 2\nOKREADY\n")
	h.pools()
	require.Equal(t, []time.Time{time.Unix(1796402335, 0)}, h.clock.pending())
	h.clock.Advance(5 * time.Second)
	assert.Equal(t, "ver:3.0 server:test serial:3 pool:ticks poolserial:1 eventname:TICK_5 len:15\nwhen:1796402335", h.sent().data)
	assert.Equal(t, 8*time.Second, h.clock.Now().Sub(start))
	h.emit(supervise.Event{Kind: supervise.EventGroupRemoved, Group: "ticks"})
	h.pools()
	assert.Empty(t, h.clock.pending(), "the TICK subscriber is gone, so is the timer")
}
