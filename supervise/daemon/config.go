package daemon

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/eventlistener"
)

// loaded is a configuration read, with the command line and the SectionKinds applied.
type loaded struct {
	cfg    *conf.Config
	groups []supervise.Group          // what the engine runs, by priority then name
	infos  []conf.ConfigInfo          // getAllConfigInfo, by process name
	names  map[string]bool            // the names of groups
	pools  []eventlistener.PoolConfig // the [eventlistener:x] groups' pools (events.go)
}

// load reads the configuration file again.
func (d *Daemon) load() (*loaded, error) {
	cfg, err := conf.Load(d.path, conf.Options{Environ: d.opts.Environ})
	if err != nil {
		return nil, err
	}
	if err := d.opts.Flags.Apply(&cfg.Supervisord); err != nil {
		return nil, err
	}
	type entry struct {
		g     supervise.Group
		info  []conf.ConfigInfo
		check conf.Group // for depends_on across all groups
	}
	var pools []eventlistener.PoolConfig
	var (
		errs     *multierror.Error
		entries  []entry
		index    = map[string]int{}
		replaced = map[string]bool{}
	)
	for _, g := range cfg.Groups {
		switch g.Kind {
		case conf.KindEventListener:
			pools = append(pools, poolConfig(g))
		}
		sg, err := ProgramGroup(cfg, g)
		if err != nil {
			errs = multierror.Append(errs, err)
		}
		e := entry{g: sg, check: g}
		for _, p := range g.Processes {
			e.info = append(e.info, p.Info(g))
		}
		index[g.Name] = len(entries)
		entries = append(entries, e)
	}
	for _, k := range d.opts.Sections {
		gs, err := k.Groups(cfg, d.opts.Environ)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		for _, g := range gs {
			i, dup := index[g.Run.Name]
			e := entry{g: g.Run, info: g.Info, check: kindGroup(g)}
			switch {
			case dup && g.Replace:
				entries[i] = e
				replaced[g.Run.Name] = true
			case dup:
				errs = multierror.Append(errs, fmt.Errorf("process group %q is defined twice", g.Run.Name))
			default:
				index[g.Run.Name] = len(entries)
				entries = append(entries, e)
			}
		}
	}
	if errs == nil && len(d.opts.Sections) > 0 {
		// depends_on again, now that the SectionKinds' groups ([gunicorn:x]) exist
		checks := make([]conf.Group, len(entries))
		for i, e := range entries {
			checks[i] = e.check
		}
		if err := cfg.CheckDependencies(checks); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if errs != nil {
		return nil, errs
	}
	sort.SliceStable(entries, func(a, b int) bool {
		if entries[a].g.Priority != entries[b].g.Priority {
			return entries[a].g.Priority < entries[b].g.Priority
		}
		return entries[a].g.Name < entries[b].g.Name
	})
	l := &loaded{cfg: cfg, names: map[string]bool{}}
	for _, p := range pools {
		if !replaced[p.Name] { // a pool whose group a SectionKind replaced is gone with it
			l.pools = append(l.pools, p)
		}
	}
	for _, e := range entries {
		l.groups = append(l.groups, e.g)
		l.infos = append(l.infos, e.info...)
		l.names[e.g.Name] = true
	}
	sort.SliceStable(l.infos, func(a, b int) bool { return l.infos[a].Name < l.infos[b].Name })
	return l, nil
}

// kindGroup is a SectionKind's group as conf.Config.CheckDependencies reads it: its
// Processes, or its programs' names when it has none.
func kindGroup(g Group) conf.Group {
	cg := conf.Group{Name: g.Run.Name, Kind: conf.KindProgram, Processes: g.Processes}
	if cg.Processes == nil {
		for _, p := range g.Run.Programs {
			cg.Processes = append(cg.Processes, conf.Process{Name: p.Name, Group: g.Run.Name})
		}
	}
	return cg
}

// group returns the group name of l.
func (l *loaded) group(name string) (supervise.Group, bool) {
	for _, g := range l.groups {
		if g.Name == name {
			return g, true
		}
	}
	return supervise.Group{}, false
}

// UsageText is the message of a configuration that cannot be loaded, as Main prints it:
// supervisord's text for the first problem (it stops there), then every problem with its
// line, one per line.
func UsageText(err error) string {
	lines := errorLines(err)
	first := lines[0]
	var ce *conf.Error
	if errors.As(err, &ce) {
		first = ce.Supervisord()
	}
	if len(lines) == 1 && lines[0] == first {
		return first
	}
	return first + "\n\t" + strings.Join(lines, "\n\t")
}

// errorLines returns every problem of a configuration error, one per line.
func errorLines(err error) []string {
	var merr *multierror.Error
	if errors.As(err, &merr) {
		lines := make([]string, 0, len(merr.Errors))
		for _, e := range merr.Errors {
			lines = append(lines, e.Error())
		}
		return lines
	}
	return []string{err.Error()}
}

// firstError carries supervisord's text for the first problem of a config that cannot be
// reread: supervisord stops at the first error, and CANT_REREAD says just that one.
type firstError struct {
	text string
	err  error // every problem, as load returned them
}

func (e *firstError) Error() string { return e.text }
func (e *firstError) Unwrap() error { return e.err }

func rereadError(err error) error {
	var ce *conf.Error
	if errors.As(err, &ce) {
		return &firstError{text: ce.Supervisord(), err: err}
	}
	return err
}
