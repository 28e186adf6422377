package pyenv

import (
	"strings"
)

// Environ returns base with what running under this resolution needs, so
// that a caller can exec the version's programs directly (one process, no
// shim, no shell):
//   - PATH starts with the bin directory of every selected, installed
//     version in order (system adds nothing); $PYENV_ROOT/shims entries are
//     removed from the rest;
//   - PYENV_VERSION is set to VersionName() (what `pyenv exec` exports);
//   - VIRTUAL_ENV is set to the first version's prefix when that is a
//     virtual environment (it has pyvenv.cfg, e.g. a pyenv-virtualenv env)
//     and removed otherwise;
//   - PYTHONHOME is removed.
//
// base is not modified; nil base means an empty environment.
func (res *Resolution) Environ(base []string) []string {
	r := res.r
	var bins []string
	venv := ""
	for i, v := range res.Versions {
		if v == "system" {
			continue
		}
		p, err := r.prefixOne(v)
		if err != nil {
			continue
		}
		bins = append(bins, p+"/bin")
		if i == 0 && r.fs.isFile(p+"/pyvenv.cfg") {
			venv = p
		}
	}
	out := append([]string(nil), base...)
	path, _ := lookupEnv(out, "PATH")
	path = joinPath(bins, dropPathEntry(path, r.root+"/shims"))
	out = setEnv(out, "PATH", path)
	out = setEnv(out, "PYENV_VERSION", res.VersionName())
	if venv != "" {
		out = setEnv(out, "VIRTUAL_ENV", venv)
	} else {
		out = unsetEnv(out, "VIRTUAL_ENV")
	}
	return unsetEnv(out, "PYTHONHOME")
}

// dropPathEntry removes every PATH entry equal to entry.
func dropPathEntry(path, entry string) string {
	if path == "" {
		return ""
	}
	var keep []string
	for _, p := range strings.Split(path, ":") {
		if p != entry {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ":")
}

// joinPath puts first before rest (rest may be empty).
func joinPath(first []string, rest string) string {
	all := append([]string(nil), first...)
	if rest != "" {
		all = append(all, rest)
	}
	return strings.Join(all, ":")
}

// Environ returns base with what `pipenv run` sets for the project's
// virtualenv: PATH starting with the venv's bin directory, VIRTUAL_ENV and
// PIPENV_ACTIVE=1, PYTHONHOME removed. base is not modified.
func (p *Project) Environ(base []string) ([]string, error) {
	venv, err := p.VenvPath()
	if err != nil {
		return nil, err
	}
	out := append([]string(nil), base...)
	path, _ := lookupEnv(out, "PATH")
	out = setEnv(out, "PATH", joinPath([]string{venvAbs(p, venv) + "/bin"}, path))
	out = setEnv(out, "VIRTUAL_ENV", venvAbs(p, venv))
	out = setEnv(out, "PIPENV_ACTIVE", "1")
	return unsetEnv(out, "PYTHONHOME"), nil
}

// Which returns the venv's bin/NAME when it is executable; the error wraps
// ErrNotFound otherwise.
func (p *Project) Which(name string) (string, error) {
	venv, err := p.VenvPath()
	if err != nil {
		return "", err
	}
	exe := venvAbs(p, venv) + "/bin/" + name
	if !p.fs.isExecFile(exe) {
		return "", &CommandError{Command: name}
	}
	return exe, nil
}

// venvAbs makes a relative venv location (a relative WORKON_HOME) absolute
// against the project directory, where pipenv takes it from.
func venvAbs(p *Project, venv string) string {
	if strings.HasPrefix(venv, "/") {
		return venv
	}
	return joinSlash(p.Dir, venv)
}
