package export

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// What both exporters share about supervisord-lite's own options (none is in supervisord):
// ready, healthcheck_*, watchdog_secs, memory_*, depends_on, environment_file and the
// <stream>_logfile_rotate/_compress/_maxage/_timestamps log options.

// checks are the process's readiness, health and memory options with their defaults applied.
func checks(p conf.Process) supervise.Checks {
	return supervise.Program{Checks: p.Checks}.WithDefaults().Checks
}

// warnUnmapped adds a Warning that option of the process's section is not mapped, showing
// its value as written or, when the section does not write it, value as the default the
// process has anyway (a [gunicorn:x] section's ready = notify, say).
func (m *model) warnUnmapped(p conf.Process, option, value, why string) {
	m.warnValue(p, option, m.shownValue(p, option, value)+" not mapped: "+why)
}

// shownValue is option as written in the process's section, quoted, or value marked as the
// default when the section does not write it.
func (m *model) shownValue(p conf.Process, option, value string) string {
	if raw, ok := m.rawValue(p, option); ok {
		return fmt.Sprintf("%q", raw)
	}
	return fmt.Sprintf("%q (default)", value)
}

// warnWritten adds a Warning for each of options written in the process's section.
func (m *model) warnWritten(p conf.Process, why string, options ...string) {
	for _, o := range options {
		if raw, ok := m.rawValue(p, o); ok {
			m.warnValue(p, o, fmt.Sprintf("%q not mapped: %s", raw, why))
		}
	}
}

// logTimeOption is one of a stream's time-based log options that is switched on.
type logTimeOption struct {
	// Option is the option name, e.g. "stdout_logfile_rotate".
	Option string
	// Retention is true for the options about when files are rotated or deleted (_rotate,
	// _maxage), false for _compress and _timestamps.
	Retention bool
}

// logTimeOptions are the time-based options switched on for one stream ("stdout" or
// "stderr") of a process.
func logTimeOptions(stream string, t conf.LogTime) []logTimeOption {
	var out []logTimeOption
	if t.Rotate != logrotate.Never {
		out = append(out, logTimeOption{stream + "_logfile_rotate", true})
	}
	if t.Compress {
		out = append(out, logTimeOption{stream + "_logfile_compress", false})
	}
	if t.MaxAge > 0 {
		out = append(out, logTimeOption{stream + "_logfile_maxage", true})
	}
	if t.Timestamps {
		out = append(out, logTimeOption{stream + "_logfile_timestamps", false})
	}
	return out
}

// environmentFileOrder says why environment_file and environment= together need care: both
// targets let the file's variables win, supervisord-lite lets environment= win.
const environmentFileOrder = "a variable set both there and in environment= gets the file's value (supervisord-lite gives environment= the last word)"
