package pyapp_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
)

// A [gunicorn:x] section whose folder asks for a Python that pyenv does not have: the
// configuration loads, and the program carries pyenv's error instead of a command.
func ExampleSections() {
	dir, _ := os.MkdirTemp("", "pyapp-example-")
	defer os.RemoveAll(dir)
	app := filepath.Join(dir, "app")
	os.MkdirAll(filepath.Join(dir, "pyenv", "versions"), 0o755)
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, ".python-version"), []byte("3.9.99\n"), 0o644)
	path := filepath.Join(dir, "supervisord.conf")
	os.WriteFile(path, []byte(`
[supervisord]
[gunicorn:web]
app = wsgi:app
directory = `+app+`
workers = 2
graceful_timeout = 10
`), 0o644)
	environ := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "PYENV_ROOT=" + filepath.Join(dir, "pyenv")}
	cfg, err := conf.Load(path, conf.Options{Environ: environ})
	if err != nil {
		panic(err)
	}
	groups, err := pyapp.Sections{}.Groups(cfg, environ)
	if err != nil {
		panic(err)
	}
	p := groups[0].Run.Programs[0]
	fmt.Println(groups[0].Run.Name, p.Name, p.StopSignal, p.StopWait, p.CleanupGroup) // TERM: gunicorn's graceful stop
	fmt.Println(p.CommandError != nil)
	// Output:
	// web web terminated 15s true
	// true
}
