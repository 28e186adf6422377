package eventlistener

import "fmt"

// ListenerState is the protocol state of one event listener process, with supervisord's codes
// (states.py EventListenerStates).
type ListenerState int

// The listener states. A listener starts ACKNOWLEDGED at each spawn; READY\n makes it READY;
// an event sent makes it BUSY; its RESULT makes it ACKNOWLEDGED again. UNKNOWN (a protocol
// violation) is final for that spawn: it gets no more events until it is restarted.
const (
	Ready        ListenerState = 10
	Busy         ListenerState = 20
	Acknowledged ListenerState = 30
	Unknown      ListenerState = 40
)

// String returns supervisord's name ("READY", ...).
func (s ListenerState) String() string {
	switch s {
	case Ready:
		return "READY"
	case Busy:
		return "BUSY"
	case Acknowledged:
		return "ACKNOWLEDGED"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("ListenerState(%d)", int(s))
}
