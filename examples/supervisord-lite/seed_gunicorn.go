package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// seedPrefix is the section prefix of a gunicorn program.
const seedPrefix = "gunicorn:"

// unresolvedPrefix starts the command of a program whose Python environment could not be
// resolved: a path that cannot exist, so that the engine's spawn error ("can't find command
// ...") carries pyenv's own message and the program goes FATAL without stopping the daemon.
const unresolvedPrefix = "/(unresolved) "

// seedProgram is what the seed stack decided for one [gunicorn:x] or python_env process: the
// daemon runs it and `ctl explain` prints it.
type seedProgram struct {
	Section string
	Name    string // process name
	Group   string
	Dir     string
	// Python is the resolution: version names and where they were chosen; Venv the virtualenv.
	Versions []string
	Origin   string
	Venv     string
	Pipenv   string // the Pipfile whose venv is used, "" when pyenv's resolution is used
	// Err is why the environment could not be resolved ("" if it was).
	Err     string
	Argv    []string
	Env     []string // what the program's environment= becomes (added to the daemon's)
	Cleared []string // inherited variables neutralised (set empty or overridden)
	// Gunicorn only:
	Config   *gunicorn.Config
	CertFile string
	KeyFile  string
	Warnings []string
}

// seedOption is one gunicorn setting of a [gunicorn:x] section.
type seedOption struct {
	key   string // gunicorn's setting name, as written in the section
	field string // the gunicorn.Config field
	set   func(c *gunicorn.Config, v string) error
}

var seedOptions = []seedOption{
	{"app", "App", func(c *gunicorn.Config, v string) error { c.App = v; return nil }},
	{"bind", "Bind", func(c *gunicorn.Config, v string) error { c.Bind = splitList(v); return nil }},
	{"workers", "Workers", func(c *gunicorn.Config, v string) error {
		if strings.EqualFold(v, "auto") {
			c.Workers = 0
			return nil
		}
		n, err := positive(v)
		c.Workers = n
		return err
	}},
	{"worker_class", "WorkerClass", func(c *gunicorn.Config, v string) error { c.WorkerClass = v; return nil }},
	{"threads", "Threads", intSetter(func(c *gunicorn.Config) *int { return &c.Threads })},
	{"worker_connections", "WorkerConnections", intSetter(func(c *gunicorn.Config) *int { return &c.WorkerConnections })},
	{"timeout", "Timeout", secondsSetter(func(c *gunicorn.Config) *time.Duration { return &c.Timeout })},
	{"graceful_timeout", "GracefulTimeout", secondsSetter(func(c *gunicorn.Config) *time.Duration { return &c.GracefulTimeout })},
	{"keepalive", "KeepAlive", secondsSetter(func(c *gunicorn.Config) *time.Duration { return &c.KeepAlive })},
	{"max_requests", "MaxRequests", intSetter(func(c *gunicorn.Config) *int { return &c.MaxRequests })},
	{"max_requests_jitter", "MaxRequestsJitter", intSetter(func(c *gunicorn.Config) *int { return &c.MaxRequestsJitter })},
	{"limit_request_line", "LimitRequestLine", limitSetter(func(c *gunicorn.Config) *int { return &c.LimitRequestLine })},
	{"limit_request_fields", "LimitRequestFields", limitSetter(func(c *gunicorn.Config) *int { return &c.LimitRequestFields })},
	{"limit_request_field_size", "LimitRequestFieldSize", limitSetter(func(c *gunicorn.Config) *int { return &c.LimitRequestFieldSize })},
	{"certfile", "CertFile", func(c *gunicorn.Config, v string) error { c.CertFile = v; return nil }},
	{"keyfile", "KeyFile", func(c *gunicorn.Config, v string) error { c.KeyFile = v; return nil }},
	{"ca_certs", "CACerts", func(c *gunicorn.Config, v string) error { c.CACerts = v; return nil }},
	{"cert_reqs", "CertReqs", func(c *gunicorn.Config, v string) error {
		switch strings.ToLower(strings.TrimPrefix(strings.ToUpper(v), "CERT_")) {
		case "0", "none":
			c.CertReqs = gunicorn.CertNone
		case "1", "optional":
			c.CertReqs = gunicorn.CertOptional
		case "2", "required":
			c.CertReqs = gunicorn.CertRequired
		default:
			return fmt.Errorf("cert_reqs must be 0, 1, 2, none, optional or required, not %q", v)
		}
		return nil
	}},
	{"ciphers", "Ciphers", func(c *gunicorn.Config, v string) error { c.Ciphers = v; return nil }},
	{"pythonpath", "PythonPath", func(c *gunicorn.Config, v string) error { c.PythonPath = splitList(v); return nil }},
	{"raw_env", "Env", func(c *gunicorn.Config, v string) error { c.Env = splitList(v); return nil }},
	{"accesslog", "AccessLog", func(c *gunicorn.Config, v string) error { c.AccessLog = v; return nil }},
	{"errorlog", "ErrorLog", func(c *gunicorn.Config, v string) error { c.ErrorLog = v; return nil }},
	{"loglevel", "LogLevel", func(c *gunicorn.Config, v string) error { c.LogLevel = v; return nil }},
	{"access_log_format", "AccessLogFormat", func(c *gunicorn.Config, v string) error { c.AccessLogFormat = v; return nil }},
	{"capture_output", "CaptureOutput", boolSetter(func(c *gunicorn.Config) *bool { return &c.CaptureOutput })},
	{"preload_app", "PreloadApp", boolSetter(func(c *gunicorn.Config) *bool { return &c.PreloadApp })},
	{"forwarded_allow_ips", "ForwardedAllowIPs", func(c *gunicorn.Config, v string) error { c.ForwardedAllowIPs = splitList(v); return nil }},
	{"proxy_protocol", "ProxyProtocol", boolSetter(func(c *gunicorn.Config) *bool { return &c.ProxyProtocol })},
	{"proc_name", "Name", func(c *gunicorn.Config, v string) error { c.Name = v; return nil }},
	{"config", "ConfigFile", func(c *gunicorn.Config, v string) error { c.ConfigFile = v; return nil }},
	{"pidfile", "PidFile", func(c *gunicorn.Config, v string) error { c.PidFile = v; return nil }},
	{"reload", "Reload", boolSetter(func(c *gunicorn.Config) *bool { return &c.Reload })},
	{"daemon", "Daemon", boolSetter(func(c *gunicorn.Config) *bool { return &c.Daemon })},
	{"extra_args", "Extra", func(c *gunicorn.Config, v string) error {
		args, err := (conf.Process{Command: v}).Argv()
		c.Extra = args
		return err
	}},
}

// splitList splits a list setting on commas and whitespace (bind = a:1, b:2).
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func positive(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("not a positive integer: %q", v)
	}
	return n, nil
}

func intSetter(f func(*gunicorn.Config) *int) func(*gunicorn.Config, string) error {
	return func(c *gunicorn.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("not a non-negative integer: %q", v)
		}
		*f(c) = n
		return nil
	}
}

// limitSetter reads a limit_request_* setting: 0 is gunicorn's "no limit".
func limitSetter(f func(*gunicorn.Config) *int) func(*gunicorn.Config, string) error {
	return func(c *gunicorn.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("not a non-negative integer: %q", v)
		}
		if n == 0 {
			n = gunicorn.Unlimited
		}
		*f(c) = n
		return nil
	}
}

// secondsSetter reads whole seconds: 0 is gunicorn's "disabled".
func secondsSetter(f func(*gunicorn.Config) *time.Duration) func(*gunicorn.Config, string) error {
	return func(c *gunicorn.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("not a whole number of seconds: %q", v)
		}
		d := time.Duration(n) * time.Second
		if n == 0 {
			d = gunicorn.Disabled
		}
		*f(c) = d
		return nil
	}
}

func boolSetter(f func(*gunicorn.Config) *bool) func(*gunicorn.Config, string) error {
	return func(c *gunicorn.Config, v string) error {
		b, err := parseBool(v)
		*f(c) = b
		return err
	}
}

// parseBool accepts supervisord's boolean spellings.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}

// shellQuote quotes s for the POSIX splitting of a command= line.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func commandLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// envMap turns KEY=VALUE entries into a map (the last one wins).
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func envStrings(vars []conf.EnvVar) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Key + "=" + v.Value
	}
	return out
}

// pythonEnv is a resolved Python environment: pyenv's, or a pipenv project's venv.
type pythonEnv struct {
	res  *pyenv.Resolution
	proj *pyenv.Project
}

func (e pythonEnv) which(name string) (string, error) {
	if e.proj != nil {
		return e.proj.Which(name)
	}
	return e.res.Which(name)
}

func (e pythonEnv) environ(base []string) []string {
	if e.proj != nil {
		env, err := e.proj.Environ(base)
		if err == nil {
			return env
		}
	}
	return e.res.Environ(base)
}

// resolvePython resolves dir's Python as pyenv does, with a pipenv venv winning when the
// folder has a Pipfile with an existing venv and pyenv's choice came from no .python-version
// and no PYENV_VERSION (pipenv run would then use that venv). The error is pyenv's.
func resolvePython(dir string, env []string, sp *seedProgram) (pythonEnv, error) {
	res, err := pyenv.Resolve(pyenv.Options{Dir: dir, Env: env})
	if err != nil {
		return pythonEnv{}, err
	}
	sp.Versions, sp.Origin = res.Versions, res.Origin
	pe := pythonEnv{res: res}
	if !res.FromEnv && filepath.Base(res.Origin) != ".python-version" {
		if proj, perr := pyenv.FindProject(pyenv.Options{Dir: dir, Env: env}); perr == nil && proj.Exists && proj.VenvExists() {
			pe.proj = proj
			sp.Pipenv = proj.Pipfile
			if venv, verr := proj.VenvPath(); verr == nil {
				sp.Venv = venv
				if v, verr := pyenv.InterpreterVersion(venv); verr == nil {
					sp.Versions = []string{v}
				}
				sp.Origin = "pipenv venv of " + proj.Pipfile
			}
		}
	}
	if pe.proj == nil {
		if prefixes, perr := res.Prefixes(); perr == nil && len(prefixes) > 0 {
			if _, serr := os.Stat(filepath.Join(prefixes[0], "pyvenv.cfg")); serr == nil {
				sp.Venv = prefixes[0]
			}
		}
	}
	return pe, nil
}

// envDelta returns the environment= entries that turn base into want: changed or new keys,
// and removed keys set empty (an empty PYTHONHOME, VIRTUAL_ENV or GUNICORN_CMD_ARGS is the
// same as none for Python and gunicorn). Sorted by key for a stable command.
func envDelta(base, want []string) (set []string, cleared []string) {
	b, w := envMap(base), envMap(want)
	for k, v := range w {
		if old, ok := b[k]; !ok || old != v {
			set = append(set, k+"="+v)
		}
	}
	for k, v := range b {
		if _, ok := w[k]; !ok && v != "" {
			set = append(set, k+"=")
			cleared = append(cleared, k)
		}
	}
	sort.Strings(set)
	sort.Strings(cleared)
	return set, cleared
}

// appendEnv adds KEY=VALUE entries to vars, replacing a key already there.
func appendEnv(vars []conf.EnvVar, entries []string) []conf.EnvVar {
	for _, kv := range entries {
		k, v, _ := strings.Cut(kv, "=")
		replaced := false
		for i := range vars {
			if vars[i].Key == k {
				vars[i].Value, replaced = v, true
			}
		}
		if !replaced {
			vars = append(vars, conf.EnvVar{Key: k, Value: v})
		}
	}
	return vars
}

// seedExpand applies the seed stack to a loaded config: each [gunicorn:x] section becomes a
// program group (a Python environment resolved with pyenv, gunicorn's argv built and
// checked), and each [program:x] with python_env = true runs its command from the resolved
// environment of its directory. environ is the daemon's environment. A setting gunicorn
// would refuse is a config error naming the section, file, line and option, as a broken
// [program:x] is; an environment that cannot be resolved is not: that program goes FATAL
// with pyenv's message as its spawn error.
func seedExpand(cfg *conf.Config, environ []string) ([]seedProgram, error) {
	if cfg == nil || cfg.INI == nil {
		return nil, nil
	}
	var errs *multierror.Error
	var out []seedProgram
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		if g.Kind != conf.KindProgram && g.Kind != conf.KindGroup {
			continue
		}
		for j := range g.Processes {
			p := &g.Processes[j]
			sec := cfg.INI.Section(p.Section)
			if sec == nil {
				continue
			}
			v, ok := sec.Get("python_env")
			if !ok {
				continue
			}
			on, err := parseBool(v.Raw)
			if err != nil {
				errs = multierror.Append(errs, &conf.Error{Msg: "python_env: " + err.Error(), Section: p.Section, File: v.File, Line: v.Line, Suffixed: true})
				continue
			}
			if on {
				sp := applyPythonEnv(p, environ)
				if sp.Err != "" {
					cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] python_env not resolved, the program will go FATAL: %s", p.Section, sp.Err))
				}
				out = append(out, sp)
			}
		}
	}
	names := map[string]bool{}
	for _, g := range cfg.Groups {
		names[g.Name] = true
	}
	for _, sec := range cfg.INI.Sections() {
		if !strings.HasPrefix(sec.Name, seedPrefix) {
			continue
		}
		g, sps, err := gunicornGroup(cfg, sec.Name, environ)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if names[g.Name] {
			errs = multierror.Append(errs, &conf.Error{Msg: fmt.Sprintf("process group %q of [%s] is also defined by another section", g.Name, sec.Name),
				Section: sec.Name, File: sec.File, Line: sec.Line, Suffixed: true})
			continue
		}
		names[g.Name] = true
		cfg.Groups = append(cfg.Groups, g)
		out = append(out, sps...)
		for _, sp := range sps {
			if sp.Err != "" {
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] Python environment not resolved, the program will go FATAL: %s", sec.Name, sp.Err))
			}
			for _, w := range sp.Warnings {
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[%s] %s", sec.Name, w))
			}
		}
	}
	sort.SliceStable(cfg.Groups, func(a, b int) bool {
		if cfg.Groups[a].Priority != cfg.Groups[b].Priority {
			return cfg.Groups[a].Priority < cfg.Groups[b].Priority
		}
		return cfg.Groups[a].Name < cfg.Groups[b].Name
	})
	if errs != nil {
		return nil, errs
	}
	return out, nil
}

// unresolvedCommand is the command of a program whose environment failed to resolve.
func unresolvedCommand(err error) string {
	return shellQuote(unresolvedPath(err))
}

// unresolvedPath is the path unresolvedCommand quotes.
func unresolvedPath(err error) string {
	return unresolvedPrefix + strings.ReplaceAll(err.Error(), "\n", "; ")
}

// applyPythonEnv rewrites a python_env program: argv[0] from the environment (pyenv which),
// PATH, VIRTUAL_ENV and PYENV_VERSION as pyenv exec sets them.
func applyPythonEnv(p *conf.Process, environ []string) seedProgram {
	sp := seedProgram{Section: p.Section, Name: p.Name, Group: p.Group}
	base := append(append([]string(nil), environ...), envStrings(p.Environment)...)
	dir := ""
	if p.Directory != nil {
		dir = *p.Directory
	}
	sp.Dir = dir
	argv, err := p.Argv()
	if err != nil {
		sp.Err = err.Error()
		return sp
	}
	pe, err := resolvePython(dir, base, &sp)
	if err == nil && !strings.Contains(argv[0], "/") {
		var path string
		if path, err = pe.which(argv[0]); err == nil {
			argv[0] = path
		}
	}
	if err != nil {
		sp.Err = err.Error()
		p.Command = unresolvedCommand(err)
		sp.Argv = []string{unresolvedPath(err)}
		return sp
	}
	set, cleared := envDelta(base, pe.environ(base))
	p.Environment = appendEnv(p.Environment, set)
	p.Command = commandLine(argv)
	sp.Argv, sp.Env, sp.Cleared = argv, envStrings(p.Environment), cleared
	return sp
}

// gunicornGroup builds the group of one [gunicorn:x] section.
func gunicornGroup(cfg *conf.Config, section string, environ []string) (conf.Group, []seedProgram, error) {
	sec := cfg.INI.Section(section)
	secErr := func(line int, msg string) *conf.Error {
		if line == 0 {
			line = sec.Line
		}
		return &conf.Error{Msg: msg, Section: section, File: sec.File, Line: line, Suffixed: true}
	}
	vals, err := cfg.SectionValues(section, nil)
	if err != nil {
		return conf.Group{}, nil, err
	}
	// The program options, with a placeholder command (replaced below).
	procs, err := cfg.ProcessesFromSection(section, "", map[string]string{"command": "gunicorn"})
	if err != nil {
		return conf.Group{}, nil, err
	}
	var errs *multierror.Error
	var gc gunicorn.Config
	fieldKey := map[string]string{}
	for _, o := range seedOptions {
		fieldKey[o.field] = o.key
		v, ok := vals[o.key]
		if !ok {
			continue
		}
		if err := o.set(&gc, v.Value); err != nil {
			errs = multierror.Append(errs, secErr(v.Line, fmt.Sprintf("%s (gunicorn %s): %v", o.key, o.field, err)))
		}
	}
	dirVal, ok := vals["directory"]
	if !ok || dirVal.Value == "" {
		errs = multierror.Append(errs, secErr(0, "directory: required (the app folder, whose Python environment is resolved)"))
	} else if !filepath.IsAbs(dirVal.Value) {
		errs = multierror.Append(errs, secErr(dirVal.Line, fmt.Sprintf("directory: %q is not an absolute path", dirVal.Value)))
	}
	if errs != nil {
		return conf.Group{}, nil, errs
	}
	dir := dirVal.Value
	if _, ok := vals["chdir"]; !ok {
		gc.Chdir = dir
	}
	g := conf.Group{Name: procs[0].Group, Priority: procs[0].Priority, Kind: conf.KindProgram,
		Section: section, File: sec.File, Line: sec.Line}
	var sps []seedProgram
	for i := range procs {
		p := procs[i]
		sp, perr := gunicornProcess(&p, gc, vals, dir, environ)
		if perr != nil {
			var fe *gunicorn.FieldError
			var me *multierror.Error
			if errors.As(perr, &me) {
				for _, e := range me.Errors {
					line := 0
					key := ""
					if errors.As(e, &fe) {
						field, _, _ := strings.Cut(fe.Field, "[")
						key = fieldKey[field]
						line = vals[key].Line
					}
					msg := e.Error()
					if key != "" {
						msg = key + ": " + msg
					}
					errs = multierror.Append(errs, secErr(line, msg))
				}
			} else {
				errs = multierror.Append(errs, secErr(0, perr.Error()))
			}
			continue
		}
		g.Processes = append(g.Processes, p)
		sps = append(sps, sp)
	}
	if errs != nil {
		return conf.Group{}, nil, errs
	}
	return g, sps, nil
}

// gunicornProcess fills one process of a [gunicorn:x] group.
func gunicornProcess(p *conf.Process, gc gunicorn.Config, vals map[string]conf.SectionValue, dir string, environ []string) (seedProgram, error) {
	sp := seedProgram{Section: p.Section, Name: p.Name, Group: p.Group, Dir: dir, CertFile: gc.CertFile, KeyFile: gc.KeyFile}
	p.Directory = &dir
	gunicornChecks(p, gc, vals) // seed_checks.go
	if _, ok := vals["stopsignal"]; !ok {
		p.StopSignal = int(gunicorn.GracefulStop)
	}
	if _, ok := vals["stopwaitsecs"]; !ok {
		p.StopWaitSecs = int(gc.StopWait() / time.Second)
	}
	if _, ok := vals["stopasgroup"]; !ok {
		p.StopAsGroup = true
	}
	if _, ok := vals["killasgroup"]; !ok {
		p.KillAsGroup = true
	}
	base := append(append([]string(nil), environ...), envStrings(p.Environment)...)
	// What gunicorn gets: the daemon's environment cleaned of gunicorn's own variables, then
	// the environment's PATH/VIRTUAL_ENV/PYENV_VERSION, then the section's environment=.
	pe, err := resolvePython(dir, base, &sp)
	var gpath string
	if err == nil {
		gpath, err = pe.which("gunicorn")
	}
	if err != nil {
		sp.Err = err.Error()
		p.Command = unresolvedCommand(err)
		sp.Argv = []string{unresolvedPath(err)}
		return sp, nil
	}
	want := gunicorn.CleanEnv(pe.environ(base))
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
		if errors.As(verr, &me) {
			var kept *multierror.Error
			for _, e := range me.Errors {
				// An expired certificate does not refuse the config: the daemon logs it as an
				// error at start and daily (seed_certs.go) and gunicorn's clients see it.
				if errors.Is(e, gunicorn.ErrExpired) || errors.Is(e, gunicorn.ErrNotYetValid) {
					continue
				}
				kept = multierror.Append(kept, e)
			}
			if kept != nil {
				return sp, kept
			}
		} else {
			return sp, verr
		}
	}
	for _, w := range warns {
		sp.Warnings = append(sp.Warnings, w.String())
	}
	argv := append([]string{gpath}, gc.Args()...)
	p.Command = commandLine(argv)
	gcCopy := gc
	sp.Config = &gcCopy
	sp.Argv, sp.Env, sp.Cleared = argv, envStrings(p.Environment), cleared
	return sp, nil
}
