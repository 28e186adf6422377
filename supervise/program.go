package supervise

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// AutoRestart says whether a process that exited after reaching RUNNING is started again
// (supervisord's autorestart). It never applies to a process that exits while STARTING: that one
// goes through BACKOFF and StartRetries whatever AutoRestart says.
type AutoRestart int8

const (
	// RestartUnexpected (the zero value, supervisord's default `unexpected`) restarts only when the
	// exit status is not in ExitCodes. A death by signal is never expected.
	RestartUnexpected AutoRestart = iota
	// RestartAlways (`true`) restarts after every exit.
	RestartAlways
	// RestartNever (`false`) never restarts.
	RestartNever
)

// String returns supervisord's spelling: "unexpected", "true" or "false".
func (a AutoRestart) String() string {
	switch a {
	case RestartAlways:
		return "true"
	case RestartNever:
		return "false"
	case RestartUnexpected:
		return "unexpected"
	}
	return fmt.Sprintf("AutoRestart(%d)", int8(a))
}

// Toggle is a boolean option whose zero value means "the default", for options whose default is
// true or depends on another option.
type Toggle int8

const (
	// Default (the zero value) takes the option's documented default.
	Default Toggle = iota
	// On sets the option.
	On
	// Off clears the option.
	Off
)

// Or returns the toggle as a bool, def when it is Default.
func (t Toggle) Or(def bool) bool {
	switch t {
	case On:
		return true
	case Off:
		return false
	}
	return def
}

// ToggleOf returns On for true and Off for false.
func ToggleOf(b bool) Toggle {
	if b {
		return On
	}
	return Off
}

// Log names where one output stream of a process goes and how its file rotates
// (supervisord's stdout_logfile* / stderr_logfile* options).
//
// Numeric fields follow the package rule: 0 means supervisord's default, a negative value means
// zero.
type Log struct {
	// Path is the log file. "" (the zero value) is supervisord's AUTO: a file in the supervisor's
	// ChildLogDir named <name>-<stdout|stderr>---<identifier>-<random>.log. LogNone ("NONE")
	// discards the output (it is still drained, so the child never blocks).
	Path string
	// MaxBytes rotates the file after the write that makes it at least this large.
	// 0 = 50 MiB (supervisord's 50MB); negative = never rotate.
	MaxBytes int64
	// Backups is how many rotated files (name.1 .. name.N) are kept.
	// 0 = 10; negative = none (the file is truncated in place on rollover).
	Backups int
	// CaptureMaxBytes turns on supervisord's capture mode (stdout_capture_maxbytes): output
	// between <!--XSUPERVISOR:BEGIN--> and <!--XSUPERVISOR:END--> is kept out of the log file,
	// in a buffer of this many bytes, and published as one EventComm at END. 0 = off.
	CaptureMaxBytes int64
	// Events publishes each chunk of output as a log Event (stdout_events_enabled).
	Events bool
	// Syslog also sends the output to the local syslog (stdout_syslog), as supervisord sends
	// it: one message per line of each chunk read, "<name> <line>", tagged
	// Options.SyslogTag, facility user, priority info. Output inside a capture-mode block and
	// an event listener's protocol stdout are not sent (as in supervisord). Default false.
	Syslog bool
	// Every also rotates the file at the first write after each local hour or midnight
	// (logrotate.Hourly, logrotate.Daily; stdout_logfile_rotate). logrotate.Never (the
	// default) rotates by MaxBytes only. Not in supervisord.
	Every logrotate.Period
	// Compress gzips rotated files (name.1.gz ...). Off by default. Not in supervisord.
	Compress bool
	// MaxAge deletes rotated files older than this at each rotation; 0 (the default) keeps
	// up to Backups. Not in supervisord.
	MaxAge time.Duration
	// Timestamps prefixes each line written to the file with the time its end arrived, in
	// supervisord's log format ("2026-12-04 17:12:11,988 "). Events and the tail get the raw
	// output. Off by default. Not in supervisord.
	Timestamps bool
}

// Log path values with a special meaning.
const (
	// LogAuto is supervisord's AUTO; the empty Path means the same.
	LogAuto = "AUTO"
	// LogNone discards the stream (supervisord's NONE).
	LogNone = "NONE"
)

// Defaults of supervisord 4.2.5, applied by Program.WithDefaults.
const (
	DefaultStartSecs    = 1 * time.Second
	DefaultStartRetries = 3
	DefaultStopWait     = 10 * time.Second
	DefaultStopSignal   = syscall.SIGTERM
	DefaultLogMaxBytes  = 50 * 1024 * 1024
	DefaultLogBackups   = 10
	// DefaultPriority is what supervise/conf fills in for a section without priority=. In a
	// Program literal, Priority 0 orders the same way, since only the relative order matters.
	DefaultPriority = 999
)

// Program is the spec of one supervised process, named after supervisord's [program:x] options.
// It is a plain value: the Supervisor copies it, and changing it later has no effect.
//
// Zero values: every field's zero value is supervisord's default. For numeric options whose
// supervisord default is not zero (StartSecs, StartRetries, StopWait, Log.MaxBytes, Log.Backups),
// 0 means that default and a negative value means zero; e.g. StartSecs: -1 is supervisord's
// startsecs=0. WithDefaults applies all of this in one place.
//
// numprocs is handled by the caller (supervise/conf expands it into one Program per process).
type Program struct {
	// Name is the process name (required): letters, digits and most punctuation, but no ':'
	// and no whitespace.
	Name string
	// Command is the program to run: an absolute path, or a name looked up at each spawn in the
	// PATH of Env if it sets one, else the supervisor's PATH, else /bin:/usr/bin:/usr/local/bin
	// (as supervisord). Exactly one of Command and CommandLine is set.
	Command string
	// Args are the arguments after argv[0].
	Args []string
	// CommandLine is a supervisord command= line, split with POSIX shell rules (no shell runs)
	// at each spawn, so that a line that cannot be split is a spawn error as in supervisord
	// (`can't parse command "...": No closing quotation`).
	CommandLine string
	// CommandError, when set, says why the program cannot be run (a Python environment that
	// could not be resolved, say): every start fails at once with this error as its spawn
	// error, so the process goes BACKOFF and then FATAL as for a missing command, while the
	// supervisor and the other programs run on. Command, Args and CommandLine are then
	// ignored (and may be empty). nil = the program runs its command.
	CommandError error
	// Dir is the working directory; "" = the supervisor's.
	Dir string
	// Env is added to the child's environment after the supervisor's own environment and the
	// SUPERVISOR_* variables, as "KEY=VALUE" strings; later entries win.
	Env []string
	// User is the user name or uid to run as (needs root); "" = do not switch. The child then
	// gets that user's uid, gid, supplementary groups, HOME, USER and LOGNAME.
	User string
	// Umask is the child's umask; nil = inherit the supervisor's.
	Umask *os.FileMode
	// Priority orders starts (ascending) and stops (descending) inside a group.
	Priority int
	// AutoStart starts the process when it is added, if it was never started. Default: On.
	AutoStart Toggle
	// AutoRestart: see the type. Default: RestartUnexpected.
	AutoRestart AutoRestart
	// StartSecs is how long the process must stay up (strictly longer) to count as RUNNING.
	// 0 = 1 s; negative = zero, which disables crash protection entirely: a process that exits
	// at once is restarted forever and never reaches BACKOFF or FATAL (as in supervisord).
	StartSecs time.Duration
	// StartRetries is how many failed starts in a row are retried before FATAL; there are
	// StartRetries+1 attempts. 0 = 3; negative = zero (one attempt).
	StartRetries int
	// ExitCodes are the expected exit statuses. nil = [0]; an empty non-nil slice expects none.
	ExitCodes []int
	// StopSignal is sent to stop the process. 0 = SIGTERM.
	StopSignal syscall.Signal
	// StopWait is how long after StopSignal the process gets SIGKILL (re-sent every StopWait
	// until it dies). 0 = 10 s; negative = zero (SIGKILL at once).
	StopWait time.Duration
	// StopAsGroup sends StopSignal to the whole process group.
	StopAsGroup bool
	// KillAsGroup sends SIGKILL to the whole process group. Default: the value of StopAsGroup.
	// StopAsGroup with KillAsGroup Off is invalid (as in supervisord).
	KillAsGroup Toggle
	// RedirectStderr sends the child's stderr into its stdout pipe; Stderr is then unused.
	RedirectStderr bool
	// Stdout and Stderr are where the two streams go.
	Stdout, Stderr Log
	// ServerURL is SUPERVISOR_SERVER_URL for the child; "" = the supervisor's Options.ServerURL
	// (supervisord's AUTO). The variable is omitted when both are empty.
	ServerURL string
	// StdoutProtocol makes stdout a protocol channel (supervisord's event listeners): each
	// chunk the process writes there goes to Options.ProtocolOutput with the pid that wrote it,
	// is logged at DEBG as a Python bytes repr (b'READY\n'), and goes to the Stdout log file;
	// it is never published as a log Event. Default false.
	StdoutProtocol bool

	// CleanupGroup ends the rest of the process's group after an exit of the main process that
	// was not requested (not a stop): StopSignal to the group, SIGKILL after StopWait (re-sent
	// until the group is empty). The process is restarted (or counts as stopped for Remove and
	// shutdown) only once its group is empty, so workers of a dead master (gunicorn's) cannot
	// keep its port. false (the default, supervisord's behaviour) leaves the group alone and
	// logs a WARN naming the pids left in it. Not in supervisord.
	CleanupGroup bool
	// FatalRetry is how long a process stays FATAL before it gets a fresh round of
	// StartRetries+1 start attempts (logged at INFO; the FATAL description ends with
	// "; retry in 4m59s"). A manual start or stop cancels the pending retry; no retry happens
	// while the supervisor shuts down. 0 (the default, supervisord's behaviour) = FATAL stays
	// FATAL; negative = 0. Not in supervisord.
	FatalRetry time.Duration
	// Checks are readiness, health and memory checks (see the type); the zero value has none.
	// Not in supervisord.
	Checks Checks
	// DependsOn names what must be RUNNING (ready, with Checks.Ready) before this process is
	// autostarted: a group name (every process of the group) or "group:name" (one process).
	// The process waits, without a timer, until they all are (a dependency that never gets
	// there keeps it waiting; one that is not configured is logged and keeps it stopped). At
	// shutdown, processes stop before what they depend on. A manual start does not wait.
	// nil (the default) = no dependencies. Not in supervisord.
	DependsOn []string
	// EnvFile is a file of KEY=VALUE lines (the dotenv format that pipenv reads, through
	// Options.ReadEnvFile) read again at each spawn; its variables come after the
	// supervisor's environment and before Env. A file that cannot be read is a spawn error
	// naming it. "" (the default) = none. Not in supervisord.
	EnvFile string
	// Sockets are listening sockets the Supervisor creates when the program is added and keeps
	// until it is removed, passed to each of its processes as systemd's socket activation does
	// (fds 3.. in this order, LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID): between a stop and the
	// next start, and after a kill -9, connections wait in the backlog instead of being
	// refused. Network "tcp" (Address host:port; an IPv6 host in brackets binds IPv6) or
	// "unix" (an absolute path; the file is removed when the socket is closed); ParseSocketURL
	// reads tcp://HOST:PORT and unix:///PATH. Programs naming the same URL share the socket.
	// See the comment at the top of heldsocket.go for how the program is started.
	// nil (the default) = none, and the program is started as without this field. Not in
	// supervisord.
	Sockets []Socket
	// RestartMode is how Supervisor.Restart replaces a RUNNING process: RestartStopStart (the
	// default, supervisord's) or RestartOverlap (start the new one on the held Sockets, stop
	// the old one once the new one is RUNNING; see overlap.go). Not in supervisord.
	RestartMode RestartMode
}

// WithDefaults returns a copy of p with every zero-valued option replaced by supervisord's
// default and every negative "means zero" value replaced by zero, so the engine reads plain
// values. It is the one place defaults are applied.
func (p Program) WithDefaults() Program {
	p.StartSecs = durationDefault(p.StartSecs, DefaultStartSecs)
	p.StopWait = durationDefault(p.StopWait, DefaultStopWait)
	p.StartRetries = intDefault(p.StartRetries, DefaultStartRetries)
	if p.FatalRetry < 0 {
		p.FatalRetry = 0
	}
	if p.ExitCodes == nil {
		p.ExitCodes = []int{0}
	}
	if p.StopSignal == 0 {
		p.StopSignal = DefaultStopSignal
	}
	p.AutoStart = ToggleOf(p.AutoStart.Or(true))
	p.KillAsGroup = ToggleOf(p.KillAsGroup.Or(p.StopAsGroup))
	p.Stdout = p.Stdout.withDefaults()
	p.Stderr = p.Stderr.withDefaults()
	p.Checks = p.Checks.withDefaults()
	return p
}

func (l Log) withDefaults() Log {
	if l.Path == "" {
		l.Path = LogAuto
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultLogMaxBytes
	} else if l.MaxBytes < 0 {
		l.MaxBytes = 0
	}
	l.Backups = intDefault(l.Backups, DefaultLogBackups)
	return l
}

func durationDefault(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func intDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// FieldError is one problem found by Validate, naming the Program field.
type FieldError struct {
	Program string // the program's Name ("" if unnamed)
	Field   string // the Go field name, e.g. "ExitCodes"
	Msg     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("program %q: %s: %s", e.Program, e.Field, e.Msg)
}

// Validate reports every problem of p at once (a *multierror.Error of *FieldError), or nil.
// It checks the spec only; whether Command exists is a spawn-time question, as in supervisord.
func (p Program) Validate() error {
	var errs *multierror.Error
	add := func(field, format string, args ...any) {
		errs = multierror.Append(errs, &FieldError{Program: p.Name, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case p.Name == "":
		add("Name", "is empty")
	case strings.ContainsAny(p.Name, ": \t\r\n"):
		add("Name", "%q contains ':' or whitespace", p.Name)
	}
	switch {
	case p.Command != "" && p.CommandLine != "":
		add("Command", "both Command and CommandLine are set")
	case p.Command == "" && p.CommandLine == "" && len(p.Args) > 0:
		add("Command", "is empty but Args are set")
	case p.CommandLine != "" && len(p.Args) > 0:
		add("Args", "are set with CommandLine (put them in the line)")
	}
	for i, c := range p.ExitCodes {
		if c < 0 || c > 255 {
			add("ExitCodes", "[%d] = %d is outside 0..255", i, c)
		}
	}
	if p.StopSignal < 0 || p.StopSignal > 64 {
		add("StopSignal", "%d is not a signal number", int(p.StopSignal))
	}
	if p.StopAsGroup && p.KillAsGroup == Off {
		add("KillAsGroup", "cannot be Off when StopAsGroup is set")
	}
	if p.AutoRestart < RestartUnexpected || p.AutoRestart > RestartNever {
		add("AutoRestart", "unknown value %d", int8(p.AutoRestart))
	}
	if p.Umask != nil && *p.Umask > 0o777 {
		add("Umask", "%#o is larger than 0777", uint32(*p.Umask))
	}
	for i, kv := range p.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			add("Env", "[%d] = %q is not KEY=VALUE", i, kv)
		}
	}
	if p.RedirectStderr && p.Stderr.Path != "" && p.Stderr.Path != LogNone && p.Stderr.Path != LogAuto {
		add("Stderr", "Path %q is set with RedirectStderr", p.Stderr.Path)
	}
	p.Checks.validate(add)
	for i, sock := range p.Sockets {
		if err := sock.validate(); err != nil {
			add(fmt.Sprintf("Sockets[%d]", i), "%v", err)
		}
	}
	for i, d := range p.DependsOn {
		if d == "" || strings.ContainsAny(d, " \t\r\n") || strings.Count(d, ":") > 1 {
			add("DependsOn", "[%d] = %q is not a group or group:name", i, d)
		}
	}
	return errs.ErrorOrNil()
}

// Group is a set of programs that start and stop together ([program:x] with numprocs, or
// [group:x]). Groups start in ascending Priority and stop in descending Priority.
type Group struct {
	// Name is the group name (required, no ':').
	Name string
	// Priority orders groups; supervise/conf fills supervisord's 999 when unset.
	Priority int
	// Programs are the processes, in the order of supervisord's programs= (the in-group spawn
	// order at autostart).
	Programs []Program
	// Socket, when set, is a listening socket given to every process of the group as fd 0
	// (supervisord's [fcgi-program:x]; see Socket for its life). nil = each process gets a
	// stdin pipe.
	Socket *Socket
}

// Validate reports every problem of g and of its programs at once.
func (g Group) Validate() error {
	var errs *multierror.Error
	if g.Name == "" || strings.ContainsAny(g.Name, ": \t\r\n") {
		errs = multierror.Append(errs, fmt.Errorf("group %q: Name is empty or contains ':' or whitespace", g.Name))
	}
	seen := map[string]bool{}
	for _, p := range g.Programs {
		if err := p.Validate(); err != nil {
			errs = multierror.Append(errs, err)
		}
		if seen[p.Name] {
			errs = multierror.Append(errs, fmt.Errorf("group %q: program %q appears twice", g.Name, p.Name))
		}
		seen[p.Name] = true
	}
	if g.Socket != nil {
		if err := g.Socket.validate(); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("group %q: %w", g.Name, err))
		}
	}
	return errs.ErrorOrNil()
}
