package supervise

import "time"

// EventKind says what an Event reports.
type EventKind int

const (
	// EventState is a process state change (supervisord's PROCESS_STATE_* events).
	EventState EventKind = iota
	// EventLog is a chunk of process output, for programs with Log.Events set.
	EventLog
	// EventGroupAdded and EventGroupRemoved report Add and Remove (PROCESS_GROUP_*).
	EventGroupAdded
	EventGroupRemoved
	// EventSupervisorRunning is published when Serve begins, before any autostart, and
	// EventSupervisorStopping when its shutdown begins (SUPERVISOR_STATE_CHANGE_*).
	EventSupervisorRunning
	EventSupervisorStopping
	// EventRemoteComm carries SendRemoteComm's Type and Data (REMOTE_COMMUNICATION).
	EventRemoteComm
	// EventComm is output a process sent between <!--XSUPERVISOR:BEGIN--> and
	// <!--XSUPERVISOR:END--> on a stream with Log.CaptureMaxBytes (capture mode,
	// PROCESS_COMMUNICATION_*): Channel, Data and Pid.
	EventComm
	// EventCheck reports a restart by a failed check (Program.Checks: health, memory,
	// watchdog); Reason says why. Not in supervisord.
	EventCheck
)

// Event is published to subscribers. Publishing never blocks the engine: a subscriber that
// falls behind loses events, and the next event it gets says how many in Dropped.
type Event struct {
	Kind  EventKind
	Time  time.Time // the supervisor's clock
	Group string
	Name  string // process name ("" for group events)
	// For EventState: From and To, the pid (0 if none), Tries (the backoff count, supervisord's
	// `tries`) and, for exits, Expected.
	From, To State
	Pid      int
	Tries    int
	Expected bool
	// For EventLog and EventComm: the channel ("stdout" or "stderr") and the bytes; Pid is
	// the pid of the spawn that wrote them. For EventRemoteComm:
	// Type and Data as given to SendRemoteComm.
	Channel string
	Data    []byte
	Type    string
	// For EventCheck: why the process is restarted.
	Reason string
	// Dropped is how many events this subscriber lost just before this one.
	Dropped int
}
