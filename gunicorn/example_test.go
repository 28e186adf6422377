package gunicorn_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
)

// A plain HTTP app on a loopback port: the argv to run, and the stop timeout to give the
// supervisor.
func Example() {
	cfg := gunicorn.Config{
		App:       "wsgi:app",
		Bind:      []string{"127.0.0.1:8000"},
		Workers:   2,
		Chdir:     "/srv/flaskapp",
		AccessLog: "-",
		Timeout:   60e9, // 60 s
	}
	fmt.Println("gunicorn " + strings.Join(cfg.Args(), " "))
	fmt.Println("stopwaitsecs:", cfg.StopWait().Seconds())
	// Output:
	// gunicorn --bind 127.0.0.1:8000 --workers 2 --timeout 60 --chdir /srv/flaskapp --access-logfile - wsgi:app
	// stopwaitsecs: 35
}

// The seed's start script: HTTPS on port 5001 with three workers. Validate reads the
// certificate and key before gunicorn does, and names each missing file (gunicorn's own
// --check-config passes here, and gunicorn would exit 1 at startup).
func Example_https() {
	cfg := gunicorn.Config{
		App:      "wsgi:app",
		Bind:     []string{"127.0.0.1:5001"},
		Workers:  3,
		CertFile: "certs/cert.pem", // relative to Chdir, as gunicorn resolves it
		KeyFile:  "certs/key.pem",
		Chdir:    "/nonexistent/flaskapp",
	}
	fmt.Println("gunicorn " + strings.Join(cfg.Args(), " "))

	_, err := gunicorn.Checker{Env: []string{"PATH=/usr/bin"}}.Check(cfg)
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			var fe *gunicorn.FieldError
			if errors.As(e, &fe) {
				fmt.Println(fe.Field, fe.Path, errors.Is(fe, fs.ErrNotExist))
			}
		}
	}
	// Output:
	// gunicorn --bind 127.0.0.1:5001 --workers 3 --certfile certs/cert.pem --keyfile certs/key.pem --chdir /nonexistent/flaskapp wsgi:app
	// CertFile /nonexistent/flaskapp/certs/cert.pem true
	// KeyFile /nonexistent/flaskapp/certs/key.pem true
	// Chdir /nonexistent/flaskapp true
}
