package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// pyAppsConf writes a config with a [gunicorn:web] section (two processes) and a python_env
// program for the app folder of f, whose .python-version asks for version.
func pyAppsConf(t *testing.T, f testenv.PyenvApp, version string) (string, []string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(f.App, ".python-version"), []byte(version+"\n"), 0o644))
	body := fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %[1]s
bind = 127.0.0.1:8123
workers = 3
numprocs = 2
process_name = web_%%(process_num)d
graceful_timeout = 40

[program:worker]
command = celery -A tasks worker
directory = %[1]s
python_env = true

[program:plain]
command = /bin/sleep 100
`, f.App)
	path := filepath.Join(filepath.Dir(f.App), "supervisord.conf")
	require.NoError(t, os.WriteFile(path, []byte("[supervisord]\nlogfile=/dev/null\n"+body), 0o644))
	return path, []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Dir(f.App), "PYENV_ROOT=" + f.Root}
}

// TestPyApps: the [gunicorn:x] group and the python_env program export as the programs
// supervise/pyapp builds for the daemon (argv from the app's pyenv version, PYENV_VERSION and
// PATH, gunicorn's stop signal, timeout and group stop); a plain program is untouched.
func TestPyApps(t *testing.T) {
	f := testenv.NewPyenvApp(t, "3.11.7")
	path, environ := pyAppsConf(t, f, "3.11.7")
	cfg, err := conf.Load(path, conf.Options{Environ: environ})
	require.NoError(t, err)
	list, _, err := Systemd(cfg, SystemdOptions{Expand: PyApps(environ)})
	require.NoError(t, err)
	files := map[string]string{}
	for _, f := range list {
		files[f.Name] = string(f.Data)
	}
	bin := filepath.Join(f.Root, "versions", "3.11.7", "bin")

	web := files["web@.service"]
	require.NotEmpty(t, web, "files: %v", keys(files))
	assert.Contains(t, web, "\nExecStart="+filepath.Join(bin, "gunicorn")+" --bind 127.0.0.1:8123 --workers 3 --graceful-timeout 40 --chdir "+f.App+" wsgi:app\n")
	assert.Contains(t, web, "\nEnvironment=\"PYENV_VERSION=3.11.7\"\n")
	assert.Contains(t, web, "\nEnvironment=\"PATH="+bin+":")
	assert.Contains(t, web, "\nWorkingDirectory="+f.App+"\n")
	assert.Contains(t, web, "\nKillMode=control-group\n", "gunicorn stops as a group")
	assert.Contains(t, web, "\nTimeoutStopSec=45\n", "stopwaitsecs: graceful_timeout + gunicorn.StopMargin")
	assert.Contains(t, files, "web@0.service.d/process.conf")
	assert.Contains(t, files, "web@1.service.d/process.conf")

	worker := files["worker.service"]
	assert.Contains(t, worker, "\nExecStart="+filepath.Join(bin, "celery")+" -A tasks worker\n")
	assert.Contains(t, worker, "\nEnvironment=\"PYENV_VERSION=3.11.7\"\n")
	assert.Contains(t, files["plain.service"], "\nExecStart=/bin/sleep 100\n")
	assert.NotContains(t, files["plain.service"], "PYENV_VERSION")
}

// TestPyAppsUnresolved: a Python version that is not installed is an error naming the
// sections (the daemon would run those programs as FATAL; a unit could not start).
func TestPyAppsUnresolved(t *testing.T) {
	f := testenv.NewPyenvApp(t, "3.11.7")
	path, environ := pyAppsConf(t, f, "3.9.1")
	cfg, err := conf.Load(path, conf.Options{Environ: environ})
	require.NoError(t, err)
	_, _, err = Nomad(cfg, NomadOptions{Expand: PyApps(environ)})
	require.Error(t, err)
	var ce *conf.Error
	assert.True(t, errors.As(err, &ce), "%v", err)
	for _, want := range []string{"'gunicorn:web'", "'program:worker'", "3.9.1"} {
		assert.Contains(t, err.Error(), want)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPyAppsGunicornChecks: a [gunicorn:x] section's default checks (ready = notify, a health
// check of its bind that passes on any HTTP answer) export as the daemon runs them: Type=notify
// in systemd (the health check warned about), a tcp check of the bind in Nomad (its http check
// would want a 2xx), and the readiness warned about, marked as defaults.
func TestPyAppsGunicornChecks(t *testing.T) {
	f := testenv.NewPyenvApp(t, "3.11.7")
	path, environ := pyAppsConf(t, f, "3.11.7")
	load := func() *conf.Config {
		cfg, err := conf.Load(path, conf.Options{Environ: environ})
		require.NoError(t, err)
		return cfg
	}
	list, warns, err := Systemd(load(), SystemdOptions{Expand: PyApps(environ)})
	require.NoError(t, err)
	var web string
	for _, f := range list {
		if f.Name == "web@.service" {
			web = string(f.Data)
		}
	}
	require.NotEmpty(t, web)
	for _, want := range []string{"\nType=notify\n", "\nNotifyAccess=all\n", "\nTimeoutStartSec=60\n"} {
		assert.Contains(t, web, want)
	}
	assert.Contains(t, string(warningText(warns)), `[gunicorn:web] healthcheck_url: "http://127.0.0.1:8123/" (default) not mapped`)

	data, warns, err := Nomad(load(), NomadOptions{Expand: PyApps(environ)})
	require.NoError(t, err)
	var doc struct{ Job *api.Job }
	require.NoError(t, json.Unmarshal(data, &doc))
	var groups int
	for _, tg := range doc.Job.TaskGroups {
		if tg.Meta["supervisord_section"] != "gunicorn:web" {
			continue
		}
		groups++
		task := tg.Tasks[0]
		require.Len(t, task.Services, 1, *tg.Name)
		svc := task.Services[0]
		assert.Equal(t, "nomad", svc.Provider)
		assert.Equal(t, "web", svc.Name)
		assert.Equal(t, "127.0.0.1", svc.Address)
		assert.Equal(t, "8123", svc.PortLabel)
		require.Len(t, svc.Checks, 1)
		assert.Equal(t, "tcp", svc.Checks[0].Type)
		assert.Equal(t, supervise.DefaultHealthInterval, svc.Checks[0].Interval)
		assert.Equal(t, supervise.DefaultHealthRetries, svc.Checks[0].CheckRestart.Limit)
	}
	assert.Equal(t, 1, groups, "the two processes differ only in their names: one group")
	text := string(warningText(warns))
	assert.Contains(t, text, `[gunicorn:web] ready: "notify" (default) not mapped: raw_exec tasks get no NOTIFY_SOCKET`)
	assert.Contains(t, text, `[gunicorn:web] healthcheck_url: "http://127.0.0.1:8123/" (default) (any HTTP answer is healthy) exported as a tcp check of 127.0.0.1:8123`)
}
