package conf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

func errorsOf(t *testing.T, err error) []*Error {
	t.Helper()
	var me *multierror.Error
	require.True(t, errors.As(err, &me), "%v", err)
	var out []*Error
	for _, e := range me.Errors {
		var ce *Error
		require.True(t, errors.As(e, &ce))
		out = append(out, ce)
	}
	return out
}

func TestAllErrorsAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
loglevel=verbose

[program:a]
command=/bin/true
startsecs=abc
stopsignal=FOO

[group:g]
programs=a,nope

[program:b]
cmd=/bin/true
`), Options{Environ: []string{}})
	assert.Nil(t, cfg)
	errs := errorsOf(t, err)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	assert.Equal(t, []string{
		"bad logging level name 'verbose' in section 'supervisord' (file: '" + path + "') at line 2",
		"invalid literal for int() with base 10: 'abc' in section 'program:a' (file: '" + path + "') at line 6",
		"value 'FOO' is not a valid signal name in section 'program:a' (file: '" + path + "') at line 7",
		// supervisord names the last member section it resolved, not the group (a quirk kept)
		"[program:a] names unknown program or fcgi-program nope in section 'group:g' (file: '" + path + "') at line 10",
		"program section program:b does not specify a command in section 'program:b' (file: '" + path + "') at line 12",
	}, got)
	assert.Equal(t, "bad logging level name 'verbose'", errs[0].Supervisord())
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "supervisord.conf")
	writeFile(t, main, `[supervisord]
logfile=%(here)s/sd.log
[include]
files = conf.d/*.ini
   missing/*.conf
[program:main]
command=/bin/echo %(here)s
`)
	writeFile(t, filepath.Join(dir, "conf.d", "b.ini"), "[program:b]\ncommand=/bin/echo %(here)s %(host_node_name)s\nstdout_logfile=%(here)s/b.log\n")
	writeFile(t, filepath.Join(dir, "conf.d", "a.ini"), "[program:a]\ncommand=/bin/echo a\n[custom:thing]\nkey = value\n")
	writeFile(t, filepath.Join(dir, "conf.d", ".hidden.ini"), "[program:hidden]\ncommand=/bin/false\n")
	cfg, err := Load(main, Options{Hostname: "h1"})
	require.NoError(t, err)
	procs := map[string]Process{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			procs[p.Name] = p
		}
	}
	require.Len(t, procs, 3)
	sub := filepath.Join(dir, "conf.d")
	assert.Equal(t, "/bin/echo "+dir, procs["main"].Command)
	assert.Equal(t, "/bin/echo "+sub+" h1", procs["b"].Command)
	assert.Equal(t, filepath.Join(sub, "b.log"), procs["b"].Stdout.Path)
	assert.Equal(t, filepath.Join(sub, "b.ini"), procs["b"].File)
	assert.Equal(t, main, procs["main"].File)
	assert.Equal(t, []string{filepath.Join(sub, "a.ini"), filepath.Join(sub, "b.ini")}, cfg.Included)
	assert.Equal(t, []string{
		`Included extra file "` + filepath.Join(sub, "a.ini") + `" during parsing`,
		`Included extra file "` + filepath.Join(sub, "b.ini") + `" during parsing`,
	}, cfg.Infos)
	assert.Contains(t, cfg.Warnings, `No file matches via include "`+filepath.Join(dir, "missing/*.conf")+`"`)
	// unknown sections are kept for callers, with their lines
	s := cfg.INI.Section("custom:thing")
	require.NotNil(t, s)
	v, ok := s.Get("key")
	require.True(t, ok)
	assert.Equal(t, "value", v.Raw)
	assert.Equal(t, 4, v.Line)
	assert.Equal(t, filepath.Join(sub, "a.ini"), v.File)

	// an error inside an included file names that file
	writeFile(t, filepath.Join(dir, "conf.d", "c.ini"), "[program:c]\ncommand=/bin/true\nautostart=perhaps\n")
	_, err = Load(main, Options{})
	errs := errorsOf(t, err)
	assert.Equal(t, "not a valid boolean value: 'perhaps' in section 'program:c' (file: '"+filepath.Join(sub, "c.ini")+"')", errs[0].Supervisord())
	assert.Equal(t, 3, errs[0].Line)
}

func TestProgramMapping(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadData(filepath.Join(dir, "s.conf"), []byte(`[supervisord]
environment=TZ=UTC,A=base
[unix_http_server]
file=%(here)s/s.sock
[program:a]
command=/bin/sleep 1
startsecs=0
startretries=0
stopwaitsecs=0
stdout_logfile=NONE
stdout_logfile_maxbytes=0
stdout_logfile_backups=0
stderr_logfile=AUTO
redirect_stderr=false
environment=A=own,B=2
umask=027
directory=/tmp
stopsignal=QUIT
exitcodes=
serverurl=AUTO
[program:b]
command=/bin/sleep 2
redirect_stderr=true
stdout_logfile=%(here)s/b.log
stopasgroup=true
priority=7
autorestart=true
`), Options{Environ: []string{}})
	require.NoError(t, err)
	gs := cfg.SuperviseGroups()
	require.Len(t, gs, 2)
	assert.Equal(t, "b", gs[0].Name) // priority 7 before 999
	assert.Equal(t, 7, gs[0].Priority)
	assert.Equal(t, supervise.DefaultPriority, gs[1].Priority)
	a := gs[1].Programs[0]
	require.NoError(t, gs[1].Validate())
	assert.Equal(t, "/bin/sleep 1", a.CommandLine)
	assert.Equal(t, time.Duration(-1), a.StartSecs)
	assert.Equal(t, -1, a.StartRetries)
	assert.Equal(t, time.Duration(-1), a.StopWait)
	assert.Equal(t, supervise.LogNone, a.Stdout.Path)
	assert.Equal(t, int64(-1), a.Stdout.MaxBytes)
	assert.Equal(t, -1, a.Stdout.Backups)
	assert.Equal(t, supervise.LogAuto, a.Stderr.Path)
	assert.Equal(t, int64(supervise.DefaultLogMaxBytes), a.Stderr.MaxBytes)
	assert.Equal(t, 10, a.Stderr.Backups)
	assert.Equal(t, []string{"TZ=UTC", "A=own", "B=2"}, a.Env)
	require.NotNil(t, a.Umask)
	assert.Equal(t, os.FileMode(0o27), *a.Umask)
	assert.Equal(t, "/tmp", a.Dir)
	assert.Equal(t, 3, int(a.StopSignal))
	assert.Equal(t, []int{}, a.ExitCodes)
	assert.Equal(t, "", a.ServerURL)
	assert.Equal(t, supervise.On, a.AutoStart)
	assert.Equal(t, supervise.Off, a.KillAsGroup)

	b := gs[0].Programs[0]
	require.NoError(t, gs[0].Validate())
	assert.True(t, b.RedirectStderr)
	assert.Equal(t, supervise.LogNone, b.Stderr.Path)
	assert.Equal(t, filepath.Join(dir, "b.log"), b.Stdout.Path)
	assert.Equal(t, supervise.On, b.KillAsGroup)
	assert.Equal(t, supervise.RestartAlways, b.AutoRestart)
	assert.Equal(t, "unix://"+filepath.Join(dir, "s.sock"), cfg.ServerURL())
	assert.Equal(t, "http://localhost:9001", cfg.Ctl.ServerURL)
}

func TestProcessesFromSection(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadData(filepath.Join(dir, "s.conf"), []byte(`[supervisord]
environment=LANG=C.UTF-8
[gunicorn:site]
app = wsgi:app
numprocs = 2
process_name = %(program_name)s-%(process_num)d
stopsignal = INT
[gunicorn:bad]
stopsignal = NOPE
`), Options{Environ: []string{}})
	require.NoError(t, err)
	procs, err := cfg.ProcessesFromSection("gunicorn:site", "", map[string]string{"command": "/venv/bin/gunicorn --name %(program_name)s"})
	require.NoError(t, err)
	require.Len(t, procs, 2)
	assert.Equal(t, "site-0", procs[0].Name)
	assert.Equal(t, "site", procs[0].Group)
	assert.Equal(t, "/venv/bin/gunicorn --name site", procs[1].Command)
	assert.Equal(t, 2, procs[1].StopSignal)
	assert.Equal(t, []EnvVar{{"LANG", "C.UTF-8"}}, procs[1].Environment)
	assert.Equal(t, 3, procs[0].Line)

	_, err = cfg.ProcessesFromSection("gunicorn:bad", "", nil)
	errs := errorsOf(t, err)
	require.Len(t, errs, 2)
	assert.Equal(t, "value 'NOPE' is not a valid signal name in section 'gunicorn:bad' (file: '"+filepath.Join(dir, "s.conf")+"')", errs[0].Supervisord())
	assert.Equal(t, 9, errs[0].Line)
	assert.Equal(t, "program section gunicorn:bad does not specify a command", errs[1].Msg)
	_, err = cfg.ProcessesFromSection("gunicorn:none", "", nil)
	assert.Error(t, err)
}

func TestArgv(t *testing.T) {
	p := Process{Command: `/bin/sh -c "echo \"hi\" \x" 'a b'` + "\n" + `c\ d`}
	argv, err := p.Argv()
	require.NoError(t, err)
	assert.Equal(t, []string{"/bin/sh", "-c", `echo "hi" \x`, "a b", "c d"}, argv)
	_, err = Process{Command: "/bin/echo 'unterminated"}.Argv()
	assert.EqualError(t, err, `can't parse command "/bin/echo 'unterminated": No closing quotation`)
	_, err = Process{Command: " "}.Argv()
	assert.EqualError(t, err, "command is empty")
}

func TestSearchPaths(t *testing.T) {
	assert.Equal(t, []string{
		"/usr/etc/supervisord.conf", "/usr/supervisord.conf", "supervisord.conf",
		"etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf",
	}, SearchPaths("/usr/bin/supervisord"))
	assert.Equal(t, "etc/supervisord.conf", SearchPaths("supervisord")[0])
	_, err := FindConfig("/nonexistent-dir/bin/x")
	if err != nil {
		assert.True(t, strings.HasPrefix(err.Error(), "No config file found at default paths (/nonexistent-dir/etc/supervisord.conf, "))
	}
}

func TestEventListenerAndFastCGI(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadData(filepath.Join(dir, "s.conf"), []byte(`[supervisord]
[eventlistener:mon]
command=/bin/cat
events=process_state, TICK_60,PROCESS_STATE
buffer_size=20
[fcgi-program:php]
command=/usr/bin/php-cgi
socket=unix://%(here)s/%(program_name)s.sock
socket_mode=0660
[fcgi-program:tcp]
command=/usr/bin/php-cgi
socket=tcp://LOCALHOST:9000
`), Options{Environ: []string{}})
	require.NoError(t, err)
	byName := map[string]Group{}
	for _, g := range cfg.Groups {
		byName[g.Name] = g
	}
	ev := byName["mon"]
	assert.Equal(t, KindEventListener, ev.Kind)
	assert.Equal(t, -1, ev.Priority)
	assert.Equal(t, &EventListenerPool{Events: []string{"PROCESS_STATE", "TICK_60"}, BufferSize: 20, ResultHandler: "supervisor.dispatchers:default_handler"}, ev.EventListener)
	php := byName["php"]
	assert.Equal(t, "unix://"+filepath.Join(dir, "php.sock"), php.FastCGI.URL)
	assert.Equal(t, 0o660, php.FastCGI.Mode)
	assert.Equal(t, "tcp://localhost:9000", byName["tcp"].FastCGI.URL)
	sgs := cfg.SuperviseGroups()
	require.Len(t, sgs, 3, "the event listener pool and both FastCGI programs run")
	assert.Equal(t, "mon", sgs[0].Name)
	for _, p := range sgs[0].Programs {
		assert.True(t, p.StdoutProtocol, "a listener's stdout is the protocol channel")
	}
	sockets := map[string]*supervise.Socket{}
	for _, g := range sgs {
		sockets[g.Name] = g.Socket
	}
	assert.Nil(t, sockets["mon"])
	assert.Equal(t, &supervise.Socket{Network: "unix", Address: filepath.Join(dir, "php.sock"), Mode: 0o660}, sockets["php"])
	assert.Equal(t, &supervise.Socket{Network: "tcp", Address: "localhost:9000"}, sockets["tcp"])
	assert.Equal(t, "tcp://localhost:9000", sockets["tcp"].URL())
	assert.Empty(t, cfg.Warnings)

	_, err = LoadData(filepath.Join(dir, "s.conf"), []byte("[supervisord]\n[fcgi-program:x]\ncommand=/bin/true\nsocket=unix://rel.sock\n"), Options{Environ: []string{}})
	errs := errorsOf(t, err)
	assert.Equal(t, "('Unix socket path %s is not an absolute path', 'rel.sock') in [fcgi-program:x] socket", errs[0].Msg)
}

func TestSectionValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	cfg, err := LoadData(path, []byte(`[DEFAULT]
shared = %(here)s/shared
[supervisord]
[gunicorn:site]
bind = unix:%(here)s/%(program_name)s.sock
workers = %(numprocs)d
broken = %(nope)s
`), Options{Environ: []string{}})
	require.NoError(t, err)
	for i := 0; i < 2; i++ { // the same answer every time
		_, err := cfg.SectionValues("gunicorn:site", nil)
		errs := errorsOf(t, err)
		require.Len(t, errs, 1)
		assert.Equal(t, 7, errs[0].Line)
	}
	cfg, err = LoadData(path, []byte("[supervisord]\n[gunicorn:site]\nbind = unix:%(here)s/%(program_name)s.sock\n"), Options{Environ: []string{}})
	require.NoError(t, err)
	vals, err := cfg.SectionValues("gunicorn:site", map[string]string{"workers": "%(numprocs)d"})
	require.NoError(t, err)
	assert.Equal(t, SectionValue{Value: "unix:" + dir + "/site.sock", File: path, Line: 3}, vals["bind"])
	assert.Equal(t, "1", vals["workers"].Value)
}
