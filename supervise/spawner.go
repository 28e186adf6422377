package supervise

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Spawner starts child processes. The zero Options use the real one (fork/exec with one
// process-wide SIGCHLD reaper); tests inject a fake to drive crash loops without processes.
type Spawner interface {
	// Spawn starts cmd. An error means no process was started; the engine records it as the
	// spawnerr and goes to BACKOFF, as supervisord does for a failed fork.
	Spawn(cmd *Cmd) (Child, error)
}

// Cmd is what the engine asks a Spawner to start. The engine has already resolved Path and
// checked it exists and is executable.
type Cmd struct {
	// Name is the program's name, which spawn errors name as supervisord's do
	// ("too many open files to spawn 'web'"); "" = Args[0].
	Name string
	Path string   // the executable
	Args []string // argv, Args[0] included
	Env  []string // the complete environment, "KEY=VALUE"
	Dir  string   // working directory; "" = the supervisor's
	// Credential switches user (uid, gid, supplementary groups); nil = do not switch.
	Credential *syscall.Credential
	// Umask is the child's umask; nil = inherit.
	Umask *os.FileMode
	// Stdout and Stderr receive the child's output as it arrives; never nil. When
	// RedirectStderr is set the child's stderr is its stdout and Stderr is unused.
	Stdout, Stderr io.Writer
	RedirectStderr bool
	// Stdin, when set, is the child's fd 0 instead of a pipe (a group's Socket); the Child's
	// Stdin is then nil. The spawner neither keeps nor closes it.
	Stdin *os.File
	// ExtraFiles are the child's fds 3, 4, ... (Program.Sockets); the spawner neither keeps
	// nor closes them. nil = the child gets no fd above 2.
	ExtraFiles []*os.File
}

// name is what a spawn error calls the program.
func (c *Cmd) name() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Args[0]
}

// Child is a started process.
type Child interface {
	// Pid is the process id (the leader of its own process group).
	Pid() int
	// Signal sends sig to the process, or to its whole process group when group is set.
	// A process that is already gone is not an error (the exit arrives through Done).
	Signal(sig syscall.Signal, group bool) error
	// Done delivers the exit status once, after the process was reaped and its output drained.
	Done() <-chan ExitStatus
	// Stdin is the write end of the child's stdin, or nil if it has none.
	Stdin() io.Writer
}

// ExitStatus is how a process ended (supervisord's decode_wait_status).
type ExitStatus struct {
	// Code is the exit code, or -1 when the process was killed by a signal.
	Code int
	// Signal is the signal that killed it; 0 for a normal exit.
	Signal syscall.Signal
	// CoreDump reports a core dump with the signal.
	CoreDump bool
}

// Exit returns the status of a normal exit with code.
func Exit(code int) ExitStatus { return ExitStatus{Code: code} }

// Killed returns the status of a death by sig.
func Killed(sig syscall.Signal) ExitStatus { return ExitStatus{Code: -1, Signal: sig} }

// FromWaitStatus converts a wait(2) status.
func FromWaitStatus(ws syscall.WaitStatus) ExitStatus {
	switch {
	case ws.Exited():
		return ExitStatus{Code: ws.ExitStatus()}
	case ws.Signaled():
		return ExitStatus{Code: -1, Signal: ws.Signal(), CoreDump: ws.CoreDump()}
	}
	return ExitStatus{Code: -1}
}

// String is supervisord's message: "exit status 1", "terminated by SIGKILL",
// "terminated by SIGSEGV (core dumped)".
func (e ExitStatus) String() string {
	if e.Signal == 0 {
		if e.Code < 0 {
			return "unknown termination cause"
		}
		return fmt.Sprintf("exit status %d", e.Code)
	}
	s := "terminated by " + SignalName(e.Signal)
	if e.CoreDump {
		s += " (core dumped)"
	}
	return s
}
