package eventlistener

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Event is one event as supervisord 4.2.5 hands it to listeners: a concrete type name and
// the payload text. Serials are given when a pool first accepts the event.
type Event struct {
	// Name is the concrete type, e.g. "PROCESS_STATE_RUNNING".
	Name string
	// Payload is the body, formatted as supervisord formats it (valid UTF-8).
	Payload string

	serial      int            // the global serial; -1 until a pool accepts the event
	poolSerials map[string]int // the serial of the event in each pool that accepted it
}

// Serial returns the event's global serial (supervisord's `serial:`), -1 if no pool has
// accepted it.
func (e *Event) Serial() int { return e.serial }

func newEvent(name, payload string) *Event {
	return &Event{Name: name, Payload: payload, serial: -1}
}

// Envelope returns the bytes a listener gets for e: the header line
// `ver:3.0 server:<identifier> serial:N pool:<pool> poolserial:N eventname:<E> len:<L>` and the
// payload. L counts characters (code points), as supervisord's len() of a str does, not bytes.
func Envelope(identifier, pool string, serial, poolSerial int, e *Event) []byte {
	return []byte(fmt.Sprintf("ver:3.0 server:%s serial:%d pool:%s poolserial:%d eventname:%s len:%d\n%s",
		identifier, serial, pool, poolSerial, e.Name, utf8.RuneCountInString(e.Payload), e.Payload))
}

// text decodes output bytes as supervisord's as_string does: UTF-8, or
// "Undecodable: b'...'" when they are not valid UTF-8.
func text(p []byte) string {
	if utf8.Valid(p) {
		return string(p)
	}
	return "Undecodable: " + supervise.PyBytesRepr(p)
}

// FromEngine converts an event of the supervise engine into supervisord's; ok is false for an
// event that has no supervisord counterpart.
func FromEngine(e supervise.Event) (ev *Event, ok bool) {
	switch e.Kind {
	case supervise.EventState:
		return newEvent("PROCESS_STATE_"+e.To.String(), statePayload(e)), true
	case supervise.EventLog:
		return newEvent("PROCESS_LOG_"+strings.ToUpper(e.Channel),
			fmt.Sprintf("processname:%s groupname:%s pid:%d channel:%s\n%s", e.Name, e.Group, e.Pid, e.Channel, text(e.Data))), true
	case supervise.EventComm:
		return newEvent("PROCESS_COMMUNICATION_"+strings.ToUpper(e.Channel),
			fmt.Sprintf("processname:%s groupname:%s pid:%d\n%s", e.Name, e.Group, e.Pid, text(e.Data))), true
	case supervise.EventGroupAdded:
		return newEvent("PROCESS_GROUP_ADDED", "groupname:"+e.Group+"\n"), true
	case supervise.EventGroupRemoved:
		return newEvent("PROCESS_GROUP_REMOVED", "groupname:"+e.Group+"\n"), true
	case supervise.EventSupervisorRunning:
		return newEvent("SUPERVISOR_STATE_CHANGE_RUNNING", ""), true
	case supervise.EventSupervisorStopping:
		return newEvent("SUPERVISOR_STATE_CHANGE_STOPPING", ""), true
	case supervise.EventRemoteComm:
		return newEvent("REMOTE_COMMUNICATION", "type:"+e.Type+"\n"+string(e.Data)), true
	}
	return nil, false
}

// statePayload is supervisord's ProcessStateEvent payload: names, from_state, then tries
// (STARTING, BACKOFF), expected and pid (EXITED) or pid (RUNNING, STOPPING, STOPPED).
func statePayload(e supervise.Event) string {
	s := "processname:" + e.Name + " groupname:" + e.Group + " from_state:" + e.From.String()
	switch e.To {
	case supervise.Starting, supervise.Backoff:
		s += " tries:" + strconv.Itoa(e.Tries)
	case supervise.Exited:
		exp := 0
		if e.Expected {
			exp = 1
		}
		s += " expected:" + strconv.Itoa(exp) + " pid:" + strconv.Itoa(e.Pid)
	case supervise.Running, supervise.Stopping, supervise.Stopped:
		s += " pid:" + strconv.Itoa(e.Pid)
	}
	return s
}

// tickEvent is TICK_<period> for the timeslice when (unix seconds).
func tickEvent(name string, when int64) *Event {
	return newEvent(name, "when:"+strconv.FormatInt(when, 10))
}
