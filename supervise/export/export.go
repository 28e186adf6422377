package export

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Expander resolves in place the sections of cfg that supervise/conf leaves to its caller
// ([gunicorn:x] groups, python_env programs): afterwards every group's Processes carry the
// command and environment the daemon would run. A nil Expander resolves nothing.
type Expander func(cfg *conf.Config) error

// ErrNoPrograms is returned when the config has no program to export.
var ErrNoPrograms = errors.New("no [program:x] to export")

// Warning is one option of the config that the target cannot express (or can only
// approximate).
type Warning struct {
	// File and Line locate the option (or the section header when Option is "").
	File string
	Line int
	// Section is the section as written, e.g. "program:web".
	Section string
	// Option is the option name, "" for a whole section.
	Option string
	// Msg says what happens instead.
	Msg string
}

// String formats w as "file:line: [section] option: msg".
func (w Warning) String() string {
	loc := fmt.Sprintf("%s:%d: [%s]", w.File, w.Line, w.Section)
	if w.Option != "" {
		loc += " " + w.Option
	}
	return loc + ": " + w.Msg
}

// program is the processes of one program section in one group, in supervisord's order.
type program struct {
	Group *conf.Group
	Name  string // the program name (section name after its ':')
	Procs []conf.Process
}

// Template reports whether the program has more than one process (numprocs > 1).
func (p program) Template() bool { return len(p.Procs) > 1 }

// model is a config as both exporters read it.
type model struct {
	cfg      *conf.Config
	programs []program
	warnings []Warning
}

// load expands cfg and collects its programs; it warns about sections that are not exported.
func load(cfg *conf.Config, expand Expander) (*model, error) {
	if cfg == nil {
		return nil, errors.New("export: nil config")
	}
	if expand != nil {
		if err := expand(cfg); err != nil {
			return nil, fmt.Errorf("export: resolving [gunicorn:x] and python_env: %w", err)
		}
	}
	m := &model{cfg: cfg}
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		if g.Kind != conf.KindProgram && g.Kind != conf.KindGroup {
			m.warnings = append(m.warnings, Warning{File: g.File, Line: g.Line, Section: g.Section,
				Msg: fmt.Sprintf("[%s:x] sections are not exported", g.Kind)})
			continue
		}
		index := map[string]int{}
		for _, p := range g.Processes {
			i, ok := index[p.Section]
			if !ok {
				i = len(m.programs)
				index[p.Section] = i
				_, name, _ := strings.Cut(p.Section, ":")
				m.programs = append(m.programs, program{Group: g, Name: strings.TrimSpace(name)})
			}
			m.programs[i].Procs = append(m.programs[i].Procs, p)
		}
	}
	if len(m.programs) == 0 {
		return nil, ErrNoPrograms
	}
	return m, nil
}

// optionReasons maps an option name to why a target cannot express it.
type optionReasons map[string]string

// offByDefault are the options whose false (or 0) is what every target does anyway.
var offByDefault = map[string]bool{
	"stdout_events_enabled": true, "stderr_events_enabled": true,
	"stdout_syslog": true, "stderr_syslog": true,
	"stdout_capture_maxbytes": true, "stderr_capture_maxbytes": true,
	"redirect_stderr": true,
}

// warnOptions adds a Warning for every option of programReasons written in a program's
// section, and one for [supervisord] minfds= above 1024 (the soft limit a systemd unit and a
// Nomad client start with) saying why (minfdsReason).
func (m *model) warnOptions(programReasons optionReasons, minfdsReason string) {
	warnSection := func(name string, reasons optionReasons) {
		sec := m.cfg.INI.Section(name)
		if sec == nil {
			return
		}
		for _, k := range sec.Keys() {
			why, ok := reasons[k]
			if !ok {
				continue
			}
			v, _ := sec.Get(k)
			if offByDefault[k] && isFalse(v.Raw) {
				continue // switched off, as the target has it
			}
			m.warnings = append(m.warnings, Warning{File: v.File, Line: v.Line, Section: name, Option: k,
				Msg: fmt.Sprintf("%q not mapped: %s", v.Raw, why)})
		}
	}
	if m.cfg.INI == nil {
		return
	}
	if m.cfg.Supervisord.Minfds > 1024 {
		warnSection("supervisord", optionReasons{"minfds": minfdsReason})
	}
	for _, p := range m.programs {
		warnSection(p.Procs[0].Section, programReasons)
	}
}

// warnValue adds a Warning about one option of a process's section with the value written.
func (m *model) warnValue(p conf.Process, option, msg string) {
	file, line := m.locate(p, option)
	m.warnings = append(m.warnings, Warning{File: file, Line: line, Section: p.Section, Option: option, Msg: msg})
}

// locate is the file and line of option in the process's section, or of the section when it
// does not write the option.
func (m *model) locate(p conf.Process, option string) (file string, line int) {
	if m.cfg.INI != nil {
		if sec := m.cfg.INI.Section(p.Section); sec != nil {
			if v, ok := sec.Get(option); ok {
				return v.File, v.Line
			}
		}
	}
	return p.File, p.Line
}

// written reports whether option is set in the process's own section.
func (m *model) written(p conf.Process, option string) bool {
	_, ok := m.rawValue(p, option)
	return ok
}

// rawValue is option as written in the process's own section.
func (m *model) rawValue(p conf.Process, option string) (string, bool) {
	if m.cfg.INI == nil {
		return "", false
	}
	sec := m.cfg.INI.Section(p.Section)
	if sec == nil {
		return "", false
	}
	v, ok := sec.Get(option)
	return v.Raw, ok
}

// isFalse reports whether v is one of supervisord's false spellings.
func isFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "off", "0":
		return true
	}
	return false
}

// sortedWarnings returns the warnings in file, line, option order without duplicates.
func (m *model) sortedWarnings() []Warning {
	out := append([]Warning(nil), m.warnings...)
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].File != out[b].File {
			return out[a].File < out[b].File
		}
		if out[a].Line != out[b].Line {
			return out[a].Line < out[b].Line
		}
		return out[a].Msg < out[b].Msg
	})
	uniq := out[:0]
	for i, w := range out {
		if i > 0 && w == out[i-1] {
			continue
		}
		uniq = append(uniq, w)
	}
	return uniq
}

// user is the user the process runs as: its own user=, else [supervisord] user= (supervisord
// drops to that user before it spawns anything).
func (m *model) user(p conf.Process) string {
	if p.User != "" {
		return p.User
	}
	return m.cfg.Supervisord.User
}

// umask is the process's umask: its own umask=, else [supervisord] umask= (inherited).
func (m *model) umask(p conf.Process) int {
	if p.Umask != nil {
		return *p.Umask
	}
	return m.cfg.Supervisord.Umask
}

// argv splits the process's command line as supervisord does at spawn time.
func argv(p conf.Process) ([]string, error) {
	a, err := p.Argv()
	if err != nil {
		return nil, fmt.Errorf("%s:%d: [%s] command: %w", p.File, p.Line, p.Section, err)
	}
	return a, nil
}

// startLimit is supervisord's crash protection in a rate limiter's terms: at most burst starts
// in interval seconds; interval 0 means unlimited (startsecs=0 disables the protection).
// Each failed start takes up to startsecs and is followed by at least 1 s of backoff.
func startLimit(p conf.Process) (burst, interval int) {
	if p.StartSecs <= 0 {
		return 0, 0
	}
	burst = p.StartRetries + 1
	return burst, burst * (p.StartSecs + 1)
}
