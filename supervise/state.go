package supervise

import "fmt"

// State is a process state with supervisord's numeric code (states.py).
type State int

// The process states and their supervisord codes.
const (
	Stopped  State = 0
	Starting State = 10
	Running  State = 20
	Backoff  State = 30
	Stopping State = 40
	Exited   State = 100
	Fatal    State = 200
	Unknown  State = 1000
)

// String returns the state name as supervisorctl prints it ("RUNNING").
func (s State) String() string {
	switch s {
	case Stopped:
		return "STOPPED"
	case Starting:
		return "STARTING"
	case Running:
		return "RUNNING"
	case Backoff:
		return "BACKOFF"
	case Stopping:
		return "STOPPING"
	case Exited:
		return "EXITED"
	case Fatal:
		return "FATAL"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// IsStopped reports supervisord's STOPPED_STATES: STOPPED, EXITED, FATAL, UNKNOWN.
func (s State) IsStopped() bool {
	return s == Stopped || s == Exited || s == Fatal || s == Unknown
}

// IsRunning reports supervisord's RUNNING_STATES: RUNNING, BACKOFF, STARTING. A start of such a
// process is refused with ErrAlreadyStarted; a stop is allowed.
func (s State) IsRunning() bool {
	return s == Running || s == Backoff || s == Starting
}

// IsSignallable reports supervisord's SIGNALLABLE_STATES: RUNNING, STARTING, STOPPING.
func (s State) IsSignallable() bool {
	return s == Running || s == Starting || s == Stopping
}
