package supervisordlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Example composes the packages the way the old "supervisord runs a .sh that activates pyenv
// and execs gunicorn" stack did, with no shell: pyenv says which Python the app folder uses,
// gunicorn builds the checked command line, and the result is a plain supervise.Program.
func Example() {
	// A PYENV_ROOT with one installed version that has gunicorn, and an app folder whose
	// .python-version selects it by prefix, as on a VPS.
	tmp, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "pyenv")
	bin := filepath.Join(root, "versions", "3.11.7", "bin")
	app := filepath.Join(tmp, "app")
	_ = os.MkdirAll(bin, 0o755)
	_ = os.MkdirAll(app, 0o755)
	_ = os.WriteFile(filepath.Join(bin, "gunicorn"), []byte("#!/bin/sh\n"), 0o755)
	_ = os.WriteFile(filepath.Join(app, ".python-version"), []byte("3.11\n"), 0o644)

	env := []string{"PATH=/usr/bin:/bin", "HOME=" + tmp, "PYENV_ROOT=" + root}
	res, err := pyenv.Resolve(pyenv.Options{Dir: app, Env: env})
	if err != nil {
		fmt.Println(err)
		return
	}
	exe, err := res.Which("gunicorn")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := gunicorn.Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 3, Chdir: app}
	prog := supervise.Program{
		Name:        "flaskapp",
		Command:     exe,
		Args:        cfg.Args(),
		Dir:         app,
		Env:         res.Environ(gunicorn.CleanEnv(env)),
		StopSignal:  gunicorn.GracefulStop,
		StopWait:    cfg.StopWait(),
		StopAsGroup: true,
	}
	fmt.Println("python:", res.VersionName(), "set by", filepath.Base(res.Origin))
	fmt.Println("command:", strings.TrimPrefix(prog.Command, tmp))
	fmt.Println("args:", strings.ReplaceAll(strings.Join(prog.Args, " "), tmp, ""))
	fmt.Println("stopwait:", prog.StopWait, "valid:", prog.Validate() == nil)
	// Output:
	// python: 3.11.7 set by .python-version
	// command: /pyenv/versions/3.11.7/bin/gunicorn
	// args: --bind 127.0.0.1:5001 --workers 3 --chdir /app wsgi:app
	// stopwait: 35s valid: true
}
