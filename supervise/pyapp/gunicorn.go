package pyapp

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
)

// Prefix is the section prefix of a gunicorn program: [gunicorn:name].
const Prefix = "gunicorn:"

// KeyPythonEnv is the [program:x] key that runs the command from the Python environment of
// the program's directory= (python_env = true).
const KeyPythonEnv = "python_env"

// Resolved is what was decided for one [gunicorn:x] or python_env process: the daemon runs it
// and `ctl explain` prints it.
type Resolved struct {
	Section string
	Name    string // process name
	Group   string
	Dir     string // the app folder (directory=)
	// Versions are the Python version(s) and Origin where they were chosen (pyenv.AppEnv).
	Versions []string
	Origin   string
	Venv     string // the virtualenv in use, "" for none
	Pipenv   string // the Pipfile whose venv is used, "" when pyenv's resolution is used
	// Err is why the environment could not be resolved (the program then goes FATAL with it
	// as its spawn error); nil when it was.
	Err     error
	Argv    []string // what runs (nil when Err is set)
	Env     []string // what the program's environment= becomes (added to the daemon's)
	Cleared []string // inherited variables neutralised (set empty or overridden)
	// Gunicorn only:
	Config   *gunicorn.Config
	CertFile string
	KeyFile  string
	Warnings []string
}

// Sections is the daemon.SectionKind of [gunicorn:x] sections and python_env programs: give
// it in daemon.Options.Sections. Each [gunicorn:x] section becomes a program group (a Python
// environment resolved with pyenv.ForApp, gunicorn's argv built and checked), and each
// [program:x] with python_env = true runs its command from the environment of its directory.
// A setting gunicorn would refuse is a configuration error naming the section, file, line and
// option, as a broken [program:x] is; an environment that cannot be resolved is not: that
// program goes FATAL with pyenv's message as its spawn error (supervise.Program.CommandError).
type Sections struct{}

var _ daemon.SectionKind = Sections{}

// Groups implements daemon.SectionKind.
func (Sections) Groups(cfg *conf.Config, environ []string) ([]daemon.Group, error) {
	gs, _, err := expand(cfg, environ)
	return gs, err
}

// Resolve returns what the daemon decides for each [gunicorn:x] and python_env process of
// cfg, with environ as the daemon's environment (for `ctl explain`).
func Resolve(cfg *conf.Config, environ []string) ([]Resolved, error) {
	_, rs, err := expand(cfg, environ)
	return rs, err
}

func expand(cfg *conf.Config, environ []string) ([]daemon.Group, []Resolved, error) {
	if cfg == nil || cfg.INI == nil {
		return nil, nil, nil
	}
	var (
		errs *multierror.Error
		out  []daemon.Group
		rs   []Resolved
	)
	names := map[string]bool{}
	for _, g := range cfg.Groups {
		names[g.Name] = true
		if g.Kind != conf.KindProgram && g.Kind != conf.KindGroup {
			continue
		}
		dg, grs, err := pythonEnvGroup(cfg, g, environ)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if grs != nil {
			out = append(out, dg)
			rs = append(rs, grs...)
		}
	}
	for _, sec := range cfg.INI.Sections() {
		if !strings.HasPrefix(sec.Name, Prefix) {
			continue
		}
		g, grs, err := gunicornGroup(cfg, sec.Name, environ)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if names[g.Run.Name] {
			errs = multierror.Append(errs, &conf.Error{Msg: fmt.Sprintf("process group %q of [%s] is also defined by another section", g.Run.Name, sec.Name),
				Section: sec.Name, File: sec.File, Line: sec.Line, Suffixed: true})
			continue
		}
		names[g.Run.Name] = true
		out = append(out, g)
		rs = append(rs, grs...)
		for _, r := range grs {
			if r.Err != nil {
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] Python environment not resolved, the program will go FATAL: %v", sec.Name, r.Err))
			}
			for _, w := range r.Warnings {
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] %s", sec.Name, w))
			}
		}
	}
	if errs != nil {
		return nil, nil, errs
	}
	return out, rs, nil
}

// pythonEnvGroup rewrites the python_env programs of g; it returns nil Resolved when g has
// none.
func pythonEnvGroup(cfg *conf.Config, g conf.Group, environ []string) (daemon.Group, []Resolved, error) {
	var errs *multierror.Error
	var dg daemon.Group
	var rs []Resolved
	for j := range g.Processes {
		p := g.Processes[j]
		sec := cfg.INI.Section(p.Section)
		if sec == nil {
			continue
		}
		v, ok := sec.Get(KeyPythonEnv)
		if !ok {
			continue
		}
		on, err := conf.ParseBool(strings.TrimSpace(v.Raw))
		if err != nil {
			errs = multierror.Append(errs, &conf.Error{Msg: KeyPythonEnv + ": " + err.Error(), Section: p.Section, File: v.File, Line: v.Line, Suffixed: true})
			continue
		}
		if !on {
			continue
		}
		if rs == nil {
			sg, err := daemon.ProgramGroup(cfg, g)
			if err != nil {
				return dg, nil, err
			}
			dg = daemon.Group{Run: sg, Replace: true, Processes: g.Processes}
			for _, q := range g.Processes {
				dg.Info = append(dg.Info, q.Info(g))
			}
		}
		r := pythonEnvProgram(p, &dg.Run.Programs[j], environ)
		if r.Err != nil {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] python_env not resolved, the program will go FATAL: %v", p.Section, r.Err))
		} else {
			dg.Info[j].Command = CommandLine(r.Argv)
		}
		rs = append(rs, r)
	}
	return dg, rs, errs.ErrorOrNil()
}

// pythonEnvProgram sets prog to run p's command from the environment of its directory:
// argv[0] from the environment (pyenv which), PATH, VIRTUAL_ENV and PYENV_VERSION as
// pyenv exec sets them.
func pythonEnvProgram(p conf.Process, prog *supervise.Program, environ []string) Resolved {
	r := Resolved{Section: p.Section, Name: p.Name, Group: p.Group}
	base := append(append([]string(nil), environ...), envStrings(p.Environment)...)
	if p.Directory != nil {
		r.Dir = *p.Directory
	}
	argv, err := p.Argv()
	var env *pyenv.AppEnv
	if err == nil {
		env, err = resolve(r.Dir, base, &r)
	}
	if err == nil && !strings.Contains(argv[0], "/") {
		argv[0], err = env.Which(argv[0])
	}
	if err != nil {
		r.Err = err
		prog.CommandError, prog.CommandLine = err, ""
		return r
	}
	set, cleared := envDelta(base, env.Environ(base))
	vars := appendEnv(p.Environment, set)
	prog.CommandLine, prog.Command, prog.Args = "", argv[0], argv[1:]
	prog.Env = envStrings(vars)
	r.Argv, r.Env, r.Cleared = argv, prog.Env, cleared
	return r
}

// resolve is pyenv.ForApp for dir, noted in r.
func resolve(dir string, env []string, r *Resolved) (*pyenv.AppEnv, error) {
	e, err := pyenv.ForApp(pyenv.Options{Dir: dir, Env: env})
	if err != nil {
		return nil, err
	}
	r.Versions, r.Origin, r.Venv = e.Versions, e.Origin, e.Venv
	if e.Project != nil {
		r.Pipenv = e.Project.Pipfile
	}
	return e, nil
}

// gunicornGroup builds the group of one [gunicorn:x] section.
func gunicornGroup(cfg *conf.Config, section string, environ []string) (daemon.Group, []Resolved, error) {
	sec := cfg.INI.Section(section)
	secErr := func(line int, msg string) *conf.Error {
		if line == 0 {
			line = sec.Line
		}
		return &conf.Error{Msg: msg, Section: section, File: sec.File, Line: line, Suffixed: true}
	}
	vals, err := cfg.SectionValues(section, nil)
	if err != nil {
		return daemon.Group{}, nil, err
	}
	// The program options, with a placeholder command (the program runs gunicorn's argv).
	procs, err := cfg.ProcessesFromSection(section, "", map[string]string{"command": "gunicorn"})
	if err != nil {
		return daemon.Group{}, nil, err
	}
	extra, err := daemon.ReadExtraOptions(cfg, section, daemon.ExtraOptions{CleanupGroup: true})
	if err != nil {
		return daemon.Group{}, nil, err
	}
	var errs *multierror.Error
	var gc gunicorn.Config
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fieldKey := map[string]string{"App": keyApp, "Extra": keyExtraArgs}
	for _, key := range keys {
		v := vals[key]
		known, err := setOption(&gc, key, v.Value)
		if s, ok := gunicorn.LookupSetting(key); ok && known {
			fieldKey[s.Field] = key
		}
		if err != nil {
			errs = multierror.Append(errs, secErr(v.Line, fmt.Sprintf("%s (gunicorn %s): %v", key, fieldOf(key), err)))
		}
	}
	dirVal, ok := vals["directory"]
	if !ok || dirVal.Value == "" {
		errs = multierror.Append(errs, secErr(0, "directory: required (the app folder, whose Python environment is resolved)"))
	} else if !filepath.IsAbs(dirVal.Value) {
		errs = multierror.Append(errs, secErr(dirVal.Line, fmt.Sprintf("directory: %q is not an absolute path", dirVal.Value)))
	}
	if errs != nil {
		return daemon.Group{}, nil, errs
	}
	dir := dirVal.Value
	if gc.Chdir == "" {
		gc.Chdir = dir
	}
	cg := conf.Group{Name: procs[0].Group, Priority: procs[0].Priority, Kind: conf.KindProgram,
		Section: section, File: sec.File, Line: sec.Line}
	g := daemon.Group{Run: supervise.Group{Name: cg.Name, Priority: cg.Priority}}
	var rs []Resolved
	for i := range procs {
		p := procs[i]
		prog, r, perr := gunicornProgram(&p, gc, vals, dir, environ)
		if perr != nil {
			errs = multierror.Append(errs, checkErrors(perr, fieldKey, vals, secErr)...)
			continue
		}
		extra.Apply(&prog)
		g.Run.Programs = append(g.Run.Programs, prog)
		g.Processes = append(g.Processes, p)
		info := p.Info(cg)
		info.Command = CommandLine(r.Argv)
		if r.Err != nil {
			info.Command = r.Err.Error()
		}
		g.Info = append(g.Info, info)
		rs = append(rs, r)
	}
	if errs != nil {
		return daemon.Group{}, nil, errs
	}
	return g, rs, nil
}

// fieldOf names the gunicorn.Config field of a section key.
func fieldOf(key string) string {
	switch key {
	case keyApp:
		return "App"
	case keyExtraArgs:
		return "Extra"
	}
	if s, ok := gunicorn.LookupSetting(key); ok {
		return s.Field
	}
	return key
}

// checkErrors turns gunicorn's check of a Config into section errors on the line of the key
// concerned.
func checkErrors(err error, fieldKey map[string]string, vals map[string]conf.SectionValue, secErr func(int, string) *conf.Error) []error {
	var me *multierror.Error
	if !errors.As(err, &me) {
		return []error{secErr(0, err.Error())}
	}
	var out []error
	for _, e := range me.Errors {
		line, key := 0, ""
		var fe *gunicorn.FieldError
		if errors.As(e, &fe) {
			field, _, _ := strings.Cut(fe.Field, "[")
			key = fieldKey[field]
			line = vals[key].Line
		}
		msg := e.Error()
		if key != "" {
			msg = key + ": " + msg
		}
		out = append(out, secErr(line, msg))
	}
	return out
}

// gunicornProgram is one process of a [gunicorn:x] group; p gets the defaults that differ
// from [program:x] (for getAllConfigInfo).
func gunicornProgram(p *conf.Process, gc gunicorn.Config, vals map[string]conf.SectionValue, dir string, environ []string) (supervise.Program, Resolved, error) {
	r := Resolved{Section: p.Section, Name: p.Name, Group: p.Group, Dir: dir, CertFile: gc.CertFile, KeyFile: gc.KeyFile}
	p.Directory = &dir
	gunicornChecks(p, gc, vals)  // checks.go
	gunicornSockets(p, gc, vals) // sockets.go
	_, stopWaitSet := vals["stopwaitsecs"]
	if _, ok := vals["stopsignal"]; !ok {
		p.StopSignal = int(gunicorn.GracefulStop)
	}
	if !stopWaitSet {
		p.StopWaitSecs = int((gc.StopWait() + time.Second - 1) / time.Second)
	}
	if _, ok := vals["stopasgroup"]; !ok {
		p.StopAsGroup = true
	}
	if _, ok := vals["killasgroup"]; !ok {
		p.KillAsGroup = true
	}
	prog := p.Program()
	prog.CommandLine = ""
	if !stopWaitSet {
		prog.StopWait = gc.StopWait()
	}
	base := append(append([]string(nil), environ...), envStrings(p.Environment)...)
	// What gunicorn gets: the daemon's environment cleaned of gunicorn's own variables, then
	// the environment's PATH/VIRTUAL_ENV/PYENV_VERSION, then the section's environment=.
	env, err := resolve(dir, base, &r)
	var gpath string
	if err == nil {
		gpath, err = env.Which("gunicorn")
	}
	if err != nil {
		r.Err = err
		prog.CommandError = err
		return prog, r, nil
	}
	want := gunicorn.CleanEnv(env.Environ(base))
	want = append(want, envStrings(p.Environment)...)
	// Variables the engine cannot remove from the inherited environment are neutralised:
	// an empty GUNICORN_CMD_ARGS adds no flags, WEB_CONCURRENCY and PORT are overridden by the
	// --workers and --bind that Args always writes.
	inherited := envMap(base)
	wantMap := envMap(want)
	checkEnv := append([]string(nil), want...)
	if _, ok := inherited["WEB_CONCURRENCY"]; ok {
		n := gc.Workers
		if n == 0 {
			n = gunicorn.DefaultWorkers()
		}
		want = append(want, "WEB_CONCURRENCY="+strconv.Itoa(n))
	}
	for _, k := range []string{"GUNICORN_FD", "GUNICORN_PID", "SENDFILE", "FORWARDED_ALLOW_IPS"} {
		if v, ok := inherited[k]; ok {
			if _, kept := wantMap[k]; !kept {
				// Cannot be removed safely (an empty value breaks gunicorn): keep it, and let
				// the checker warn about it.
				want = append(want, k+"="+v)
				checkEnv = append(checkEnv, k+"="+v)
			}
		}
	}
	set, cleared := envDelta(base, want)
	p.Environment = appendEnv(p.Environment, set)
	warns, verr := gunicorn.Checker{Env: checkEnv, Dir: dir, ExpiryWarning: -1}.Check(gc)
	if verr != nil {
		var me *multierror.Error
		if !errors.As(verr, &me) {
			return prog, r, verr
		}
		var kept *multierror.Error
		for _, e := range me.Errors {
			// An expired certificate does not refuse the config: the daemon logs it as an
			// error at start and daily (CertMonitor) and gunicorn's clients see it.
			if errors.Is(e, gunicorn.ErrExpired) || errors.Is(e, gunicorn.ErrNotYetValid) {
				continue
			}
			kept = multierror.Append(kept, e)
		}
		if kept != nil {
			return prog, r, kept
		}
	}
	for _, w := range warns {
		r.Warnings = append(r.Warnings, w.String())
	}
	argv := append([]string{gpath}, gc.Args()...)
	prog.Command, prog.Args = argv[0], argv[1:]
	prog.Env = envStrings(p.Environment)
	gcCopy := gc
	r.Config = &gcCopy
	r.Argv, r.Env, r.Cleared = argv, prog.Env, cleared
	return prog, r, nil
}
