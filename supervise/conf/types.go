package conf

import (
	"net"
	"os"
	"strconv"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Config is a parsed supervisord.conf with its included files.
type Config struct {
	// File is the main file's path as given to Load (supervisord's -c value; relative stays
	// relative, as in supervisord's messages).
	File string
	// Here is the absolute directory of File (%(here)s in the main file).
	Here string
	// Included lists the included files in the order they were read.
	Included []string
	// Supervisord holds the [supervisord] settings, defaults applied.
	Supervisord Supervisord
	// Groups are the process groups in supervisord's order: ascending Priority, then Name.
	// A [program:x] outside any [group:y] is a group of its own named x.
	Groups []Group
	// Servers are the [inet_http_server] then [unix_http_server] sections.
	Servers []Server
	// Ctl is the [supervisorctl] section (defaults when absent).
	Ctl Ctl
	// RPCInterfaces are the [rpcinterface:x] sections, kept as written.
	RPCInterfaces []RPCInterface
	// Warnings are supervisord's parse warnings (it logs them as WARN at start-up), plus
	// warnings of our own about surprising environment= values.
	Warnings []string
	// Infos are supervisord's parse infos ("Included extra file ... during parsing").
	Infos []string
	// INI is every section as read, the unknown ones included, with file and line of every
	// value: callers read their own sections from it.
	INI *ini.File

	ld *loader // kept for ProcessesFromSection
}

// Supervisord is the [supervisord] section.
type Supervisord struct {
	Logfile         string // absolute path, or "syslog"; default supervisord.log in the cwd
	LogfileMaxBytes int64  // default 50 MiB; 0 = no rotation
	LogfileBackups  int    // default 10
	LogLevel        string // critical, error, warn, info (default), debug, trace or blather
	Pidfile         string // absolute path; default supervisord.pid in the cwd
	Umask           int    // default 022
	Nodaemon        bool
	Silent          bool
	Minfds          int    // default 1024
	Minprocs        int    // default 200
	Nocleanup       bool   // keep AUTO child logs at start-up
	Childlogdir     string // default os.TempDir() (Python's tempfile.gettempdir())
	User            string // "" = not set
	UID             *int   // resolved User
	Directory       string // "" = not set (applies when daemonizing)
	StripANSI       bool
	Identifier      string // default "supervisor"
	// Environment is environment= in order; every child gets it before its own.
	Environment []EnvVar
	// LogfileTime is supervisord-lite's logfile_rotate/_compress/_maxage (no _timestamps).
	LogfileTime LogTime
}

// GroupKind says which kind of section made a group.
type GroupKind int8

const (
	// KindProgram is a [program:x] outside any [group:y] (supervisord's homogeneous group).
	KindProgram GroupKind = iota
	// KindGroup is a [group:x] of programs= (supervisord's heterogeneous group).
	KindGroup
	// KindEventListener is an [eventlistener:x] pool: its processes are supervise.Programs
	// with StdoutProtocol set, and EventListener holds what supervise/eventlistener needs.
	KindEventListener
	// KindFastCGI is an [fcgi-program:x]: its supervise.Group has the Socket that FastCGI
	// holds, given to every process as fd 0.
	KindFastCGI
)

// String returns the section prefix of the kind ("program", "group", ...).
func (k GroupKind) String() string {
	switch k {
	case KindGroup:
		return "group"
	case KindEventListener:
		return "eventlistener"
	case KindFastCGI:
		return "fcgi-program"
	}
	return "program"
}

// Group is one process group.
type Group struct {
	Name     string
	Priority int // default 999 (-1 for event listener pools)
	Kind     GroupKind
	// Section is the section that made the group ("program:x", "group:x", ...).
	Section string
	// File and Line locate the section header.
	File string
	Line int
	// Processes in supervisord's order: for a [group:x] the programs= order, each program's
	// processes by ascending priority then name; otherwise by priority then name.
	Processes []Process
	// EventListener is set for KindEventListener.
	EventListener *EventListenerPool
	// FastCGI is set for KindFastCGI.
	FastCGI *FastCGISocket
}

// EventListenerPool holds the [eventlistener:x] options beyond the program ones.
type EventListenerPool struct {
	Events        []string // upper-case event type names, sorted, without duplicates
	BufferSize    int      // default 10
	ResultHandler string   // default supervisor.dispatchers:default_handler
}

// FastCGISocket is the socket= of an [fcgi-program:x].
type FastCGISocket struct {
	URL     string  // unix:///abs/path or tcp://host:port (supervisord's socket_config url)
	Path    string  // for unix://
	Host    string  // for tcp://
	Port    int     // for tcp://
	Owner   *[2]int // uid, gid (-1 = unchanged) for unix://
	Mode    int     // for unix://; default 0700
	Backlog int     // 0 = the system's default
}

// LogConfig is one stream's logfile options of a process.
type LogConfig struct {
	Mode            LogMode
	Path            string // when Mode is LogFile
	MaxBytes        int64  // default 50 MiB
	Backups         int    // default 10
	CaptureMaxBytes int64  // default 0
	EventsEnabled   bool
	Syslog          bool
	// Time is supervisord-lite's <stream>_logfile_rotate/_compress/_maxage/_timestamps.
	Time LogTime
}

// Process is one process of a group, with supervisord's ProcessConfig values: every
// expansion done, every default applied, in supervisord's own units (seconds, raw signal
// numbers). Program converts it to a supervise.Program.
type Process struct {
	Name  string // the expanded process_name
	Group string
	// Section, File and Line locate the section the process comes from.
	Section string
	File    string
	Line    int
	// ProcessNum is %(process_num)s of this process.
	ProcessNum int

	Command        string  // the expanded command= line, split at spawn time
	Directory      *string // nil = not set
	Umask          *int    // nil = inherit
	Priority       int
	AutoStart      bool
	AutoRestart    supervise.AutoRestart
	StartSecs      int // seconds
	StartRetries   int
	User           string // as written; "" = not set
	UID            *int   // resolved User
	Stdout         LogConfig
	Stderr         LogConfig
	StopSignal     int // 0 (accepted by supervisord: SIG_DFL) .. 64
	StopWaitSecs   int
	StopAsGroup    bool
	KillAsGroup    bool
	ExitCodes      []int
	RedirectStderr bool
	// Environment is [supervisord] environment= followed by the process's own environment=
	// (a key in both keeps its first position and the process's value).
	Environment []EnvVar
	// ServerURL is serverurl=; nil = AUTO (the supervisor's own URL).
	ServerURL *string
	// Checks are supervisord-lite's readiness, health and memory options (ready=,
	// healthcheck_*=, memory_limit=, ...; see CheckKeys), as supervise.Checks.
	Checks supervise.Checks
	// DependsOn is depends_on= (supervisord-lite's): the groups or group:process names that
	// must be RUNNING before this process starts.
	DependsOn []string
	// EnvironmentFile is environment_file= (supervisord-lite's), an absolute path; "" = none.
	EnvironmentFile string
	// Sockets is sockets= (supervisord-lite's): listening sockets the daemon holds for the
	// process; nil = none.
	Sockets []supervise.Socket
	// RestartMode is restart_mode= (supervisord-lite's); the zero value is stop-start.
	RestartMode supervise.RestartMode
}

// Argv splits Command as supervisord does at spawn time (POSIX shell-like quoting, no
// comments), for checks that need argv[0]; the error is supervisord's spawn error text.
func (p Process) Argv() ([]string, error) {
	return splitCommand(p.Command)
}

// Program returns the process as a supervise.Program with explicit values (no zero value
// stands for a default that differs from what this process has).
//
// Differences from supervisord that the Program cannot express: stopsignal=0 (supervisord
// accepts it and then sends nothing) becomes 0, which supervise reads as SIGTERM.
func (p Process) Program() supervise.Program {
	prog := supervise.Program{
		Name:           p.Name,
		CommandLine:    p.Command,
		Env:            envStrings(p.Environment),
		User:           p.User,
		Priority:       p.Priority,
		AutoStart:      supervise.ToggleOf(p.AutoStart),
		AutoRestart:    p.AutoRestart,
		StartSecs:      secondsOrNegative(p.StartSecs),
		StartRetries:   intOrNegative(p.StartRetries),
		ExitCodes:      append([]int{}, p.ExitCodes...),
		StopWait:       secondsOrNegative(p.StopWaitSecs),
		StopAsGroup:    p.StopAsGroup,
		KillAsGroup:    supervise.ToggleOf(p.KillAsGroup),
		RedirectStderr: p.RedirectStderr,
		Stdout:         p.Stdout.log(),
		Stderr:         p.Stderr.log(),
		Checks:         p.Checks,
		DependsOn:      append([]string(nil), p.DependsOn...),
		EnvFile:        p.EnvironmentFile,
		Sockets:        append([]supervise.Socket(nil), p.Sockets...),
		RestartMode:    p.RestartMode,
	}
	if p.StopSignal > 0 {
		prog.StopSignal = sig(p.StopSignal)
	}
	if p.Directory != nil {
		prog.Dir = *p.Directory
	}
	if p.Umask != nil {
		m := os.FileMode(*p.Umask)
		prog.Umask = &m
	}
	if p.ServerURL != nil {
		prog.ServerURL = *p.ServerURL
	}
	if p.RedirectStderr {
		prog.Stderr.Path = supervise.LogNone
	}
	return prog
}

func (l LogConfig) log() supervise.Log {
	out := supervise.Log{
		MaxBytes:        l.MaxBytes,
		Backups:         intOrNegative(l.Backups),
		CaptureMaxBytes: l.CaptureMaxBytes,
		Events:          l.EventsEnabled,
		Syslog:          l.Syslog,
		Every:           l.Time.Rotate,
		Compress:        l.Time.Compress,
		MaxAge:          l.Time.MaxAge,
		Timestamps:      l.Time.Timestamps,
	}
	if out.MaxBytes <= 0 {
		out.MaxBytes = -1
	}
	if out.CaptureMaxBytes < 0 {
		out.CaptureMaxBytes = 0
	}
	switch {
	case l.Mode == LogAutomatic:
		out.Path = supervise.LogAuto
	case l.Mode == LogNothing || l.Path == "":
		out.Path = supervise.LogNone
	default:
		out.Path = l.Path
	}
	return out
}

func secondsOrNegative(n int) time.Duration {
	if n <= 0 {
		return -1
	}
	return time.Duration(n) * time.Second
}

func intOrNegative(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

func envStrings(vars []EnvVar) []string {
	if len(vars) == 0 {
		return nil
	}
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Key + "=" + v.Value
	}
	return out
}

// Supervise returns the group as a supervise.Group. The programs of an event listener pool
// have StdoutProtocol set (their stdout is the event listener protocol's channel).
func (g Group) Supervise() supervise.Group {
	sg := supervise.Group{Name: g.Name, Priority: g.Priority}
	for _, p := range g.Processes {
		prog := p.Program()
		prog.StdoutProtocol = g.Kind == KindEventListener
		sg.Programs = append(sg.Programs, prog)
	}
	if g.Kind == KindFastCGI && g.FastCGI != nil {
		sock := g.FastCGI.Socket()
		sg.Socket = &sock
	}
	return sg
}

// Socket returns the socket as a supervise.Socket.
func (s FastCGISocket) Socket() supervise.Socket {
	if s.Path != "" {
		return supervise.Socket{Network: "unix", Address: s.Path, Backlog: s.Backlog,
			Mode: os.FileMode(s.Mode), Owner: s.Owner}
	}
	return supervise.Socket{Network: "tcp", Address: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Backlog: s.Backlog}
}

// SuperviseGroups returns every group as supervise runs it, in Groups order (an event
// listener pool also needs its supervise/eventlistener pool, see EventListenerPool; a FastCGI
// group carries its Socket).
func (c *Config) SuperviseGroups() []supervise.Group {
	var out []supervise.Group
	for _, g := range c.Groups {
		out = append(out, g.Supervise())
	}
	return out
}

// Server is an [inet_http_server] or [unix_http_server] section.
type Server struct {
	Section string
	// Name is the part after "inet_http_server" / "unix_http_server" and a ':' ("" for none).
	Name string
	// Unix is true for a unix_http_server.
	Unix bool
	// Host ("" = all interfaces) and Port for inet; File (absolute), Chmod (default 0700) and
	// Chown (uid, gid; -1 = unchanged) for unix.
	Host  string
	Port  int
	File  string
	Chmod int
	Chown [2]int
	// Username and Password are both set or both empty; Password may be "{SHA}<hex>".
	Username, Password string
	HasAuth            bool
}

// URL returns the URL supervisord gives children as SUPERVISOR_SERVER_URL for this server:
// unix:///path or http://host:port (host "localhost" when empty).
func (s Server) URL() string {
	if s.Unix {
		return "unix://" + s.File
	}
	h := s.Host
	if h == "" {
		h = "localhost"
	}
	return "http://" + h + ":" + itoa(s.Port)
}

// ServerURL returns supervisord's own URL: the first unix server, else the first inet
// server, else "".
func (c *Config) ServerURL() string {
	for _, s := range c.Servers {
		if s.Unix {
			return s.URL()
		}
	}
	for _, s := range c.Servers {
		return s.URL()
	}
	return ""
}

// Ctl is the [supervisorctl] section.
type Ctl struct {
	ServerURL   string // default http://localhost:9001; unix:// paths made absolute
	Username    string
	Password    string
	Prompt      string // default "supervisor"
	HistoryFile string // absolute path, or ""
}

// RPCInterface is an [rpcinterface:x] section.
type RPCInterface struct {
	Name    string
	Factory string            // supervisor.rpcinterface_factory
	Extras  map[string]string // the other keys, expanded
}
