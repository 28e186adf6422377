package pyenv

import (
	"os"
	"path/filepath"
)

// AppEnv is the Python environment an app folder runs with: pyenv's resolution for the folder,
// or the virtualenv of its pipenv project when `pipenv run` would use that one (see ForApp).
// Its methods look at the file system again each time.
type AppEnv struct {
	// Resolution is pyenv's for the folder; always set.
	Resolution *Resolution
	// Project is the pipenv project whose virtualenv is used; nil when pyenv's resolution is.
	Project *Project
	// Versions are the Python version(s): pyenv's version-name, or the venv interpreter's.
	Versions []string
	// Origin says where the version was chosen: pyenv's version-origin, or
	// "pipenv venv of <Pipfile>".
	Origin string
	// Venv is the virtualenv directory in use ("" when the Python is a plain installation).
	Venv string
}

// ForApp answers "which Python does this app folder use": pyenv's resolution of opts.Dir,
// unless the folder has a Pipfile whose virtualenv exists and pyenv's choice came from neither a
// .python-version file nor PYENV_VERSION (`pipenv run` would then use that venv). The error is
// pyenv's (a *CommandError for a version that is not installed, naming the file that asked
// for it).
func ForApp(opts Options) (*AppEnv, error) {
	res, err := Resolve(opts)
	if err != nil {
		return nil, err
	}
	e := &AppEnv{Resolution: res, Versions: res.Versions, Origin: res.Origin}
	if !res.FromEnv && filepath.Base(res.Origin) != ".python-version" {
		if proj, perr := FindProject(opts); perr == nil && proj.Exists && proj.VenvExists() {
			e.Project = proj
			if venv, verr := proj.VenvPath(); verr == nil {
				e.Venv = venv
				if v, verr := InterpreterVersion(venv); verr == nil {
					e.Versions = []string{v}
				}
				e.Origin = "pipenv venv of " + proj.Pipfile
			}
		}
	}
	if e.Project == nil {
		if prefixes, perr := res.Prefixes(); perr == nil && len(prefixes) > 0 {
			if _, serr := os.Stat(filepath.Join(prefixes[0], "pyvenv.cfg")); serr == nil {
				e.Venv = prefixes[0]
			}
		}
	}
	return e, nil
}

// Which returns the executable name of the environment: the venv's bin/name for a pipenv
// project, else `pyenv which name`.
func (e *AppEnv) Which(name string) (string, error) {
	if e.Project != nil {
		return e.Project.Which(name)
	}
	return e.Resolution.Which(name)
}

// Environ returns base with what running in the environment sets: `pipenv run`'s for a
// pipenv project (pyenv's when the project's cannot be built), else `pyenv exec`'s. base is
// not modified.
func (e *AppEnv) Environ(base []string) []string {
	if e.Project != nil {
		if env, err := e.Project.Environ(base); err == nil {
			return env
		}
	}
	return e.Resolution.Environ(base)
}
