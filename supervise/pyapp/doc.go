// Package pyapp runs Python web apps from supervisord.conf the way a small VPS runs them:
// a [gunicorn:name] section (gunicorn's settings by their gunicorn names, plus supervisord's
// program options) becomes a program group running gunicorn from the Python environment of
// its directory= (pyenv.ForApp: pyenv's version, or the pipenv project's virtualenv), and a
// [program:x] with python_env = true runs its command from that environment.
//
// It plugs into supervise/daemon: give Sections{} in daemon.Options.Sections, and a
// CertMonitor in Services (certificate renewals reload gunicorn with SIGHUP, expiry is logged)
// and StatusHooks (its Note adds the expiry to the status). The programs are built as
// supervise.Programs directly: the argv gunicorn.Config.Args writes, durations as durations,
// and an environment that cannot be resolved as the program's CommandError (the program goes
// FATAL with pyenv's message, the rest of the configuration runs).
package pyapp
