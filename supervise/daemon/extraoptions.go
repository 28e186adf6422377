package daemon

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Options supervisord-lite adds to program sections ([program:x], and [gunicorn:x] through
// its SectionKind); supervisord ignores unknown keys, so a file using them still loads there:
//
//	cleanup_group = true|false   end the rest of the process group when the main process dies
//	                             on its own, before it is restarted (supervise.Program.CleanupGroup);
//	                             default false for [program:x] (leftovers are logged as a WARN)
//	fatal_retry_secs = N         give a FATAL program a fresh round of start retries after N
//	                             seconds (supervise.Program.FatalRetry); default 0 = never
const (
	KeyCleanupGroup = "cleanup_group"
	KeyFatalRetry   = "fatal_retry_secs"
)

// ExtraOptions are the values of those keys for one section.
type ExtraOptions struct {
	CleanupGroup bool          // cleanup_group
	FatalRetry   time.Duration // fatal_retry_secs, whole seconds; 0 = never
}

// ReadExtraOptions reads the supervisord-lite keys of section in cfg; def holds the values of
// absent keys. Bad values are *conf.Error values naming the section, file and line, worded as
// supervisord words its own.
func ReadExtraOptions(cfg *conf.Config, section string, def ExtraOptions) (ExtraOptions, error) {
	x := def
	vals, err := cfg.SectionValues(section, nil)
	if err != nil {
		return x, err
	}
	var errs *multierror.Error
	bad := func(v conf.SectionValue, msg string) {
		errs = multierror.Append(errs, &conf.Error{Msg: msg, Section: section, File: v.File, Line: v.Line, Suffixed: true})
	}
	if v, ok := vals[KeyCleanupGroup]; ok {
		if on, err := conf.ParseBool(v.Value); err != nil {
			bad(v, err.Error())
		} else {
			x.CleanupGroup = on
		}
	}
	if v, ok := vals[KeyFatalRetry]; ok {
		n, err := conf.ParseInt(v.Value)
		switch {
		case err != nil:
			bad(v, err.Error())
		case n < 0:
			bad(v, fmt.Sprintf("%s must be 0 or more, not %d", KeyFatalRetry, n))
		default:
			x.FatalRetry = time.Duration(n) * time.Second
		}
	}
	return x, errs.ErrorOrNil()
}

// Apply sets the options on p.
func (x ExtraOptions) Apply(p *supervise.Program) {
	p.CleanupGroup = x.CleanupGroup
	p.FatalRetry = x.FatalRetry
}

// ProgramGroup is g, a [program:x] or [group:x] group of cfg, as the daemon runs it:
// supervisord's options (conf.Group.Supervise) plus the ExtraOptions of each program's
// section. It reports every bad value of ours.
func ProgramGroup(cfg *conf.Config, g conf.Group) (supervise.Group, error) {
	sg := g.Supervise()
	var errs *multierror.Error
	read := map[string]ExtraOptions{}
	for i := range sg.Programs {
		if i >= len(g.Processes) {
			break
		}
		sec := g.Processes[i].Section
		x, ok := read[sec]
		if !ok {
			var err error
			if x, err = ReadExtraOptions(cfg, sec, ExtraOptions{}); err != nil {
				errs = multierror.Append(errs, err)
			}
			read[sec] = x
		}
		x.Apply(&sg.Programs[i])
	}
	return sg, errs.ErrorOrNil()
}
