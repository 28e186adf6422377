package pyenv

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxDepth is pipenv 2022.12.19's PIPENV_MAX_DEPTH: the working
// directory and its two parents are searched for a Pipfile.
const DefaultMaxDepth = 3

// ErrNoPipfile is returned (wrapped in a *PipfileError) by FindProject when
// no Pipfile is within reach; `pipenv --where` prints nothing then.
var ErrNoPipfile = fmt.Errorf("no Pipfile present at project home: %w", ErrNotFound)

// PipfileError is a failure to locate or use a project's Pipfile.
type PipfileError struct {
	Path string // the Pipfile (or PIPENV_PIPFILE) concerned
	Err  error
}

func (e *PipfileError) Error() string { return fmt.Sprintf("pipenv: %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *PipfileError) Unwrap() error { return e.Err }

// Project is a pipenv project: the Pipfile pipenv would use from a
// directory, and the settings in effect there (the environment, overridden
// by the project's .env as pipenv loads it).
type Project struct {
	// Pipfile is the absolute, symlink-resolved path of the Pipfile
	// (pipenv's pipfile_location); it may not exist (Exists).
	Pipfile string
	// Dir is the project directory (`pipenv --where`): Pipfile's directory.
	Dir string
	// Name is the base name of Dir, from which the venv name is derived.
	Name string
	// Exists reports whether Pipfile is a regular file.
	Exists bool
	// DotEnv is the .env file that was loaded, "" if none.
	DotEnv string

	env envMap // settings after .env
	fs  fsys
}

// FindProject locates the pipenv project for opts.Dir as pipenv does:
// PIPENV_PIPFILE if set, else the nearest Pipfile walking up the PHYSICAL
// path (realpath of the directory) at most PIPENV_MAX_DEPTH directories
// (PIPENV_NO_INHERIT: the directory only), else <directory>/Pipfile. Then
// the project's .env (or PIPENV_DOTENV_LOCATION) is applied unless
// PIPENV_DONT_LOAD_ENV. Options.Root and NoSystem are not used.
//
// When no Pipfile exists the Project is still returned (pipenv uses it for
// the venv location) with Exists false, together with an error wrapping
// ErrNoPipfile. Other errors (PIPENV_PIPFILE not a file, a malformed
// PIPENV_MAX_DEPTH, an unreadable .env) return a nil Project.
func FindProject(opts Options) (*Project, error) {
	env := newEnvMap(opts.Env)
	pwd, err := workDir(opts.Dir, env)
	if err != nil {
		return nil, err
	}
	cwd, err := filepath.EvalSymlinks(pwd)
	if err != nil {
		return nil, &PipfileError{Path: pwd, Err: err}
	}
	p := &Project{fs: fsys{cwd: cwd}}
	loc, err := p.pipfileLocation(env)
	if err != nil {
		return nil, err
	}
	p.Pipfile = loc
	p.Dir = parentDir(loc)
	parts := strings.Split(loc, "/")
	if len(parts) >= 2 {
		p.Name = parts[len(parts)-2]
	}
	p.Exists = p.fs.isFile(loc)
	p.env = env.clone()
	if err := p.loadDotEnv(); err != nil {
		return nil, err
	}
	if !p.Exists {
		return p, &PipfileError{Path: loc, Err: ErrNoPipfile}
	}
	return p, nil
}

func parentDir(p string) string {
	d := filepath.Dir(p)
	return d
}

// envSetting is pipenv's get_from_env: PIPENV_<X> parsed as a boolean when
// it is one of 1/true/yes/on or 0/false/no/off (any case), else returned as
// a string; absent, PIPENV_NO_<X> negated (when negation is checked).
type envSetting struct {
	set    bool
	isBool bool
	b      bool
	s      string
}

func getFromEnv(env envMap, name string, negation bool) envSetting {
	if v, ok := env.lookup("PIPENV_" + name); ok {
		if b, ok := envToBool(v); ok {
			return envSetting{set: true, isBool: true, b: b}
		}
		return envSetting{set: true, s: v}
	}
	if negation {
		if v, ok := env.lookup("PIPENV_NO_" + name); ok {
			if b, ok := envToBool(v); ok {
				return envSetting{set: true, isBool: true, b: !b}
			}
			return envSetting{set: true, s: v}
		}
	}
	return envSetting{}
}

// truthy is Python's bool() of the setting.
func (s envSetting) truthy() bool {
	if s.isBool {
		return s.b
	}
	return s.s != ""
}

func envToBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// maxDepth is Setting.PIPENV_MAX_DEPTH: int(PIPENV_MAX_DEPTH or 3) + 1, or
// 2 with PIPENV_NO_INHERIT.
func maxDepth(env envMap) (int, error) {
	if getFromEnv(env, "NO_INHERIT", false).truthy() {
		return 2, nil
	}
	s := getFromEnv(env, "MAX_DEPTH", true)
	switch {
	case !s.set:
		return DefaultMaxDepth + 1, nil
	case s.isBool:
		if s.b {
			return 2, nil
		}
		return 1, nil
	}
	n, err := pyInt(s.s)
	if err != nil {
		return 0, fmt.Errorf("pipenv: invalid PIPENV_MAX_DEPTH %q: %w", s.s, err)
	}
	return n + 1, nil
}

// pyInt parses like Python's int(str): surrounding whitespace, a sign,
// underscores between digits.
func pyInt(s string) (int, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "__") || strings.HasPrefix(strings.TrimLeft(t, "+-"), "_") || strings.HasSuffix(t, "_") {
		return 0, strconv.ErrSyntax
	}
	t = strings.ReplaceAll(t, "_", "")
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

func (p *Project) pipfileLocation(env envMap) (string, error) {
	if s := getFromEnv(env, "PIPFILE", false); s.truthy() {
		if s.isBool || !p.fs.isFile(s.s) {
			return "", &PipfileError{Path: env.get("PIPENV_PIPFILE"), Err: fmt.Errorf("given PIPENV_PIPFILE is not found: %w", ErrNotFound)}
		}
		return p.resolvePath(s.s), nil
	}
	depth, err := maxDepth(env)
	if err != nil {
		return "", err
	}
	dir := p.fs.cwd
	for i := 1; ; i++ {
		if _, err := os.ReadDir(dir); err != nil {
			break // walk_up stops where listdir fails
		}
		if i < depth && p.fs.isFile(joinSlash(dir, "Pipfile")) {
			return p.resolvePath(joinSlash(dir, "Pipfile")), nil
		}
		up, err := filepath.EvalSymlinks(filepath.Dir(dir))
		if err != nil || up == dir {
			break
		}
		dir = up
	}
	return p.resolvePath("Pipfile"), nil
}

// resolvePath is abspath(Path(p).resolve()) against the physical cwd:
// symlinks resolved as far as the path exists.
func (p *Project) resolvePath(path string) string {
	a := path
	if !filepath.IsAbs(a) {
		a = filepath.Join(p.fs.cwd, a)
	}
	a = filepath.Clean(a)
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r
	}
	// resolve the existing head, keep the rest
	dir, base := filepath.Split(a)
	if dir != "" && dir != a {
		if r, err := filepath.EvalSymlinks(filepath.Clean(dir)); err == nil {
			return filepath.Join(r, base)
		}
	}
	return a
}

func (p *Project) loadDotEnv() error {
	if getFromEnv(p.env, "DONT_LOAD_ENV", false).truthy() {
		return nil
	}
	file := joinSlash(p.Dir, ".env")
	if s := getFromEnv(p.env, "DOTENV_LOCATION", false); s.truthy() {
		if s.isBool {
			return nil
		}
		file = s.s
	}
	if !p.fs.isFile(file) {
		return nil
	}
	b, err := os.ReadFile(p.fs.abs(file))
	if err != nil {
		return &PipfileError{Path: file, Err: err}
	}
	if !utf8.Valid(b) {
		return &PipfileError{Path: file, Err: errors.New("not valid UTF-8")}
	}
	applyDotenv(p.env, parseDotenv(string(b)))
	p.DotEnv = file
	return nil
}

// Env returns the value of an environment setting as pipenv sees it for
// this project (the environment overridden by the project's .env).
func (p *Project) Env(key string) (string, bool) { return p.env.lookup(key) }

var venvNameUnsafe = regexp.MustCompile("[ &$`!*@\"()\\[\\]\\\\\r\n\t]")

// sanitizeName is pipenv's _sanitize: unsafe characters become "_", then
// the name is cut to 42 code points.
func sanitizeName(name string) string {
	s := venvNameUnsafe.ReplaceAllString(name, "_")
	if utf8.RuneCountInString(s) > 42 {
		r := []rune(s)
		s = string(r[:42])
	}
	return s
}

// venvHash is the 8-character URL-safe base64 of the first 6 bytes of
// sha256(path).
func venvHash(path string) string {
	sum := sha256.Sum256([]byte(path))
	return base64.URLEncoding.EncodeToString(sum[:6])
}

// VenvName is the virtualenv's directory name under WORKON_HOME:
// PIPENV_CUSTOM_VENV_NAME, else <sanitised Name>-<hash8>[-<python>], the
// hash over the Pipfile path. It fails when the path is not valid UTF-8
// (pipenv crashes there).
func (p *Project) VenvName() (string, error) {
	if s := getFromEnv(p.env, "CUSTOM_VENV_NAME", false); s.truthy() {
		if s.isBool {
			return "", fmt.Errorf("pipenv: PIPENV_CUSTOM_VENV_NAME=%s is not a name", p.env.get("PIPENV_CUSTOM_VENV_NAME"))
		}
		return s.s, nil
	}
	if !utf8.ValidString(p.Pipfile) {
		return "", &PipfileError{Path: p.Pipfile, Err: errors.New("path is not valid UTF-8 (pipenv cannot hash it)")}
	}
	suffix := ""
	if s := getFromEnv(p.env, "PYTHON", false); s.truthy() {
		if s.isBool {
			return "", errors.New("pipenv: PIPENV_PYTHON is a boolean, not a Python")
		}
		if strings.HasPrefix(s.s, "/") {
			suffix = "-" + filepath.Base(s.s)
			if strings.HasSuffix(s.s, "/") {
				suffix = "-"
			}
		} else {
			suffix = "-" + s.s
		}
	}
	return sanitizeName(p.Name) + "-" + venvHash(p.Pipfile) + suffix, nil
}

// WorkonHome is pipenv's get_workon_home: WORKON_HOME, else
// $XDG_DATA_HOME/virtualenvs, else ~/.local/share/virtualenvs, with $VARS
// and ~ expanded; it may stay relative (to the project directory). Unlike
// pipenv it does not create the directory.
func (p *Project) WorkonHome() string {
	wh := p.env.get("WORKON_HOME")
	if wh == "" {
		base, ok := p.env.lookup("XDG_DATA_HOME")
		if !ok {
			base = "~/.local/share"
		}
		wh = pyJoin(base, "virtualenvs")
	}
	return pathlibStr(p.expandUser(expandVars(wh, p.env)))
}

// VenvPath is where pipenv's virtualenv for the project is (or will be
// created): `pipenv --venv` once it exists. In order: VIRTUAL_ENV (unless
// PIPENV_ACTIVE is set or PIPENV_IGNORE_VIRTUALENVS), an existing .venv
// directory in the project, a .venv file naming a venv (a path relative to
// the project, or a name under WORKON_HOME), <project>/.venv with
// PIPENV_VENV_IN_PROJECT, else WORKON_HOME/VenvName().
func (p *Project) VenvPath() (string, error) {
	if _, active := p.env.lookup("PIPENV_ACTIVE"); !active && !getFromEnv(p.env, "IGNORE_VIRTUALENVS", true).truthy() {
		if v := p.env.get("VIRTUAL_ENV"); v != "" {
			return v, nil
		}
	}
	dot := pyJoin(p.Dir, ".venv")
	if _, err := os.Stat(p.fs.abs(dot)); err != nil {
		if p.venvInProject(dot) {
			return dot, nil
		}
		return p.workonVenv()
	}
	if p.fs.isDir(dot) {
		return dot, nil
	}
	b, err := os.ReadFile(p.fs.abs(dot))
	if err != nil {
		return "", &PipfileError{Path: dot, Err: err}
	}
	if !utf8.Valid(b) {
		return "", &PipfileError{Path: dot, Err: errors.New("not valid UTF-8")}
	}
	name := strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n"))
	if name == "" {
		return p.workonVenv()
	}
	if strings.Contains(name, "/") {
		return pathlibStr(pyJoin(p.Dir, name)), nil
	}
	return pathlibJoin(p.WorkonHome(), name), nil
}

func (p *Project) workonVenv() (string, error) {
	name, err := p.VenvName()
	if err != nil {
		return "", err
	}
	return pathlibJoin(p.WorkonHome(), name), nil
}

// venvInProject is Project.is_venv_in_project.
func (p *Project) venvInProject(dot string) bool {
	s := getFromEnv(p.env, "VENV_IN_PROJECT", true)
	if s.isBool && !s.b {
		return false
	}
	return s.truthy() || p.fs.isDir(dot)
}

// VenvExists reports whether the venv at VenvPath exists as pipenv checks
// it (bin/activate is a file); `pipenv --venv` fails otherwise.
func (p *Project) VenvExists() bool {
	v, err := p.VenvPath()
	return err == nil && p.fs.isFile(v+"/bin/activate")
}

// expandUser is pathlib's expanduser: a leading "~" or "~user".
func (p *Project) expandUser(s string) string {
	if !strings.HasPrefix(s, "~") {
		return s
	}
	head, rest, _ := strings.Cut(s, "/")
	var home string
	if head == "~" {
		if h, ok := p.env.lookup("HOME"); ok {
			home = h
		} else if u, err := user.Current(); err == nil {
			home = u.HomeDir
		} else {
			return s
		}
	} else {
		u, err := user.Lookup(head[1:])
		if err != nil {
			return s
		}
		home = u.HomeDir
	}
	if rest == "" && !strings.Contains(s, "/") {
		return home
	}
	return home + "/" + rest
}

// expandVars is os.path.expandvars: $NAME and ${NAME} replaced when NAME
// ([A-Za-z0-9_]+) is set; anything else left as is.
func expandVars(s string, env envMap) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i + 1
		braced := j < len(s) && s[j] == '{'
		if braced {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				b.WriteByte('$')
				i++
				continue
			}
			name := s[j+1 : j+end]
			if v, ok := env.lookup(name); ok && name != "" {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : j+end+1])
			}
			i = j + end + 1
			continue
		}
		k := j
		for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
			k++
		}
		name := s[j:k]
		if v, ok := env.lookup(name); ok && name != "" {
			b.WriteString(v)
		} else {
			b.WriteString(s[i:k])
		}
		if k == j {
			k = j
			i = j
			continue
		}
		i = k
	}
	return b.String()
}

// pyJoin is os.path.join for two POSIX paths.
func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") {
		return b
	}
	if a == "" || strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

// pathlibStr is str(PurePosixPath(s)): repeated "/" collapsed (a leading
// "//" kept), "." parts and a trailing "/" dropped, ".." kept.
func pathlibStr(s string) string {
	if s == "" {
		return "."
	}
	lead := ""
	if strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "///") {
		lead = "//"
	} else if strings.HasPrefix(s, "/") {
		lead = "/"
	}
	var parts []string
	for _, c := range strings.Split(s, "/") {
		if c == "" || c == "." {
			continue
		}
		parts = append(parts, c)
	}
	out := lead + strings.Join(parts, "/")
	if out == "" {
		return "."
	}
	return out
}

// pathlibJoin is str(Path(a).joinpath(b)).
func pathlibJoin(a, b string) string {
	if strings.HasPrefix(b, "/") {
		return pathlibStr(b)
	}
	if pathlibStr(a) == "." {
		return pathlibStr(b)
	}
	return pathlibStr(a + "/" + b)
}
