package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
)

// PyApps is the Expander of supervise/pyapp: [gunicorn:x] sections and python_env programs
// are resolved by pyapp.Sections, as the daemon resolves them at start with environ as its
// environment (usually os.Environ()), and the programs it builds are written back into the
// config as conf.Processes: a [gunicorn:x] section becomes a program group appended to
// cfg.Groups (gunicorn's argv, its stop signal, stop timeout and process-group stop, and
// its default checks: ready = notify and a health check of its bind), and a
// python_env program gets the environment's argv[0], PATH, VIRTUAL_ENV and PYENV_VERSION.
//
// A setting gunicorn refuses is pyapp's configuration error. A Python environment that
// cannot be resolved (a missing pyenv version, no gunicorn in it) is an error naming the
// section too: the daemon would run that program as FATAL, an exported unit could not start.
func PyApps(environ []string) Expander {
	return func(cfg *conf.Config) error { return expandPyApps(cfg, environ) }
}

func expandPyApps(cfg *conf.Config, environ []string) error {
	groups, err := pyapp.Sections{}.Groups(cfg, environ)
	if err != nil {
		return err
	}
	// The section of each [gunicorn:x] group, by group name.
	gunicornSections := map[string]string{}
	if cfg.INI != nil {
		for _, sec := range cfg.INI.Sections() {
			if !strings.HasPrefix(sec.Name, pyapp.Prefix) {
				continue
			}
			procs, err := cfg.ProcessesFromSection(sec.Name, "", map[string]string{"command": "gunicorn"})
			if err != nil {
				return err
			}
			if len(procs) > 0 {
				gunicornSections[procs[0].Group] = sec.Name
			}
		}
	}
	var errs *multierror.Error
	for _, dg := range groups {
		if dg.Replace {
			errs = multierror.Append(errs, rewriteGroup(cfg, dg.Run))
			continue
		}
		section, ok := gunicornSections[dg.Run.Name]
		if !ok {
			return fmt.Errorf("group %q: made by supervise/pyapp from no [%sx] section", dg.Run.Name, pyapp.Prefix)
		}
		g, err := gunicornGroup(cfg, section, dg.Run)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		cfg.Groups = append(cfg.Groups, g)
	}
	return errs.ErrorOrNil()
}

// rewriteGroup puts the python_env programs of run back into the config group of its name.
func rewriteGroup(cfg *conf.Config, run supervise.Group) error {
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		if g.Name != run.Name {
			continue
		}
		var errs *multierror.Error
		for pi := range g.Processes {
			p := &g.Processes[pi]
			prog, ok := programNamed(run.Programs, p.Name)
			if !ok {
				return fmt.Errorf("[%s]: process %q missing from supervise/pyapp's group %q", p.Section, p.Name, run.Name)
			}
			errs = multierror.Append(errs, setCommand(p, prog))
		}
		return errs.ErrorOrNil()
	}
	return fmt.Errorf("group %q: rewritten by supervise/pyapp but not in the config", run.Name)
}

// gunicornGroup is the conf.Group of one [gunicorn:x] section with run's programs in it.
func gunicornGroup(cfg *conf.Config, section string, run supervise.Group) (conf.Group, error) {
	procs, err := cfg.ProcessesFromSection(section, "", map[string]string{"command": "gunicorn"})
	if err != nil {
		return conf.Group{}, err
	}
	sec := cfg.INI.Section(section)
	g := conf.Group{Name: run.Name, Priority: run.Priority, Kind: conf.KindProgram, Section: section,
		File: sec.File, Line: sec.Line}
	var errs *multierror.Error
	for _, p := range procs {
		prog, ok := programNamed(run.Programs, p.Name)
		if !ok {
			return conf.Group{}, fmt.Errorf("[%s]: process %q missing from supervise/pyapp's group %q", section, p.Name, run.Name)
		}
		if err := setCommand(&p, prog); err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if prog.Dir != "" {
			dir := prog.Dir
			p.Directory = &dir
		}
		if prog.StopSignal != 0 {
			p.StopSignal = int(prog.StopSignal)
		}
		if prog.StopWait >= 0 {
			p.StopWaitSecs = int((prog.StopWait + time.Second - 1) / time.Second)
		}
		p.StopAsGroup = prog.StopAsGroup
		p.Checks = prog.Checks // with gunicorn's defaults: ready = notify, a health check of the bind
		if prog.KillAsGroup != supervise.Default {
			p.KillAsGroup = prog.KillAsGroup == supervise.On
		}
		g.Processes = append(g.Processes, p)
	}
	return g, errs.ErrorOrNil()
}

// setCommand sets p's command line and environment to what prog runs; a program whose
// command could not be resolved is an error naming p's section.
func setCommand(p *conf.Process, prog supervise.Program) error {
	if prog.CommandError != nil {
		return &conf.Error{Msg: "Python environment not resolved: " + prog.CommandError.Error(),
			Section: p.Section, File: p.File, Line: p.Line, Suffixed: true, Err: prog.CommandError}
	}
	if prog.CommandLine == "" { // resolved to an argv (python_env, gunicorn)
		p.Command = pyapp.CommandLine(append([]string{prog.Command}, prog.Args...))
	}
	p.Environment = p.Environment[:0:0]
	for _, kv := range prog.Env {
		k, v, _ := strings.Cut(kv, "=")
		p.Environment = append(p.Environment, conf.EnvVar{Key: k, Value: v})
	}
	return nil
}

// programNamed is the program of programs named name.
func programNamed(programs []supervise.Program, name string) (supervise.Program, bool) {
	for _, prog := range programs {
		if prog.Name == name {
			return prog, true
		}
	}
	return supervise.Program{}, false
}
