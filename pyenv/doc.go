// Package pyenv answers "which Python, which virtualenv and which gunicorn
// would this app folder use, and why" exactly as pyenv 2.6.30 and pipenv
// 2022.12.19 answer it, in pure Go: no bash, no `pyenv init`, no shims, no
// subprocess. It then builds the environment to exec the app with, so a
// supervisor can start the venv's gunicorn directly as one process.
//
// # pyenv
//
// Resolve follows pyenv's rules: PYENV_VERSION (verbatim), else the nearest
// .python-version walking up the logical directory (PYENV_DIR, then PWD),
// else $PYENV_ROOT/version, else system. A version file yields the first
// word of every line (1024-byte reads, CR is whitespace, "#" lines skipped,
// a BOM kept), words with "/" or ".." must stay inside versions/. Each name
// is looked up as a directory, then with "python-" stripped, then as a
// prefix ("3.11" -> newest installed 3.11.x with pyenv's [-.] boundary,
// numeric ordering, rc/dev/free-threaded exclusions and tie-break).
// Resolution.Prefixes and Resolution.Which are `pyenv prefix` and
// `pyenv which`; errors carry pyenv's own wording.
//
// Deliberate differences from pyenv 2.6.30, documented rather than copied:
// version names are not glob-expanded against the working directory (a
// quirk pyenv 2.8 removed); pyenv hook scripts are not run; `command -v`
// considers only PATH, not bash builtins or pyenv's own libexec. Like bash,
// version-file reads count bytes in the C locale and characters in a UTF-8
// locale, taken from Options.Env.
//
// # pipenv
//
// FindProject locates the Pipfile as pipenv does (PIPENV_PIPFILE, the
// physical upward search limited by PIPENV_MAX_DEPTH, PIPENV_NO_INHERIT),
// applies the project's .env, and Project.VenvPath gives the virtualenv
// location (VIRTUAL_ENV, .venv directory or file, PIPENV_VENV_IN_PROJECT,
// WORKON_HOME, PIPENV_CUSTOM_VENV_NAME, the sanitised name and the
// 8-character hash of the Pipfile path). PipfileHash computes
// Pipfile.lock's _meta.hash.sha256 exactly as pipenv 2022.12.19 does, and
// Project.LockStale compares the two. Project.Requires and CheckRequires
// apply pipenv's [requires] check (a substring test, as pipenv does it).
//
// # Running the app
//
// Resolution.Environ and Project.Environ return the environment to exec
// with (the env's bin first on PATH, VIRTUAL_ENV, PYENV_VERSION, no
// PYTHONHOME), and Which finds the executable, so a supervisor starts the
// venv's gunicorn itself: one pid, no shim, no shell.
//
//	res, err := pyenv.Resolve(pyenv.Options{Dir: "/srv/app"})
//	if err != nil { ... }               // *VersionError still returns res
//	gunicorn, err := res.Which("gunicorn")
//	env := res.Environ(os.Environ())
//
// Errors are typed (*DirError, *VersionError, *PrefixError, *CommandError,
// *PipfileError, *HashError, *RequiresError), worded as the tools word them,
// and the "not found" ones match errors.Is(err, ErrNotFound).
package pyenv
