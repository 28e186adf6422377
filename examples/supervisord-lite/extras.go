package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Options supervisord-lite adds to [program:x] and [gunicorn:x] sections (supervisord ignores
// unknown keys, so a file using them still loads there):
//
//	cleanup_group = true|false   end the rest of the process group when the main process dies
//	                             on its own, before it is restarted (supervise.Program.CleanupGroup);
//	                             default false for [program:x] (leftovers are logged as a WARN),
//	                             true for [gunicorn:x] (a dead master's workers keep its port)
//	fatal_retry_secs = N         give a FATAL program a fresh round of start retries after N
//	                             seconds (supervise.Program.FatalRetry); default 0 = never
const (
	keyCleanupGroup = "cleanup_group"
	keyFatalRetry   = "fatal_retry_secs"
)

// programExtras are the values of those options for one section.
type programExtras struct {
	cleanupGroup bool
	fatalRetry   time.Duration
}

// readExtras reads the supervisord-lite options of a program or gunicorn section, with
// supervisord's wording for bad values.
func readExtras(cfg *conf.Config, section string) (programExtras, error) {
	x := programExtras{cleanupGroup: strings.HasPrefix(section, "gunicorn:")}
	vals, err := cfg.SectionValues(section, nil)
	if err != nil {
		return x, err
	}
	var errs *multierror.Error
	bad := func(v conf.SectionValue, msg string) {
		errs = multierror.Append(errs, &conf.Error{Msg: msg, Section: section, File: v.File, Line: v.Line, Suffixed: true})
	}
	if v, ok := vals[keyCleanupGroup]; ok {
		if on, err := parseBool(v.Value); err != nil {
			bad(v, fmt.Sprintf("not a valid boolean value: '%s'", v.Value))
		} else {
			x.cleanupGroup = on
		}
	}
	if v, ok := vals[keyFatalRetry]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v.Value))
		switch {
		case err != nil:
			bad(v, fmt.Sprintf("invalid literal for int() with base 10: '%s'", v.Value))
		case n < 0:
			bad(v, fmt.Sprintf("%s must be 0 or more, not %d", keyFatalRetry, n))
		default:
			x.fatalRetry = time.Duration(n) * time.Second
		}
	}
	return x, errs.ErrorOrNil()
}

// checkExtras reports every bad supervisord-lite option of the config's program sections.
func checkExtras(cfg *conf.Config) error {
	// depends_on again, now that [gunicorn:x] sections are groups too
	errs := multierror.Append(nil, cfg.CheckDependencies())
	seen := map[string]bool{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if seen[p.Section] {
				continue
			}
			seen[p.Section] = true
			if _, err := readExtras(cfg, p.Section); err != nil {
				errs = multierror.Append(errs, err)
			}
		}
	}
	return errs.ErrorOrNil()
}

// superviseGroup is g as the engine runs it: supervisord's options plus ours.
func superviseGroup(cfg *conf.Config, g conf.Group) supervise.Group {
	sg := g.Supervise()
	for i := range sg.Programs {
		if i >= len(g.Processes) {
			break
		}
		// checkExtras accepted the config, so the values parse.
		x, _ := readExtras(cfg, g.Processes[i].Section)
		sg.Programs[i].CleanupGroup = x.cleanupGroup
		sg.Programs[i].FatalRetry = x.fatalRetry
	}
	return sg
}
