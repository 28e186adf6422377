package supervise

import (
	"errors"
	"fmt"
)

// Errors callers branch on with errors.Is. supervise/rpc maps each to supervisord's XML-RPC
// fault in one place.
var (
	// ErrNotFound: no process or group of that name (fault BAD_NAME).
	ErrNotFound = errors.New("no such process")
	// ErrAlreadyStarted: start of a process in STARTING, RUNNING or BACKOFF (ALREADY_STARTED).
	ErrAlreadyStarted = errors.New("already started")
	// ErrNotRunning: stop or signal of a process that is not running (NOT_RUNNING).
	ErrNotRunning = errors.New("not running")
	// ErrSpawn: a start that failed with a spawn error (SPAWN_ERROR).
	ErrSpawn = errors.New("spawn error")
	// ErrAbnormalTermination: a waited start whose process left STARTING without reaching
	// RUNNING (ABNORMAL_TERMINATION).
	ErrAbnormalTermination = errors.New("abnormal termination")
	// ErrNoFile: the command does not exist (NO_FILE).
	ErrNoFile = errors.New("no such file")
	// ErrNotExecutable: the command is a directory or not executable (NOT_EXECUTABLE).
	ErrNotExecutable = errors.New("file is not executable")
	// ErrBadSignal: an unknown signal name or number (BAD_SIGNAL).
	ErrBadSignal = errors.New("bad signal name")
	// ErrAlreadyAdded: Add of a group that is already present (ALREADY_ADDED).
	ErrAlreadyAdded = errors.New("process group already active")
	// ErrStillRunning: Remove of a group with a process not in a stopped state (STILL_RUNNING).
	ErrStillRunning = errors.New("process group still running")
	// ErrShutdown: the supervisor is stopping or not serving (SHUTDOWN_STATE).
	ErrShutdown = errors.New("supervisor is shutting down")
	// ErrFailed: anything else, e.g. a process in UNKNOWN state (FAILED).
	ErrFailed = errors.New("failed")
)

// ProcessError is the error of one operation on one process or group; Err is one of the
// sentinel errors above, Detail supervisord's extra text (e.g. the spawnerr).
type ProcessError struct {
	Op     string // "start", "stop", "signal", "add", "remove", ...
	Name   string // the namespec as given ("web", "grp:web", "grp:*")
	Err    error
	Detail string
}

func (e *ProcessError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s %s: %v: %s", e.Op, e.Name, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s %s: %v", e.Op, e.Name, e.Err)
}

// Unwrap returns the sentinel error.
func (e *ProcessError) Unwrap() error { return e.Err }
