// Command pyresolve prints how pyenv and pipenv resolve a folder, as
// key=value lines, each value exactly what the real tool prints:
//
//	version-name    pyenv version-name
//	prefix          pyenv prefix
//	origin          pyenv version-origin
//	which-python    pyenv which python
//	which-gunicorn  pyenv which gunicorn
//	pipenv-project  pipenv --where
//	pipenv-venv     pipenv --venv once the venv exists: where it is or will
//	                be created (without a Pipfile: only an existing venv)
//	pipfile-hash    the Pipfile's hash, as a fresh Pipfile.lock's _meta.hash.sha256
//
// Where the real tool fails, KEY.rc=N gives its exit status and the message
// goes to stderr. It reads the same environment variables as the tools.
//
// Usage:
//
//	pyresolve [-dir DIR]
//
// DIR is used as a logical path (like `cd DIR`). When the environment's PWD
// names the same directory, PWD is used (that is what bash started there
// sees); when there is no PWD at all, the physical path is used, as bash's
// getcwd() gives it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/pyenv"
)

func main() {
	dir := flag.String("dir", "", "directory to resolve from (default: the working directory)")
	flag.Parse()
	os.Exit(run(*dir, os.Stdout, os.Stderr))
}

func run(dir string, stdout, stderr io.Writer) int {
	opts := pyenv.Options{}
	if dir != "" {
		opts.Dir = dir
		if pwd, ok := os.LookupEnv("PWD"); ok && filepath.IsAbs(pwd) && sameDir(pwd, dir) {
			// started in DIR: bash's $PWD there is the environment's PWD
			opts.Dir = pwd
		} else if !ok {
			if phys, err := filepath.EvalSymlinks(dir); err == nil {
				if abs, err := filepath.Abs(phys); err == nil {
					opts.Dir = abs
				}
			}
		}
	}
	put := func(key, value string, rc int, err error) {
		fmt.Fprintf(stdout, "%s=%s\n", key, strings.ReplaceAll(value, "\n", `\n`))
		if rc != 0 {
			fmt.Fprintf(stdout, "%s.rc=%d\n", key, rc)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
		}
	}
	status := 0
	fail := func(key string, rc int, err error) {
		put(key, "", rc, err)
		status = 1
	}

	res, err := pyenv.Resolve(opts)
	var dirErr *pyenv.DirError
	if errors.As(err, &dirErr) {
		for _, k := range []string{"version-name", "prefix", "origin", "which-python", "which-gunicorn"} {
			fail(k, 1, err)
		}
	} else {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, w)
		}
		if err != nil {
			put("version-name", res.VersionName(), 1, err)
			status = 1
		} else {
			put("version-name", res.VersionName(), 0, nil)
		}
		if p, err := res.Prefix(); err != nil {
			fail("prefix", 1, err)
		} else {
			put("prefix", p, 0, nil)
		}
		put("origin", res.Origin, 0, nil)
		for _, cmd := range []string{"python", "gunicorn"} {
			if p, err := res.Which(cmd); err != nil {
				fail("which-"+cmd, 127, err)
			} else {
				put("which-"+cmd, p, 0, nil)
			}
		}
	}

	proj, err := pyenv.FindProject(opts)
	switch {
	case errors.Is(err, pyenv.ErrNoPipfile):
		put("pipenv-project", "", 0, err)
		// without a Pipfile, pipenv --venv answers only for an existing venv
		// (e.g. an activated VIRTUAL_ENV)
		if v, verr := proj.VenvPath(); verr == nil && proj.VenvExists() {
			put("pipenv-venv", v, 0, nil)
		} else {
			fail("pipenv-venv", 1, fmt.Errorf("No virtualenv has been created for this project(%s) yet!", proj.Dir))
		}
		fail("pipfile-hash", 1, err)
	case err != nil:
		fail("pipenv-project", 1, err)
		fail("pipenv-venv", 1, err)
		fail("pipfile-hash", 1, err)
	default:
		put("pipenv-project", proj.Dir, 0, nil)
		if v, err := proj.VenvPath(); err != nil {
			fail("pipenv-venv", 1, err)
		} else {
			put("pipenv-venv", v, 0, nil)
		}
		if h, err := pyenv.PipfileHash(proj.Pipfile); err != nil {
			fail("pipfile-hash", 1, err)
		} else {
			put("pipfile-hash", h, 0, nil)
		}
	}
	return status
}

func sameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
