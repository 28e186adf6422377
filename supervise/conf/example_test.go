package conf_test

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

func Example() {
	cfg, err := conf.LoadData("/etc/supervisor/supervisord.conf", []byte(`
[supervisord]
environment=TZ=UTC

[program:web]
command=/srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:80%(process_num)02d app:wsgi
numprocs=2
process_name=%(program_name)s_%(process_num)02d
startsecs=0
stdout_logfile=NONE
environment=APP_ENV="production"
`), conf.Options{Environ: []string{}, Hostname: "web1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range cfg.SuperviseGroups() {
		for _, p := range g.Programs {
			fmt.Println(g.Name, g.Priority, p.Name, p.StartSecs, p.Stdout.Path, p.Env)
			fmt.Println("  ", p.CommandLine)
		}
	}

	// Every error at once, each in supervisord's words with its location.
	_, err = conf.LoadData("/etc/supervisor/supervisord.conf", []byte(`
[supervisord]
[program:backup]
command=/usr/bin/backup --tag $(date +%Y)
stopsignal=GRACEFUL
`), conf.Options{Environ: []string{}})
	var me *multierror.Error
	if errors.As(err, &me) {
		for _, e := range me.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// web 999 web_00 -1ns NONE [TZ=UTC APP_ENV=production]
	//    /srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8000 app:wsgi
	// web 999 web_01 -1ns NONE [TZ=UTC APP_ENV=production]
	//    /srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8001 app:wsgi
	// value 'GRACEFUL' is not a valid signal name in section 'program:backup' (file: '/etc/supervisor/supervisord.conf') at line 5
	// Format string '/usr/bin/backup --tag $(date +%Y)' for 'program:backup.command' is badly formatted: unsupported format character 'Y' (0x59) at index 31 in section 'program:backup' (file: '/etc/supervisor/supervisord.conf') at line 4
}
