package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestExportResolvesSeed runs `supervisord-lite export` on a config with a [gunicorn:x]
// section and a python_env program: both export as the argv and environment the daemon
// would run (gunicorn from the app's pyenv version, its flags, PATH and PYENV_VERSION, its
// default ready = notify as Type=notify, its default health check warned about), and systemd
// accepts the units.
func TestExportResolvesSeed(t *testing.T) {
	f := testenv.NewPyenvApp(t, "3.11.7")
	require.NoError(t, os.WriteFile(filepath.Join(f.App, ".python-version"), []byte("3.11.7\n"), 0o644))
	body := fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %[1]s
environment = PYENV_ROOT="%[2]s"
bind = 127.0.0.1:8123
workers = 3

[program:worker]
command = celery -A tasks worker
directory = %[1]s
environment = PYENV_ROOT="%[2]s"
python_env = true
`, f.App, f.Root)
	path := filepath.Join(filepath.Dir(f.App), "supervisord.conf")
	require.NoError(t, os.WriteFile(path, []byte("[supervisord]\nlogfile=/dev/null\n"+body), 0o644))
	bin := filepath.Join(f.Root, "versions", "3.11.7", "bin")

	units := filepath.Join(t.TempDir(), "units")
	out, errOut, rc := dtRun(t, f.App, slBin, "export", "systemd", "-c", path, "-o", units)
	require.Equal(t, 0, rc, errOut)
	assert.Contains(t, out, filepath.Join(units, "web.service"))
	web, err := os.ReadFile(filepath.Join(units, "web.service"))
	require.NoError(t, err)
	assert.Contains(t, string(web), "\nExecStart="+filepath.Join(bin, "gunicorn")+" --bind 127.0.0.1:8123 --workers 3 --chdir "+f.App+" wsgi:app\n")
	assert.Contains(t, string(web), "\nEnvironment=\"PYENV_VERSION=3.11.7\"\n")
	assert.Contains(t, string(web), "\nEnvironment=\"PATH="+bin+":")
	assert.Contains(t, string(web), "\nKillMode=control-group\n", "gunicorn stops as a group")
	assert.Contains(t, string(web), "\nType=notify\nExecStart=", "gunicorn's ready = notify default")
	assert.Contains(t, errOut, `[gunicorn:web] healthcheck_url: "http://127.0.0.1:8123/" (default) not mapped`, "gunicorn's default health check")
	worker, err := os.ReadFile(filepath.Join(units, "worker.service"))
	require.NoError(t, err)
	assert.Contains(t, string(worker), "\nExecStart="+filepath.Join(bin, "celery")+" -A tasks worker\n")

	job, errOut, rc := dtRun(t, f.App, slBin, "export", "nomad", "-c", path)
	require.Equal(t, 0, rc, errOut)
	var doc struct{ Job *api.Job }
	require.NoError(t, json.Unmarshal([]byte(job), &doc))
	var args []string
	for _, tg := range doc.Job.TaskGroups {
		if *tg.Name == "web" {
			for _, a := range tg.Tasks[0].Config["args"].([]any) {
				args = append(args, a.(string))
			}
			assert.Equal(t, "3.11.7", tg.Tasks[0].Env["PYENV_VERSION"])
		}
	}
	assert.Contains(t, strings.Join(args, " "), filepath.Join(bin, "gunicorn")+" --bind 127.0.0.1:8123 --workers 3")

	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	for _, u := range []string{"web.service", "worker.service", "supervisord.target"} {
		cmd := exec.Command(analyze, "verify", u)
		cmd.Dir = units
		cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+units+":")
		outB, err := cmd.CombinedOutput()
		assert.NoError(t, err, "%s: %s", u, outB)
		assert.Empty(t, strings.TrimSpace(string(outB)), u)
	}
}
