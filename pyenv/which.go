package pyenv

import (
	"os"
	"strings"
)

// Prefixes is `pyenv prefix` without arguments: the installation
// directory of each selected version ($PYENV_ROOT/versions/NAME, symlinks
// not resolved; for system, the python/python3/python2 found on PATH minus
// "/bin/..." or "/sbin/..."). A non-empty PYENV_VERSION is used raw: it is
// not "python-"-stripped, so PYENV_VERSION=python-3.11 fails here while
// Versions holds 3.11.x, exactly as in pyenv. The error is a
// *VersionError or a *PrefixError; pyenv prints nothing then.
func (res *Resolution) Prefixes() ([]string, error) {
	r := res.r
	val := r.env.get("PYENV_VERSION")
	if val == "" {
		if len(res.Missing) > 0 {
			origin := res.Origin
			if r.exportedEmpty {
				origin = EnvOrigin
			}
			return nil, &VersionError{Versions: res.Missing, Origin: origin}
		}
		val = res.VersionName()
	}
	return r.prefixes(val)
}

// Prefix is Prefixes joined with ":", as `pyenv prefix` prints it.
func (res *Resolution) Prefix() (string, error) {
	p, err := res.Prefixes()
	if err != nil {
		return "", err
	}
	return strings.Join(p, ":"), nil
}

func (r *resolver) prefixes(val string) ([]string, error) {
	out := []string{}
	for _, v := range splitColon(val) {
		p, err := r.prefixOne(v)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// prefixOne is pyenv-prefix's loop body for one name.
func (r *resolver) prefixOne(v string) (string, error) {
	if v == "system" {
		py := ""
		for _, name := range []string{"python", "python3", "python2"} {
			if py = r.systemWhich(name); py != "" {
				break
			}
		}
		if py == "" {
			return "", &PrefixError{Version: "system", System: true}
		}
		p := stripBinSuffix(py)
		if p == "" {
			p = "/"
		}
		if !r.fs.isDir(p) {
			return "", &PrefixError{Version: "system"}
		}
		return p, nil
	}
	name := v
	if l, ok := r.latest(v); ok {
		name = l
	}
	p := r.root + "/versions/" + name
	if !r.fs.isDir(p) {
		return "", &PrefixError{Version: name}
	}
	return p, nil
}

// stripBinSuffix is ${p%/?(s)bin/*}: drop the shortest suffix that starts
// with "/bin/" or "/sbin/".
func stripBinSuffix(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if strings.HasPrefix(p[i:], "/bin/") || strings.HasPrefix(p[i:], "/sbin/") {
			return p[:i]
		}
	}
	return p
}

// prefixArg is `pyenv-prefix ARG` as pyenv-which calls it, joined by ":".
func (r *resolver) prefixArg(v string) (string, error) {
	if v != "" {
		p, err := r.prefixOne(v)
		return p, err
	}
	// An empty argument means "no argument": the whole selection.
	val := r.env.get("PYENV_VERSION")
	if val == "" {
		raw := r.selectedRaw()
		kept, missing := r.versionName(raw, false)
		if len(missing) > 0 {
			return "", &VersionError{Versions: missing}
		}
		val = strings.Join(kept, ":")
	}
	ps, err := r.prefixes(val)
	return strings.Join(ps, ":"), err
}

// selectedRaw is the version file's value (PYENV_VERSION unset).
func (r *resolver) selectedRaw() string {
	return r.readVersionFile(r.versionFile()).value
}

// Which is `pyenv which NAME`: the first executable NAME in the bin
// directory of each selected version in order (prefixes resolved, missing
// versions skipped silently), then on PATH without $PYENV_ROOT/shims unless
// Options.NoSystem. A non-empty PYENV_VERSION is used raw. The error is a
// *CommandError (pyenv exits 127) naming the missing versions and where
// else NAME exists. pyenv's `which` hooks are not run.
func (res *Resolution) Which(name string) (string, error) {
	r := res.r
	var list []string
	if v := r.env.get("PYENV_VERSION"); v != "" {
		list = splitColon(v)
	} else {
		kept, _ := r.versionName(res.Selected, true)
		list = splitColon(strings.Join(kept, ":"))
	}
	system := "system"
	if res.noSystem {
		system = ""
	}
	var missing []string
	for _, v := range append(list, system) {
		var p string
		if v == "system" {
			p = r.systemWhich(name)
		} else {
			vp, err := r.prefixArg(v)
			if err != nil {
				missing = append(missing, v)
				continue
			}
			p = vp + "/bin/" + name
		}
		if r.fs.isExec(p) {
			return p, nil
		}
	}
	return "", &CommandError{Command: name, Missing: missing, Origin: res.Origin, Elsewhere: r.whence(name)}
}

// systemWhich is `command -v NAME` with PATH minus $PYENV_ROOT/shims (and
// _PYENV_SHIM_PATHS_<NAME>), "~" in PATH replaced by $HOME.
func (r *resolver) systemWhich(name string) string {
	path := strings.ReplaceAll(r.env.get("PATH"), "~", r.env.get("HOME"))
	remove := r.root + "/shims"
	if extra := r.env.get("_PYENV_SHIM_PATHS_" + shimVarName(name)); extra != "" {
		remove += ":" + extra
	}
	result := ":" + path + ":"
	for _, p := range splitColon(remove) {
		for {
			before := result
			result = strings.ReplaceAll(result, ":"+p+":", ":")
			if len(before) == len(result) {
				break
			}
		}
	}
	if len(result) >= 2 {
		result = result[1 : len(result)-1]
	} else {
		result = ""
	}
	return r.commandV(result, name)
}

// shimVarName is `tr a-z- A-Z_ | sed 's/[^A-Z0-9_]/_/g'`.
func shimVarName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// commandV is bash's `command -v NAME` for an external command: the first
// PATH entry holding an executable non-directory NAME, printed as
// DIR/NAME (an empty entry is "./NAME"). Shell builtins and functions are
// not considered.
func (r *resolver) commandV(path, name string) string {
	if name == "" {
		return ""
	}
	if strings.Contains(name, "/") {
		if r.fs.isExecFile(name) {
			return name
		}
		return ""
	}
	if path == "" {
		if c := joinSlash(r.pwd, name); r.fs.isExecFile(c) {
			return c
		}
		return ""
	}
	for _, d := range strings.Split(path, ":") {
		c := "./" + name
		if d != "" {
			c = joinSlash(d, name)
		}
		if r.fs.isExecFile(c) {
			return c
		}
	}
	return ""
}

// whence lists the installed versions and envs whose bin has name
// (`pyenv whence`), for the not-found advice.
func (r *resolver) whence(name string) []string {
	var out []string
	vdir := r.root + "/versions"
	for _, v := range r.installed() {
		if r.fs.isExec(vdir + "/" + v + "/bin/" + name) {
			out = append(out, v)
		}
		ents, err := os.ReadDir(r.fs.abs(vdir + "/" + v + "/envs"))
		if err != nil {
			continue
		}
		for _, e := range ents {
			env := v + "/envs/" + e.Name()
			if r.fs.isDir(vdir+"/"+env) && r.fs.isExec(vdir+"/"+env+"/bin/"+name) {
				out = append(out, env)
			}
		}
	}
	return out
}
