package pyenv

import (
	"os"
	"strings"
	"sync"
)

// Options says where and how to resolve. The zero value resolves the
// process's working directory with the process environment, as running
// `pyenv version-name` there would.
type Options struct {
	// Root is PYENV_ROOT. Empty: PYENV_ROOT from Env, and when that is
	// empty too, $HOME/.pyenv. One trailing "/" is stripped; the value is
	// not made absolute or canonical (pyenv does neither).
	Root string

	// Dir is the working directory of the app, as bash's $PWD would be
	// there: a logical path (symlinks kept; "." and ".." removed lexically).
	// A relative Dir is taken against the zero value's directory. Empty:
	// PWD from Env if it is absolute and names the process's working
	// directory, else os.Getwd(). PYENV_DIR in Env, when set, is resolved
	// against Dir exactly as pyenv does.
	Dir string

	// Env is the environment the tools would run with, as KEY=value
	// strings (the last duplicate wins). Nil: os.Environ(). Read here:
	// PYENV_ROOT, PYENV_DIR, PYENV_VERSION, PATH, HOME, PWD, and for pipenv
	// PIPENV_*, VIRTUAL_ENV, WORKON_HOME, XDG_DATA_HOME.
	Env []string

	// NoSystem makes Which skip the PATH search (`pyenv which --nosystem`).
	NoSystem bool
}

// EnvOrigin is the origin of a selection made by PYENV_VERSION.
const EnvOrigin = "PYENV_VERSION environment variable"

// Resolution is the answer to "which Python does this folder use" as
// pyenv 2.6.30 gives it. Its methods answer `pyenv prefix` and `pyenv which`
// and build the environment to exec with; they look at the file system
// again each time, and are safe for concurrent use.
type Resolution struct {
	// Root is PYENV_ROOT as used (one trailing "/" stripped).
	Root string
	// Dir is PYENV_DIR after pyenv's logical cd; PWD is the working
	// directory (Options.Dir, cleaned).
	Dir, PWD string
	// Origin is what `pyenv version-origin` prints: EnvOrigin, or the path
	// of the version file that selected (even when it is empty or names a
	// missing version), or $PYENV_ROOT/version even when that does not
	// exist.
	Origin string
	// FromEnv is true when PYENV_VERSION selected.
	FromEnv bool
	// Selected is the raw selection: PYENV_VERSION verbatim, or the file's
	// accepted words joined with ":" ("" means system).
	Selected string
	// Versions is what `pyenv version-name` prints, split on ":": the
	// installed names after "python-" stripping and prefix resolution
	// ("3.11" -> "3.11.10"), or ["system"].
	Versions []string
	// Missing are the selected names that are not installed, as written.
	Missing []string
	// Warnings are what pyenv prints on stderr without failing: rejected
	// version-file words, unreadable version files.
	Warnings []string

	noSystem bool
	r        *resolver
}

// resolver carries one resolution's inputs; it never changes the process
// state.
type resolver struct {
	fs            fsys
	root          string
	dir           string // PYENV_DIR, canonical
	pwd           string
	env           envMap
	mu            sync.Mutex // guards cands
	cands         *[]string
	exportedEmpty bool // PYENV_VERSION is set but empty
	utf8          bool // bash runs in a UTF-8 locale: reads count characters
}

// Resolve resolves opts as pyenv 2.6.30 would, reading only a few
// directories and files; it starts no process.
//
// The error is a *DirError when PYENV_DIR (or Dir) is not a directory, with
// a nil Resolution. When some selected versions are not installed the
// error is a *VersionError and the Resolution is returned as well: its
// Versions hold the installed rest (pyenv version-name prints them and
// exits 1) and Which still works (pyenv which skips missing versions).
func Resolve(opts Options) (*Resolution, error) {
	r, err := newResolver(opts)
	if err != nil {
		return nil, err
	}
	res := &Resolution{Root: r.root, Dir: r.dir, PWD: r.pwd, noSystem: opts.NoSystem, r: r}
	if v := r.env.get("PYENV_VERSION"); v != "" {
		res.FromEnv, res.Origin, res.Selected = true, EnvOrigin, v
	} else {
		res.Origin = r.versionFile()
		fr := r.readVersionFile(res.Origin)
		res.Selected, res.Warnings = fr.value, fr.warnings
	}
	res.Versions, res.Missing = r.versionName(res.Selected, false)
	if len(res.Missing) > 0 {
		origin := res.Origin
		if r.exportedEmpty {
			// pyenv-version-name assigns the file's value to the exported
			// (empty) PYENV_VERSION before asking for the origin.
			origin = EnvOrigin
		}
		return res, &VersionError{Versions: res.Missing, Origin: origin}
	}
	return res, nil
}

func newResolver(opts Options) (*resolver, error) {
	env := newEnvMap(opts.Env)
	r := &resolver{env: env, utf8: utf8Locale(env)}
	pwd, err := workDir(opts.Dir, env)
	if err != nil {
		return nil, err
	}
	r.pwd = pwd
	r.fs = fsys{cwd: pwd}

	r.root = opts.Root
	if r.root == "" {
		r.root = env.get("PYENV_ROOT")
	}
	if r.root == "" {
		r.root = env.get("HOME") + "/.pyenv"
	} else {
		r.root = strings.TrimSuffix(r.root, "/")
	}

	pdir := env.get("PYENV_DIR")
	if pdir == "" {
		pdir = pwd
	}
	if !r.fs.isDir(pdir) {
		return nil, &DirError{Dir: pdir}
	}
	d, ok := r.fs.cd(pdir)
	if !ok {
		return nil, &DirError{Dir: pdir}
	}
	r.dir = d
	if v, ok := env.lookup("PYENV_VERSION"); ok && v == "" {
		r.exportedEmpty = true
	}
	return r, nil
}

// workDir computes the logical working directory for Options.Dir.
func workDir(dir string, env envMap) (string, error) {
	if dir == "" {
		return processDir(env), nil
	}
	if !strings.HasPrefix(dir, "/") {
		dir = joinSlash(processDir(env), dir)
	}
	f := fsys{cwd: "/"}
	if c, ok := f.canonPath(dir); ok {
		return c, nil
	}
	if f.isDir(dir) {
		return dir, nil
	}
	return "", &DirError{Dir: dir}
}

// processDir is bash's initial $PWD: the environment's PWD when it is
// absolute and names the working directory, else getcwd().
func processDir(env envMap) string {
	wd, err := os.Getwd()
	if err != nil {
		wd = "/"
	}
	if p := env.get("PWD"); strings.HasPrefix(p, "/") {
		if sameFile(p, ".") {
			if c, ok := (fsys{cwd: wd}).canonPath(p); ok {
				return c
			}
		}
	}
	return wd
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}

// VersionName is what `pyenv version-name` prints: Versions joined by ":".
func (res *Resolution) VersionName() string { return strings.Join(res.Versions, ":") }

// splitColon splits like bash word splitting with IFS=":": empty fields
// are kept except one trailing empty field. Unlike pyenv 2.6.30, fields are
// not glob-expanded against the working directory (pyenv 2.8 removed that).
func splitColon(s string) []string {
	if s == "" {
		return nil
	}
	f := strings.Split(s, ":")
	if f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}

// versionName is pyenv-version-name's loop over a raw selection. With
// force (-f) a missing name is kept ("python-" stripped) instead of being
// reported.
func (r *resolver) versionName(raw string, force bool) (kept, missing []string) {
	if raw == "" || raw == "system" {
		return []string{"system"}, nil
	}
	kept = []string{}
	for _, v := range splitColon(raw) {
		n := strings.TrimPrefix(v, "python-")
		switch {
		case v == "system" || r.fs.isDir(r.root+"/versions/"+v):
			kept = append(kept, v)
		case n != v && r.fs.isDir(r.root+"/versions/"+n):
			kept = append(kept, n)
		default:
			// versions/v and versions/n are known not to be directories
			l, ok := r.latestNoDir(v)
			if !ok && n != v {
				l, ok = r.latestNoDir(n)
			}
			switch {
			case ok:
				kept = append(kept, l)
			case force:
				kept = append(kept, n)
			default:
				missing = append(missing, v)
			}
		}
	}
	return kept, missing
}
