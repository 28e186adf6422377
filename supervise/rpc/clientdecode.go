package rpc

import (
	"fmt"
	"strconv"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// This file turns decoded XML-RPC answers into the Client's typed values; the string keys of
// supervisord's structs stay here.

// DecodeError is an answer whose shape is not the one the method returns: a struct where an
// array was expected, a member of the wrong type. A member that is missing decodes to its zero
// value (older servers send fewer members), so only a wrong type is an error.
type DecodeError struct {
	Method string // "supervisor.getProcessInfo"
	Member string // the struct member ("pid"), "" for the answer itself
	Want   string // the XML-RPC type expected: "string", "int", "boolean", "array", "struct"
	Got    any    // the decoded value that was received
}

func (e *DecodeError) Error() string {
	what := "answer"
	if e.Member != "" {
		what = fmt.Sprintf("member %q", e.Member)
	}
	return fmt.Sprintf("rpc: %s: %s is %T (%v), want %s", e.Method, what, e.Got, e.Got, e.Want)
}

// decoder reads the members of the structs of one method's answer; the first type error
// is kept, later reads give zero values.
type decoder struct {
	method string
	err    error
}

func (d *decoder) fail(member, want string, got any) {
	if d.err == nil {
		d.err = &DecodeError{Method: d.method, Member: member, Want: want, Got: got}
	}
}

func (d *decoder) structOf(v any) xmlrpc.Struct {
	s, ok := v.(xmlrpc.Struct)
	if !ok {
		d.fail("", "struct", v)
	}
	return s
}

func (d *decoder) array(v any) []any {
	a, ok := v.([]any)
	if !ok {
		d.fail("", "array", v)
	}
	return a
}

func (d *decoder) str(s xmlrpc.Struct, name string) string {
	v, ok := s.Get(name)
	if !ok {
		return ""
	}
	x, ok := v.(string)
	if !ok {
		d.fail(name, "string", v)
	}
	return x
}

func (d *decoder) int(s xmlrpc.Struct, name string) int {
	v, ok := s.Get(name)
	if !ok {
		return 0
	}
	x, ok := v.(int64)
	if !ok {
		d.fail(name, "int", v)
	}
	return int(x)
}

func (d *decoder) bool(s xmlrpc.Struct, name string) bool {
	v, ok := s.Get(name)
	if !ok {
		return false
	}
	x, ok := v.(bool)
	if !ok {
		d.fail(name, "boolean", v)
	}
	return x
}

// time is a member holding seconds since the epoch; 0 is the zero Time.
func (d *decoder) time(s xmlrpc.Struct, name string) time.Time {
	if n := d.int(s, name); n != 0 {
		return time.Unix(int64(n), 0)
	}
	return time.Time{}
}

func (d *decoder) strings(v any, member string) []string {
	a, ok := v.([]any)
	if !ok {
		d.fail(member, "array", v)
		return nil
	}
	out := make([]string, 0, len(a))
	for _, x := range a {
		s, ok := x.(string)
		if !ok {
			d.fail(member, "string", x)
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) processInfo(v any) ProcessInfo {
	s := d.structOf(v)
	return ProcessInfo{
		Name:          d.str(s, "name"),
		Group:         d.str(s, "group"),
		Start:         d.time(s, "start"),
		Stop:          d.time(s, "stop"),
		Now:           d.time(s, "now"),
		State:         supervise.State(d.int(s, "state")),
		StateName:     d.str(s, "statename"),
		SpawnErr:      d.str(s, "spawnerr"),
		ExitStatus:    d.int(s, "exitstatus"),
		Logfile:       d.str(s, "logfile"),
		StdoutLogfile: d.str(s, "stdout_logfile"),
		StderrLogfile: d.str(s, "stderr_logfile"),
		Pid:           d.int(s, "pid"),
		Description:   d.str(s, "description"),
	}
}

func (d *decoder) result(v any) ProcessResult {
	s := d.structOf(v)
	return ProcessResult{
		Name:        d.str(s, "name"),
		Group:       d.str(s, "group"),
		Status:      d.int(s, "status"),
		Description: d.str(s, "description"),
	}
}

func (d *decoder) configInfo(v any) ConfigInfo {
	s := d.structOf(v)
	var exit []int
	if x, ok := s.Get("exitcodes"); ok {
		for _, e := range d.array(x) {
			n, ok := e.(int64)
			if !ok {
				d.fail("exitcodes", "int", e)
			}
			exit = append(exit, int(n))
		}
	}
	var uid *int // 'none', or the uid (an int, or its digits as our server sends them)
	if x, ok := s.Get("uid"); ok {
		switch u := x.(type) {
		case int64:
			n := int(u)
			uid = &n
		case string:
			if n, err := strconv.Atoi(u); err == nil {
				uid = &n
			}
		}
	}
	return ConfigInfo{
		Name:                  d.str(s, "name"),
		Group:                 d.str(s, "group"),
		GroupPrio:             d.int(s, "group_prio"),
		ProcessPrio:           d.int(s, "process_prio"),
		InUse:                 d.bool(s, "inuse"),
		AutoStart:             d.bool(s, "autostart"),
		Directory:             d.str(s, "directory"),
		UID:                   uid,
		Command:               d.str(s, "command"),
		ServerURL:             d.str(s, "serverurl"),
		ExitCodes:             exit,
		KillAsGroup:           d.bool(s, "killasgroup"),
		RedirectStderr:        d.bool(s, "redirect_stderr"),
		StartRetries:          d.int(s, "startretries"),
		StartSecs:             d.int(s, "startsecs"),
		StopSignal:            d.int(s, "stopsignal"),
		StopWaitSecs:          d.int(s, "stopwaitsecs"),
		StdoutLogfile:         d.str(s, "stdout_logfile"),
		StdoutLogfileMaxBytes: int64(d.int(s, "stdout_logfile_maxbytes")),
		StdoutLogfileBackups:  d.int(s, "stdout_logfile_backups"),
		StdoutCaptureMaxBytes: int64(d.int(s, "stdout_capture_maxbytes")),
		StdoutEventsEnabled:   d.bool(s, "stdout_events_enabled"),
		StdoutSyslog:          d.bool(s, "stdout_syslog"),
		StderrLogfile:         d.str(s, "stderr_logfile"),
		StderrLogfileMaxBytes: int64(d.int(s, "stderr_logfile_maxbytes")),
		StderrLogfileBackups:  d.int(s, "stderr_logfile_backups"),
		StderrCaptureMaxBytes: int64(d.int(s, "stderr_capture_maxbytes")),
		StderrEventsEnabled:   d.bool(s, "stderr_events_enabled"),
		StderrSyslog:          d.bool(s, "stderr_syslog"),
	}
}
