package pyenv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/pyenv"
)

// Resolve an app folder whose .python-version says "3.11": the newest
// installed 3.11.x is selected, and the app's gunicorn is found in it.
func Example() {
	base, _ := os.MkdirTemp("", "pyenv-example")
	defer os.RemoveAll(base)
	base, _ = filepath.EvalSymlinks(base)
	for _, v := range []string{"3.11.7", "3.11.10", "3.12.1"} {
		bin := filepath.Join(base, "root/versions", v, "bin")
		_ = os.MkdirAll(bin, 0o755)
		_ = os.WriteFile(filepath.Join(bin, "gunicorn"), []byte("#!/bin/sh\n"), 0o755)
	}
	app := filepath.Join(base, "app")
	_ = os.MkdirAll(app, 0o755)
	_ = os.WriteFile(filepath.Join(app, ".python-version"), []byte("3.11\n"), 0o644)

	res, err := pyenv.Resolve(pyenv.Options{
		Root: filepath.Join(base, "root"),
		Dir:  app,
		Env:  []string{"PATH=/usr/bin"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gunicorn, _ := res.Which("gunicorn")
	env := res.Environ([]string{"PATH=/usr/bin", "PYTHONHOME=/opt"})
	short := func(s string) string { return strings.ReplaceAll(s, base, "$BASE") }
	fmt.Println("version:", res.VersionName())
	fmt.Println("origin: ", short(res.Origin))
	fmt.Println("which:  ", short(gunicorn))
	fmt.Println("env:    ", short(strings.Join(env, " ")))
	// Output:
	// version: 3.11.10
	// origin:  $BASE/app/.python-version
	// which:   $BASE/root/versions/3.11.10/bin/gunicorn
	// env:     PATH=$BASE/root/versions/3.11.10/bin:/usr/bin PYENV_VERSION=3.11.10
}

// The pipenv side: the project of a folder, its venv and the lock hash.
func ExampleFindProject() {
	base, _ := os.MkdirTemp("", "pipenv-example")
	defer os.RemoveAll(base)
	base, _ = filepath.EvalSymlinks(base)
	proj := filepath.Join(base, "myproj")
	_ = os.MkdirAll(filepath.Join(proj, "src"), 0o755)
	_ = os.WriteFile(filepath.Join(proj, "Pipfile"), []byte("[packages]\n\n[dev-packages]\n"), 0o644)

	p, err := pyenv.FindProject(pyenv.Options{
		Dir: filepath.Join(proj, "src"),
		Env: []string{"HOME=" + base, "PIPENV_VENV_IN_PROJECT=1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	venv, _ := p.VenvPath()
	hash, _ := pyenv.PipfileHash(p.Pipfile)
	stale, _ := p.LockStale()
	fmt.Println(strings.ReplaceAll(p.Dir, base, "$BASE"))
	fmt.Println(strings.ReplaceAll(venv, base, "$BASE"))
	fmt.Println(hash)
	fmt.Println("lock stale:", stale)
	// Output:
	// $BASE/myproj
	// $BASE/myproj/.venv
	// ebffa69a1fa192d1cef7cb42ad79231ca976565c5ce371a70160b3048d3cbc06
	// lock stale: true
}
