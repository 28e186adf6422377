package conf

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

// SectionValue is one option of a section as SectionValues gives it.
type SectionValue struct {
	// Value is the value after %(name)s expansion.
	Value string
	// File and Line locate the value (the section header for a value from extra).
	File string
	Line int
}

// SectionValues returns every option of section (its own and those it inherits from
// [DEFAULT]) expanded as a [program:x] option is: %(here)s, %(program_name)s,
// %(group_name)s (the section's name after its ':'), %(host_node_name)s,
// %(process_num)s (0), %(numprocs)s (1) and %(ENV_X)s. extra supplies raw values for options
// the section does not set; they are expanded the same way. Keys are lower case. The error
// is a *multierror.Error of *Error, one per value that cannot be expanded, each naming the
// section, file and line; a missing section is an error too. It is safe for concurrent use.
func (c *Config) SectionValues(section string, extra map[string]string) (map[string]SectionValue, error) {
	if c.ld == nil || c.INI == nil || c.INI.Section(section) == nil {
		return nil, multierror.Append(nil, &Error{Msg: fmt.Sprintf("no section [%s]", section), File: c.File})
	}
	l := *c.ld // environ and the INI are only read; everything written is fresh
	l.errs, l.seen, l.warned = nil, map[string]bool{}, map[string]bool{}
	sc := l.section(section, true)
	sc.defaults = extra
	name := ini.Strip(afterColon(section))
	vars := map[string]any{"here": l.here, "program_name": name, "host_node_name": l.host,
		"group_name": name, "process_num": 0, "numprocs": 1}
	out := map[string]SectionValue{}
	keys := sc.sec.Options()
	for k := range extra {
		if !sc.sec.Has(k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		v, line, _, ok := sc.get(k, "", vars)
		if ok {
			file := sc.file
			if raw, found := sc.raw(k); found && raw.File != "" {
				file = raw.File
			}
			out[k] = SectionValue{Value: v, File: file, Line: line}
		}
	}
	if len(l.errs) > 0 {
		var me *multierror.Error
		for _, e := range l.errs {
			me = multierror.Append(me, e)
		}
		return nil, me
	}
	return out, nil
}
