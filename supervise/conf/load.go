package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

// Options configure Load. The zero value reads the real environment, host name, users and
// file system, as supervisord does.
type Options struct {
	// Environ is supervisord's environment ("KEY=VALUE"), which gives the %(ENV_X)s names;
	// nil = os.Environ().
	Environ []string
	// Hostname is %(host_node_name)s; "" = os.Hostname() (Python's platform.node()).
	Hostname string
}

// maxNumprocs bounds numprocs so that a typo cannot make Load allocate without end.
const maxNumprocs = 100000

// Load reads the config file at path (supervisord's -c) and the files its [include] names,
// and returns the whole configuration, or every error found (a *multierror.Error of *Error)
// and a nil Config: a broken configuration never half-applies.
func Load(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "could not read config file " + path
		if errors.Is(err, fs.ErrNotExist) {
			msg = "could not find config file " + path
		}
		return nil, multierror.Append(nil, &Error{Msg: msg, File: path, Err: err})
	}
	return LoadData(path, data, opts)
}

// LoadData is Load with the main file's content given; path still names it (for %(here)s,
// [include] patterns and messages).
func LoadData(path string, data []byte, opts Options) (*Config, error) {
	l := newLoader(path, opts)
	cfg := l.run(data)
	if len(l.errs) > 0 {
		var me *multierror.Error
		for _, e := range l.errs {
			me = multierror.Append(me, e)
		}
		return nil, me
	}
	return cfg, nil
}

type loader struct {
	file    string // as given
	here    string
	host    string
	environ map[string]any // supervisord's environ_expansions (ENV_*), grows with [supervisord] environment=
	f       *ini.File
	cfg     *Config
	errs    []*Error
	seen    map[string]bool
	warned  map[string]bool
}

func newLoader(path string, opts Options) *loader {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	l := &loader{
		file:    path,
		here:    filepath.Dir(abs),
		host:    opts.Hostname,
		environ: map[string]any{},
		seen:    map[string]bool{},
		warned:  map[string]bool{},
	}
	if l.host == "" {
		l.host, _ = os.Hostname()
	}
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.environ["ENV_"+k] = v
		}
	}
	return l
}

func (l *loader) add(e *Error) {
	key := e.Error()
	if l.seen[key] {
		return
	}
	l.seen[key] = true
	l.errs = append(l.errs, e)
}

func (l *loader) warn(s string) {
	if l.warned[s] {
		return
	}
	l.warned[s] = true
	l.cfg.Warnings = append(l.cfg.Warnings, s)
}

// expand is options.expand over parser.expansions (the live environ) plus vars.
func (l *loader) expand(s string, vars map[string]any, name string) (string, error) {
	return expandMsg(s, name, vars, l.environ)
}

// expandMsg is options.expand over the union of maps (a name in an earlier map wins), with
// supervisord's error texts.
func expandMsg(s, name string, maps ...map[string]any) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	out, err := ini.ExpandFunc(s, func(k string) (any, bool) {
		for _, m := range maps {
			if v, ok := m[k]; ok {
				return v, true
			}
		}
		return nil, false
	})
	if err == nil {
		return out, nil
	}
	// A password's text is not repeated in the error (supervisord's message would quote it).
	shown := ini.Repr(s)
	if name == "password" || strings.HasSuffix(name, ".password") {
		shown = "'<password hidden>'"
	}
	var ke *ini.KeyError
	if errors.As(err, &ke) {
		seen := map[string]bool{}
		var names []string
		for _, m := range maps {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
		sort.Strings(names)
		return "", &wrapped{fmt.Sprintf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
			shown, ini.Repr(name), ke.Error(), strings.Join(names, ", ")), err}
	}
	return "", &wrapped{fmt.Sprintf("Format string %s for %s is badly formatted: %s", shown, ini.Repr(name), err.Error()), err}
}

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// sectx reads one section the way supervisord's get/saneget helpers do and records errors
// with the section's location.
type sectx struct {
	l        *loader
	sec      *ini.Section // nil when the section does not exist
	name     string
	file     string
	suffixed bool
	defaults map[string]string
	failed   bool
}

func (l *loader) section(name string, suffixed bool) *sectx {
	c := &sectx{l: l, sec: l.f.Section(name), name: name, file: l.file, suffixed: suffixed}
	if c.sec != nil {
		c.file = c.sec.File
	}
	return c
}

func (c *sectx) headerLine() int {
	if c.sec == nil {
		return 0
	}
	return c.sec.Line
}

// fail records err at line.
func (c *sectx) fail(line int, err error) {
	c.failed = true
	e := &Error{Msg: err.Error(), Section: c.name, File: c.file, Line: line, Suffixed: c.suffixed, Err: err}
	if line == 0 {
		e.Line = c.headerLine()
	}
	c.l.add(e)
}

// raw returns the unexpanded value of opt.
func (c *sectx) raw(opt string) (ini.Value, bool) {
	if c.sec != nil {
		if v, ok := c.sec.Get(opt); ok {
			return v, true
		}
	}
	if d, ok := c.defaults[opt]; ok {
		return ini.Value{Raw: d, File: c.file, Line: c.headerLine()}, true
	}
	return ini.Value{}, false
}

// get is saneget: the expanded value of opt, or def when absent (present false). ok is false
// after an expansion error (recorded).
func (c *sectx) get(opt, def string, vars map[string]any) (val string, line int, present, ok bool) {
	v, present := c.raw(opt)
	if !present {
		return def, c.headerLine(), false, true
	}
	if !strings.Contains(v.Raw, "%") {
		return v.Raw, v.Line, true, true
	}
	s, err := c.l.expand(v.Raw, vars, c.name+"."+opt)
	if err != nil {
		c.fail(v.Line, err)
		return "", v.Line, true, false
	}
	return s, v.Line, true, true
}

// conv reads opt with get and converts it with fn; def is used when absent.
func conv[T any](c *sectx, opt, def string, vars map[string]any, fn func(string) (T, error)) (T, bool) {
	s, line, _, ok := c.get(opt, def, vars)
	var zero T
	if !ok {
		return zero, false
	}
	v, err := fn(s)
	if err != nil {
		c.fail(line, err)
		return zero, false
	}
	return v, true
}

func (l *loader) run(data []byte) *Config {
	l.cfg = &Config{File: l.file, Here: l.here, ld: l}
	f, err := ini.Parse(l.file, data)
	if err != nil {
		l.iniError(err)
		return nil
	}
	l.f = f
	l.cfg.INI = f
	// read_config's expansions: a copy of environ taken before [supervisord] environment=
	base := map[string]any{"here": l.here, "host_node_name": l.host}
	for k, v := range l.environ {
		base[k] = v
	}
	if f.Section("include") != nil {
		if !l.include(base) {
			return nil
		}
	}
	l.supervisord(base)
	l.rpcInterfaces()
	l.cfg.Groups = l.processGroups()
	l.checkDepends() // depends_on (depends.go)
	for gi := range l.cfg.Groups {
		g := &l.cfg.Groups[gi]
		for pi := range g.Processes {
			p := &g.Processes[pi]
			p.Environment = mergeEnv(l.cfg.Supervisord.Environment, p.Environment)
		}
	}
	l.servers()
	l.realize()
	l.ctl()
	l.checkRPC()
	return l.cfg
}

func (l *loader) iniError(err error) {
	e := &Error{Msg: err.Error(), Err: err}
	var pe *ini.ParseError
	var ee *ini.EncodingError
	switch {
	case errors.As(err, &pe):
		e.File, e.Line = pe.File, pe.Lines[0].Line
	case errors.As(err, &ee):
		e.File, e.Line = ee.File, ee.Line
	}
	l.add(e)
}

// include reads the [include] files (options.read_config).
func (l *loader) include(base map[string]any) bool {
	l.f.ReplaceHere(l.here)
	c := l.section("include", false)
	v, ok := c.raw("files")
	if !ok {
		c.fail(0, errorf(".ini file has [include] section, but no files setting"))
		return false
	}
	files, err := expandMsg(v.Raw, "include.files", base)
	if err != nil {
		c.fail(v.Line, err)
		return false
	}
	for _, pattern := range pySplit(files) {
		if !filepath.IsAbs(pattern) {
			pattern = strings.TrimSuffix(l.here, "/") + "/" + pattern
		}
		matches := pyGlob(pattern)
		if len(matches) == 0 {
			l.cfg.Warnings = append(l.cfg.Warnings, "No file matches via include \""+pattern+"\"")
			continue
		}
		sort.Strings(matches)
		for _, name := range matches {
			l.cfg.Infos = append(l.cfg.Infos, "Included extra file \""+name+"\" during parsing")
			data, err := os.ReadFile(name)
			if err != nil {
				continue // Python's parser.read skips files it cannot open
			}
			l.cfg.Included = append(l.cfg.Included, name)
			if err := l.f.Read(name, data); err != nil {
				l.iniError(err)
				return false
			}
			abs, _ := filepath.Abs(name)
			l.f.ReplaceHere(filepath.Dir(abs))
		}
	}
	return true
}

// supervisord reads [supervisord] (options.read_config).
func (l *loader) supervisord(base map[string]any) {
	s := &l.cfg.Supervisord
	c := l.section("supervisord", false)
	if c.sec == nil {
		l.add(&Error{Msg: ".ini file does not include supervisord section", File: l.file})
	}
	here := map[string]any{"here": l.here}
	s.Minfds, _ = conv(c, "minfds", "1024", here, ParseInt)
	s.Minprocs, _ = conv(c, "minprocs", "200", here, ParseInt)
	if d, line, present, ok := c.get("directory", "", here); present && ok {
		if v, err := existingDirectory(d); err != nil {
			c.fail(line, err)
		} else {
			s.Directory = v
		}
	}
	if u, _, present, ok := c.get("user", "", here); present && ok {
		s.User = u
	}
	s.Umask, _ = conv(c, "umask", "022", here, ParseOctal)
	s.Logfile, _ = conv(c, "logfile", "supervisord.log", here, existingDirpath)
	s.LogfileMaxBytes, _ = conv(c, "logfile_maxbytes", "50MB", here, ParseByteSize)
	s.LogfileBackups, _ = conv(c, "logfile_backups", "10", here, ParseInt)
	s.LogfileTime = readLogTime(c, "logfile", here, false) // logtime.go
	s.LogLevel, _ = conv(c, "loglevel", "info", here, loggingLevel)
	s.Pidfile, _ = conv(c, "pidfile", "supervisord.pid", here, existingDirpath)
	s.Identifier, _, _, _ = c.get("identifier", "supervisor", here)
	s.Nodaemon, _ = conv(c, "nodaemon", "false", here, ParseBool)
	s.Silent, _ = conv(c, "silent", "false", here, ParseBool)
	s.Childlogdir, _ = conv(c, "childlogdir", tempDir(), here, existingDirectory)
	s.Nocleanup, _ = conv(c, "nocleanup", "false", here, ParseBool)
	s.StripANSI, _ = conv(c, "strip_ansi", "false", here, ParseBool)
	envStr, line, _, ok := c.get("environment", "", here)
	if !ok {
		return
	}
	envStr, err := expandMsg(envStr, "environment", base)
	if err != nil {
		c.fail(line, err)
		return
	}
	vars, warns, err := ParseEnvironment(envStr)
	if err != nil {
		c.fail(line, err)
		return
	}
	for _, w := range warns {
		l.warn("[supervisord] " + w)
	}
	s.Environment = vars
	for _, v := range vars {
		l.environ["ENV_"+v.Key] = v.Value
	}
}

// tempDir is Python's tempfile.gettempdir() for the usual cases: $TMPDIR, $TEMP or $TMP if
// it is a directory, else /tmp.
func tempDir() string {
	for _, k := range []string{"TMPDIR", "TEMP", "TMP"} {
		if d := os.Getenv(k); d != "" && isDir(d) {
			return filepath.Clean(d)
		}
	}
	return "/tmp"
}

func mergeEnv(base, own []EnvVar) []EnvVar {
	if len(base) == 0 {
		return own
	}
	out := append([]EnvVar(nil), base...)
	idx := map[string]int{}
	for i, v := range out {
		idx[v.Key] = i
	}
	for _, v := range own {
		if i, ok := idx[v.Key]; ok {
			out[i].Value = v.Value
			continue
		}
		idx[v.Key] = len(out)
		out = append(out, v)
	}
	return out
}

const mainRPCFactory = "supervisor.rpcinterface:make_main_rpcinterface"

// rpcInterfaces reads [rpcinterface:x] (options.get_plugins).
func (l *loader) rpcInterfaces() {
	const key = "supervisor.rpcinterface_factory"
	for _, sec := range l.f.Sections() {
		if !strings.HasPrefix(sec.Name, "rpcinterface:") {
			continue
		}
		c := l.section(sec.Name, false)
		factory, _, present, ok := c.get(key, "", nil)
		if !ok {
			continue
		}
		if !present {
			c.fail(0, errorf("section [%s] does not specify a %s", sec.Name, key))
			continue
		}
		ri := RPCInterface{Name: strings.SplitN(sec.Name, ":", 2)[1], Factory: factory, Extras: map[string]string{}}
		for _, k := range sec.Options() {
			if k == key {
				continue
			}
			if v, _, _, ok := c.get(k, "", nil); ok {
				ri.Extras[k] = v
			}
		}
		if factory != mainRPCFactory {
			l.warn(fmt.Sprintf("[%s]: %s is not supervisord's own interface and is ignored", sec.Name, factory))
		}
		l.cfg.RPCInterfaces = append(l.cfg.RPCInterfaces, ri)
	}
}

// checkRPC reproduces the start-up failure of supervisord's main interface when its
// section has extra keys (for example leaked from [DEFAULT]).
func (l *loader) checkRPC() {
	for _, ri := range l.cfg.RPCInterfaces {
		if ri.Factory == mainRPCFactory && len(ri.Extras) > 0 {
			c := l.section("rpcinterface:"+ri.Name, false)
			c.fail(0, errorf("Could not make %s rpc interface", ri.Name))
		}
	}
}

// servers reads [inet_http_server] and [unix_http_server] (server_configs_from_parser).
func (l *loader) servers() {
	for _, unix := range []bool{false, true} {
		prefix := "inet_http_server"
		if unix {
			prefix = "unix_http_server"
		}
		for _, sec := range l.f.Sections() {
			if !strings.HasPrefix(sec.Name, prefix) {
				continue
			}
			c := l.section(sec.Name, false)
			srv := Server{Section: sec.Name, Unix: unix, Chown: [2]int{-1, -1}, Chmod: 0o700}
			if _, name, ok := strings.Cut(sec.Name, ":"); ok {
				srv.Name = name
			}
			auth := func() {
				u, _, hasU, ok1 := c.get("username", "", nil)
				p, _, hasP, ok2 := c.get("password", "", nil)
				if !ok1 || !ok2 {
					return
				}
				if (hasU || hasP) && !(hasU && hasP) {
					c.fail(0, errorf("Section [%s] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified", sec.Name))
					return
				}
				srv.Username, srv.Password, srv.HasAuth = u, p, hasU
			}
			if !unix {
				auth()
				port, line, present, ok := c.get("port", "", nil)
				if ok && !present {
					c.fail(0, errorf("section [%s] has no port value", sec.Name))
				} else if ok {
					host, p, err := inetAddress(port)
					if err != nil {
						c.fail(line, err)
					}
					srv.Host, srv.Port = host, p
				}
			} else {
				file, _, present, ok := c.get("file", "", map[string]any{"here": l.here})
				if ok && !present {
					c.fail(0, errorf("section [%s] has no file value", sec.Name))
				} else if ok {
					srv.File = normalizePath(ini.Strip(file))
				}
				auth()
				if chown, line, present, ok := c.get("chown", "", nil); present && ok {
					v, err := colonUserGroup(chown)
					if err != nil {
						c.fail(line, errorf("Invalid sockchown value %s", chown))
					}
					srv.Chown = v
				}
				if chmod, line, present, ok := c.get("chmod", "", nil); present && ok {
					v, err := ParseOctal(chmod)
					if err != nil {
						c.fail(line, errorf("Invalid chmod value %s", chmod))
					}
					srv.Chmod = v
				}
			}
			l.cfg.Servers = append(l.cfg.Servers, srv)
		}
	}
}

// realize is the part of ServerOptions.realize that checks and normalizes settings.
func (l *loader) realize() {
	s := &l.cfg.Supervisord
	if s.User != "" {
		uid, err := nameToUID(s.User)
		if err != nil {
			c := l.section("supervisord", false)
			v, _ := c.raw("user")
			c.fail(v.Line, err)
		} else {
			s.UID = &uid
		}
	}
	if s.Logfile != "syslog" && s.Logfile != "" {
		s.Logfile = normalizePath(s.Logfile)
	}
	if s.Pidfile != "" {
		s.Pidfile = normalizePath(s.Pidfile)
	}
	if strings.Contains(s.Identifier, "/") {
		for _, g := range l.cfg.Groups {
			for _, p := range g.Processes {
				if p.Stdout.Mode == LogAutomatic || p.Stderr.Mode == LogAutomatic {
					c := l.section("supervisord", false)
					v, _ := c.raw("identifier")
					c.fail(v.Line, errorf("identifier %s contains '/': supervisord crashes naming the AUTO log files of %s", ini.Repr(s.Identifier), p.Name))
					return
				}
			}
		}
	}
}

// ctl reads [supervisorctl] as supervisorctl does; its problems are warnings, since
// supervisord itself does not read it.
func (l *loader) ctl() {
	ctl := Ctl{ServerURL: "http://localhost:9001", Prompt: "supervisor"}
	c := l.section("supervisorctl", false)
	c.l = &loader{file: l.file, here: l.here, environ: l.environ, seen: map[string]bool{}, warned: map[string]bool{}, f: l.f, cfg: l.cfg}
	here := map[string]any{"here": l.here}
	if v, _, _, ok := c.get("serverurl", ctl.ServerURL, here); ok {
		if strings.HasPrefix(v, "unix://") {
			v = "unix://" + normalizePath(v[len("unix://"):])
		}
		ctl.ServerURL = v
	}
	if v, _, _, ok := c.get("prompt", ctl.Prompt, nil); ok {
		ctl.Prompt = v
	}
	if v, _, _, ok := c.get("username", "", nil); ok {
		ctl.Username = v
	}
	if v, _, _, ok := c.get("password", "", nil); ok {
		ctl.Password = v
	}
	if v, _, _, ok := c.get("history_file", "", here); ok && v != "" {
		ctl.HistoryFile = normalizePath(v)
	}
	for _, e := range c.l.errs {
		l.warn("[supervisorctl] " + e.Error())
	}
	l.cfg.Ctl = ctl
}
