package conf

import (
	"reflect"
	"sort"

	"github.com/supervisord-lite/supervisord-lite/internal/byname"
)

// ConfigInfo is one process as supervisord's getAllConfigInfo reports it, field for field.
// Values supervisord reports as the strings 'none' (Python None) and 'auto' (AUTO logs) are
// those strings here too; UID is nil for 'none'.
type ConfigInfo struct {
	Name                  string
	Group                 string
	GroupPrio             int
	ProcessPrio           int
	InUse                 bool // true for a group that is active; Config.ConfigInfo sets it for all
	AutoStart             bool
	Directory             string // "none" when unset
	UID                   *int   // nil = 'none'
	Command               string
	ExitCodes             []int
	KillAsGroup           bool
	RedirectStderr        bool
	StartRetries          int
	StartSecs             int
	StopSignal            int
	StopWaitSecs          int
	ServerURL             string // "none" for AUTO
	StdoutCaptureMaxBytes int64
	StdoutEventsEnabled   bool
	StdoutLogfile         string // "auto", "none" or the path
	StdoutLogfileBackups  int
	StdoutLogfileMaxBytes int64
	StdoutSyslog          bool
	StderrCaptureMaxBytes int64
	StderrEventsEnabled   bool
	StderrLogfile         string
	StderrLogfileBackups  int
	StderrLogfileMaxBytes int64
	StderrSyslog          bool
}

func logInfo(l LogConfig) string {
	switch l.Mode {
	case LogAutomatic:
		return "auto"
	case LogNothing:
		return "none"
	}
	return l.Path
}

// Info returns the process's getAllConfigInfo entry in group g.
func (p Process) Info(g Group) ConfigInfo {
	ci := ConfigInfo{
		Name: p.Name, Group: g.Name, GroupPrio: g.Priority, ProcessPrio: p.Priority, InUse: true,
		AutoStart: p.AutoStart, Directory: "none", UID: p.UID, Command: p.Command,
		ExitCodes: append([]int{}, p.ExitCodes...), KillAsGroup: p.KillAsGroup,
		RedirectStderr: p.RedirectStderr, StartRetries: p.StartRetries, StartSecs: p.StartSecs,
		StopSignal: p.StopSignal, StopWaitSecs: p.StopWaitSecs, ServerURL: "none",
		StdoutCaptureMaxBytes: p.Stdout.CaptureMaxBytes, StdoutEventsEnabled: p.Stdout.EventsEnabled,
		StdoutLogfile: logInfo(p.Stdout), StdoutLogfileBackups: p.Stdout.Backups,
		StdoutLogfileMaxBytes: p.Stdout.MaxBytes, StdoutSyslog: p.Stdout.Syslog,
		StderrCaptureMaxBytes: p.Stderr.CaptureMaxBytes, StderrEventsEnabled: p.Stderr.EventsEnabled,
		StderrLogfile: logInfo(p.Stderr), StderrLogfileBackups: p.Stderr.Backups,
		StderrLogfileMaxBytes: p.Stderr.MaxBytes, StderrSyslog: p.Stderr.Syslog,
	}
	if p.Directory != nil {
		ci.Directory = *p.Directory
	}
	if p.ServerURL != nil {
		ci.ServerURL = *p.ServerURL
	}
	return ci
}

// ConfigInfo returns getAllConfigInfo for the whole config: every process of every group,
// sorted by process name (stable over the group order), InUse true.
func (c *Config) ConfigInfo() []ConfigInfo {
	var out []ConfigInfo
	for _, g := range c.Groups {
		for _, p := range g.Processes {
			out = append(out, p.Info(g))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Map returns the XML-RPC struct supervisord sends for this entry: the same keys, with
// 'none' for an unset uid.
func (ci ConfigInfo) Map() map[string]any {
	var uid any = "none"
	if ci.UID != nil {
		uid = *ci.UID
	}
	codes := make([]any, len(ci.ExitCodes))
	for i, c := range ci.ExitCodes {
		codes[i] = c
	}
	return map[string]any{
		"name": ci.Name, "group": ci.Group, "group_prio": ci.GroupPrio, "process_prio": ci.ProcessPrio,
		"inuse": ci.InUse, "autostart": ci.AutoStart, "directory": ci.Directory, "uid": uid,
		"command": ci.Command, "exitcodes": codes, "killasgroup": ci.KillAsGroup,
		"redirect_stderr": ci.RedirectStderr, "startretries": ci.StartRetries, "startsecs": ci.StartSecs,
		"stopsignal": ci.StopSignal, "stopwaitsecs": ci.StopWaitSecs, "serverurl": ci.ServerURL,
		"stdout_capture_maxbytes": ci.StdoutCaptureMaxBytes, "stdout_events_enabled": ci.StdoutEventsEnabled,
		"stdout_logfile": ci.StdoutLogfile, "stdout_logfile_backups": ci.StdoutLogfileBackups,
		"stdout_logfile_maxbytes": ci.StdoutLogfileMaxBytes, "stdout_syslog": ci.StdoutSyslog,
		"stderr_capture_maxbytes": ci.StderrCaptureMaxBytes, "stderr_events_enabled": ci.StderrEventsEnabled,
		"stderr_logfile": ci.StderrLogfile, "stderr_logfile_backups": ci.StderrLogfileBackups,
		"stderr_logfile_maxbytes": ci.StderrLogfileMaxBytes, "stderr_syslog": ci.StderrSyslog,
	}
}

// Diff compares two configurations as supervisord's reread/update does (diff_to_active):
// added are group names only in next, removed only in prev, changed are in both but differ
// under supervisord's equality (name, priority, the processes in order with every
// ProcessConfig parameter; event listener pools also compare buffer size, events and result
// handler; FastCGI groups their socket). prev is taken as the active configuration: an AUTO
// log in next compares equal to anything, while an AUTO log in prev (a real file once
// supervisord started the group) differs from any other value in next, as supervisord finds.
// added and changed follow next's group order, removed prev's. Either config may be nil.
func Diff(prev, next *Config) (added, changed, removed []string) {
	var prevGroups, nextGroups []Group
	if prev != nil {
		prevGroups = prev.Groups
	}
	if next != nil {
		nextGroups = next.Groups
	}
	return byname.Diff(prevGroups, nextGroups, func(g Group) string { return g.Name },
		func(old, g Group) bool { return groupEqual(g, old) })
}

// groupEqual is new == old with supervisord's __eq__ of the new group's class.
func groupEqual(n, o Group) bool {
	switch n.Kind {
	case KindEventListener:
		if o.Kind != KindEventListener || !reflect.DeepEqual(*n.EventListener, *o.EventListener) {
			return false
		}
	case KindFastCGI:
		if o.Kind != KindFastCGI || n.FastCGI.URL != o.FastCGI.URL {
			return false
		}
	default:
		if o.Kind == KindEventListener {
			return false
		}
	}
	if n.Name != o.Name || n.Priority != o.Priority || len(n.Processes) != len(o.Processes) {
		return false
	}
	for i := range n.Processes {
		if !processEqual(n.Processes[i], o.Processes[i]) {
			return false
		}
	}
	return true
}

// processEqual is ProcessConfig.__eq__ of a new process n against an active one o: every
// parameter, the environment as a dict, a logfile skipped when n's is AUTO. An active
// process's AUTO logfile is a real file by then (supervisord replaced it when the group
// started), so an AUTO in o against anything else in n differs.
func processEqual(n, o Process) bool {
	norm := func(p Process, other Process) Process {
		p.Group, p.Section, p.File, p.Line, p.ProcessNum = "", "", "", 0, 0
		p.User = "" // supervisord compares the uid
		if n.Stdout.Mode == LogAutomatic {
			p.Stdout.Mode, p.Stdout.Path = LogAutomatic, ""
		} else if p.Stdout.Mode == LogAutomatic {
			p.Stdout.Path = "\x00auto"
		}
		if n.Stderr.Mode == LogAutomatic {
			p.Stderr.Mode, p.Stderr.Path = LogAutomatic, ""
		} else if p.Stderr.Mode == LogAutomatic {
			p.Stderr.Path = "\x00auto"
		}
		env := map[string]string{}
		for _, v := range p.Environment {
			env[v.Key] = v.Value
		}
		p.Environment = nil
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.Environment = append(p.Environment, EnvVar{k, env[k]})
		}
		if p.ExitCodes == nil {
			p.ExitCodes = []int{}
		}
		return p
	}
	return reflect.DeepEqual(norm(n, o), norm(o, n))
}
