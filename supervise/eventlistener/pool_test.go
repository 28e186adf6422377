package eventlistener

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func groupAdded(serial, poolSerial int, pool, group string) string {
	return string(Envelope("test", pool, serial, poolSerial, newEvent("PROCESS_GROUP_ADDED", "groupname:"+group+"\n")))
}

// A listener says READY, gets the oldest event, FAILs it and gets the same event (same
// serials) again; OK moves on. The log has supervisord's lines.
func TestReadyFailRequeueOK(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP"}})
	h.addGroup("p", "p")
	h.run("p", "p", 10)
	h.say("p", "p", 10, "READY\n")
	first := h.sent()
	assert.Equal(t, written{"p", "p", 10, "ver:3.0 server:test serial:0 pool:p poolserial:0 eventname:PROCESS_GROUP_ADDED len:12\ngroupname:p\n"}, first)
	h.say("p", "p", 10, "RESULT 4\nFAILREADY\n")
	again := h.sent()
	assert.Equal(t, first, again, "a rejected event comes back with its serials")
	h.say("p", "p", 10, "RESULT 2\nOK")
	h.quiet()
	h.say("p", "p", 10, "READY\n")
	h.addGroup("other")
	assert.Equal(t, groupAdded(1, 1, "p", "other"), h.sent().data)
	want := []string{
		"DEBG p: ACKNOWLEDGED -> READY",
		"DEBG event 0 sent to listener p",
		"WARN p: event was rejected",
		"DEBG p: BUSY -> ACKNOWLEDGED",
		"DEBG rebuffering event 0 for pool p (buf size=0, max=10)",
		"DEBG p: ACKNOWLEDGED -> READY",
		"DEBG event 0 sent to listener p",
		"DEBG p: event was processed",
		"DEBG p: BUSY -> ACKNOWLEDGED",
		"DEBG p: ACKNOWLEDGED -> READY",
		"DEBG event 1 sent to listener p",
	}
	h.waitLog(want[len(want)-1])
	assert.Equal(t, want, h.log.all())
}

// A RESULT line whose length is not a number: UNKNOWN, and the event goes back to the buffer.
func TestBadResultLine(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP_ADDED"}})
	h.addGroup("p", "p")
	h.run("p", "p", 10)
	h.say("p", "p", 10, "READY\n")
	h.sent()
	h.say("p", "p", 10, "RESULT x\nOK")
	ps := h.pools()
	require.Len(t, ps, 1)
	assert.Equal(t, []int{0}, ps[0].Buffered)
	assert.Equal(t, []ListenerInfo{{Name: "p", Pid: 10, State: Unknown}}, ps[0].Listeners)
	assert.Subset(t, h.log.all(), []string{
		"WARN p: bad result line: 'RESULT x'",
		"DEBG p: BUSY -> UNKNOWN",
		"WARN p: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol",
		"DEBG rebuffering event 0 for pool p (buf size=0, max=10)",
	})
	h.say("p", "p", 10, "READY\n")
	h.quiet()
}

// Anything but READY first, or data while READY, is a protocol violation.
func TestGarbageIsUnknown(t *testing.T) {
	for _, tc := range []struct{ name, out string }{
		{"not ready", "HELLO!\n"},
		{"spurious while ready", "READY\nxyz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, PoolConfig{Name: "p", Events: []string{"EVENT"}})
			h.addGroup("p", "p")
			h.state("p", "p", supervise.Starting, 10)
			h.say("p", "p", 10, tc.out)
			h.state("p", "p", supervise.Running, 10)
			h.quiet()
			ps := h.pools()
			assert.Equal(t, Unknown, ps[0].Listeners[0].State)
			assert.Contains(t, h.log.all(), "WARN p: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol")
		})
	}
}

// No listener ready: the buffer keeps the newest buffer_size events and logs each drop.
func TestBufferOverflow(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP"}, BufferSize: 2})
	h.addGroup("p", "p")
	h.addGroup("a")
	h.addGroup("b")
	h.addGroup("c")
	ps := h.pools()
	assert.Equal(t, []int{2, 3}, ps[0].Buffered)
	assert.Equal(t, []string{
		"ERRO pool p event buffer overflowed, discarding event 0",
		"ERRO pool p event buffer overflowed, discarding event 1",
	}, h.log.all())
}

// A listener that dies while BUSY: its event goes back to the head of the buffer, after the
// exit event itself; the next spawn gets it with the same serial.
func TestListenerDiesWhileBusy(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP", "PROCESS_STATE_EXITED"}})
	h.addGroup("p", "p")
	h.run("p", "p", 10)
	h.say("p", "p", 10, "READY\n")
	first := h.sent()
	h.state("p", "p", supervise.Exited, 10)
	ps := h.pools()
	assert.Equal(t, []int{0, 1}, ps[0].Buffered, "the event being processed, then the exit")
	h.say("p", "p", 10, "READY\n") // late output of the dead spawn is ignored
	h.quiet()
	h.run("p", "p", 11)
	h.say("p", "p", 11, "READY\n")
	second := h.sent()
	assert.Equal(t, 11, second.pid)
	assert.Equal(t, first.data, second.data)
}

// numprocs: each event goes to one ready listener, the first by name.
func TestPoolOfTwo(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP"}})
	h.addGroup("p", "p_0", "p_1")
	h.run("p", "p_0", 10)
	h.run("p", "p_1", 11)
	h.say("p", "p_1", 11, "READY\n")
	assert.Equal(t, written{"p", "p_1", 11, groupAdded(0, 0, "p", "p")}, h.sent())
	h.say("p", "p_0", 10, "READY\n")
	h.addGroup("x")
	h.addGroup("y")
	assert.Equal(t, written{"p", "p_0", 10, groupAdded(1, 1, "p", "x")}, h.sent())
	h.say("p", "p_1", 11, "RESULT 2\nOKREADY\n")
	assert.Equal(t, written{"p", "p_1", 11, groupAdded(2, 2, "p", "y")}, h.sent())
}

// A global serial is taken only by an event some pool accepts; each pool counts its own.
func TestSerials(t *testing.T) {
	h := newHarness(t,
		PoolConfig{Name: "a", Events: []string{"PROCESS_GROUP_ADDED"}},
		PoolConfig{Name: "b", Events: []string{"REMOTE_COMMUNICATION", "PROCESS_GROUP_ADDED"}})
	h.addGroup("a", "a")
	h.addGroup("b", "b")                                                                   // serial 1 (a: 1, b: 0)
	h.emit(supervise.Event{Kind: supervise.EventGroupRemoved, Group: "zz"})                // nobody: no serial
	h.emit(supervise.Event{Kind: supervise.EventRemoteComm, Type: "t", Data: []byte("d")}) // serial 2 (b: 1)
	h.addGroup("c")                                                                        // serial 3 (a: 2, b: 2)
	h.run("b", "b", 20)
	h.say("b", "b", 20, "READY\n")
	assert.Equal(t, groupAdded(1, 0, "b", "b"), h.sent().data)
	h.say("b", "b", 20, "RESULT 2\nOKREADY\n")
	assert.Equal(t, "ver:3.0 server:test serial:2 pool:b poolserial:1 eventname:REMOTE_COMMUNICATION len:8\ntype:t\nd", h.sent().data)
	h.say("b", "b", 20, "RESULT 2\nOKREADY\n")
	assert.Equal(t, groupAdded(3, 2, "b", "c"), h.sent().data)
	ps := h.pools()
	assert.Equal(t, []int{0, 1, 3}, ps[0].Buffered)
}

// A custom result handler: an error other than ErrRejected puts the listener in UNKNOWN.
func TestResultHandlerError(t *testing.T) {
	h := newHarness(t, PoolConfig{Name: "p", Events: []string{"PROCESS_GROUP"},
		ResultHandler: func(e *Event, r []byte) error {
			if string(r) == "boom" {
				return assert.AnError
			}
			return DefaultResultHandler(e, r)
		}})
	h.addGroup("p", "p")
	h.run("p", "p", 10)
	h.say("p", "p", 10, "READY\n")
	h.sent()
	h.say("p", "p", 10, "RESULT 4\nboomREADY\n")
	h.quiet()
	assert.Contains(t, h.log.all(), "WARN p: event caused an error")
	assert.Equal(t, Unknown, h.pools()[0].Listeners[0].State)
}

func TestPyInt(t *testing.T) {
	for in, want := range map[string]int{"2": 2, " 12 ": 12, "+3": 3, "1_0": 10, "-1": -1, "007": 7} {
		n, ok := pyInt([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{"", "x", "1__0", "_1", "1_", "2 3", "0x10"} {
		_, ok := pyInt([]byte(in))
		assert.False(t, ok, in)
	}
}

// supervisord looks for the pool of a rejecting listener by comparing processes, and its
// processes compare equal when their priorities are: every pool of that priority takes the
// rejected event back (with a new pool serial where it never had it), other pools do not.
func TestRejectedGoesToPoolsOfSamePriority(t *testing.T) {
	h := newHarness(t,
		PoolConfig{Name: "a", Events: []string{"PROCESS_GROUP"}, Priority: -1},
		PoolConfig{Name: "b", Events: []string{"REMOTE_COMMUNICATION"}, Priority: -1},
		PoolConfig{Name: "c", Events: []string{"REMOTE_COMMUNICATION"}, Priority: 5})
	h.addGroup("a", "a")
	h.addGroup("b", "b")
	h.addGroup("c", "c")
	h.run("a", "a", 10)
	h.say("a", "a", 10, "READY\n")
	h.sent()
	h.say("a", "a", 10, "RESULT 4\nFAIL")
	ps := h.pools()
	require.Len(t, ps, 3)
	assert.Equal(t, []int{0, 1, 2}, ps[0].Buffered)
	assert.Equal(t, []int{0}, ps[1].Buffered, "same priority: b takes the event")
	assert.Empty(t, ps[2].Buffered, "another priority: c does not")
	assert.Contains(t, h.log.all(), "DEBG rebuffering event 0 for pool a (buf size=2, max=10)")
}
