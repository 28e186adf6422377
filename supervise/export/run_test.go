package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

func writeConf(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "supervisord.conf")
	require.NoError(t, os.WriteFile(path, []byte("[supervisord]\nlogfile=/dev/null\n"+body), 0o644))
	return path
}

func run(args []string, expand Expander) (int, string, string) {
	var stdout, stderr bytes.Buffer
	rc := Run("sl export", "sl", args, &stdout, &stderr, expand)
	return rc, stdout.String(), stderr.String()
}

const runBody = `
[program:web]
command=/bin/sleep 100
numprocs=2
process_name=web_%(process_num)d
stdout_events_enabled=true
`

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"docker"}, {"systemd", "-c", "x.conf"}, {"nomad", "--bogus"}, {"nomad", "extra"}} {
		rc, _, stderr := run(args, nil)
		assert.Equal(t, 2, rc, "%q", args)
		assert.NotEmpty(t, stderr, "%q", args)
	}
}

func TestRunSystemd(t *testing.T) {
	path := writeConf(t, runBody)
	out := filepath.Join(t.TempDir(), "units")
	rc, stdout, stderr := run([]string{"systemd", "-c", path, "-o", out, "--prefix", "app-", "--target", "app.target", "--journald"}, nil)
	require.Equal(t, 0, rc, stderr)
	var want []string
	for _, f := range []string{"app-web.target", "app-web@.service", "app-web@0.service.d/process.conf", "app-web@1.service.d/process.conf", "app.target"} {
		want = append(want, filepath.Join(out, f))
	}
	assert.Equal(t, strings.Join(want, "\n")+"\n", stdout, "the files written, sorted by name")
	assert.Contains(t, stderr, "warning: "+path+":8: [program:web] stdout_events_enabled: \"true\" not mapped")
	unit, err := os.ReadFile(filepath.Join(out, "app-web@.service"))
	require.NoError(t, err)
	assert.Contains(t, string(unit), "\nStandardOutput=journal\n")
	assert.Contains(t, string(unit), "\nPartOf=app-web.target\n")
	target, err := os.ReadFile(filepath.Join(out, "app-web.target"))
	require.NoError(t, err)
	assert.Contains(t, string(target), "\nWants=app-web@0.service app-web@1.service\n")
}

func TestRunNomad(t *testing.T) {
	path := writeConf(t, runBody)
	rc, stdout, stderr := run([]string{"nomad", "-c", path, "--job", "shop", "--datacenter", "dc1", "--datacenter", "dc2"}, nil)
	require.Equal(t, 0, rc, stderr)
	var doc struct{ Job *api.Job }
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.NotNil(t, doc.Job)
	assert.Equal(t, "shop", *doc.Job.ID)
	assert.Equal(t, []string{"dc1", "dc2"}, doc.Job.Datacenters)
	require.Len(t, doc.Job.TaskGroups, 1)
	tg := doc.Job.TaskGroups[0]
	assert.Equal(t, 2, *tg.Count, "numprocs=2 with identical processes is one group of 2")
	assert.Equal(t, "raw_exec", tg.Tasks[0].Driver)
	assert.Equal(t, "/bin/sleep", tg.Tasks[0].Config["command"])
	assert.Contains(t, stderr, "stdout_events_enabled")

	file := filepath.Join(t.TempDir(), "job.json")
	rc, stdout2, _ := run([]string{"nomad", "-c", path, "-o", file, "--job", "shop", "--datacenter", "dc1", "--datacenter", "dc2"}, nil)
	require.Equal(t, 0, rc)
	assert.Empty(t, stdout2)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, stdout, string(data))
}

func TestRunErrors(t *testing.T) {
	bad := writeConf(t, "[program:x]\nnumprocs=2\ncommand=/bin/true\n")
	rc, _, stderr := run([]string{"nomad", "-c", bad}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "process_num", "the config error is supervisord's: %s", stderr)

	rc, _, stderr = run([]string{"nomad", "-c", filepath.Join(t.TempDir(), "missing.conf")}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "could not find config file")

	empty := writeConf(t, "")
	rc, _, stderr = run([]string{"nomad", "-c", empty}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, ErrNoPrograms.Error())

	boom := errors.New("pyenv: version 3.99 not installed")
	rc, _, stderr = run([]string{"nomad", "-c", writeConf(t, runBody)}, func(*conf.Config) error { return boom })
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, boom.Error())

	clash := writeConf(t, "[program:supervisord]\ncommand=/bin/true\n")
	rc, _, stderr = run([]string{"systemd", "-c", clash, "-o", t.TempDir()}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "two units named supervisord.target")
	rc, _, stderr = run([]string{"systemd", "-c", clash, "-o", t.TempDir(), "--target", "all.target"}, nil)
	assert.Equal(t, 0, rc, stderr)

	twice := writeConf(t, "[group:a]\nprograms=web\n[group:b]\nprograms=web\n[program:web]\ncommand=/bin/true\n")
	rc, _, stderr = run([]string{"nomad", "-c", twice}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "two task groups named web")
	rc, _, stderr = run([]string{"systemd", "-c", twice, "-o", t.TempDir()}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "two units named web.service")

	unsplittable := writeConf(t, "[program:q]\ncommand=/bin/echo \"unclosed\n")
	rc, _, stderr = run([]string{"systemd", "-c", unsplittable, "-o", t.TempDir()}, nil)
	assert.Equal(t, 1, rc)
	assert.Contains(t, stderr, "[program:q] command")
}

// TestRunExpander: the expander's rewrite (what [gunicorn:x] resolution does) is what gets
// exported.
func TestRunExpander(t *testing.T) {
	path := writeConf(t, "[program:app]\ncommand=gunicorn wsgi:app\n")
	expand := func(cfg *conf.Config) error {
		for gi := range cfg.Groups {
			for pi := range cfg.Groups[gi].Processes {
				p := &cfg.Groups[gi].Processes[pi]
				p.Command = "/srv/venv/bin/gunicorn --workers 2 wsgi:app"
				p.Environment = append(p.Environment, conf.EnvVar{Key: "VIRTUAL_ENV", Value: "/srv/venv"})
			}
		}
		return nil
	}
	rc, stdout, stderr := run([]string{"nomad", "-c", path}, expand)
	require.Equal(t, 0, rc, stderr)
	var doc struct{ Job *api.Job }
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	task := doc.Job.TaskGroups[0].Tasks[0]
	assert.Equal(t, "/srv/venv/bin/gunicorn", task.Config["command"])
	assert.Equal(t, []any{"--workers", "2", "wsgi:app"}, task.Config["args"])
	assert.Equal(t, map[string]string{"VIRTUAL_ENV": "/srv/venv"}, task.Env)
}
