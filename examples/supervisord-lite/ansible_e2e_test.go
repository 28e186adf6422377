package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// Ansible's community.general.supervisorctl module drives supervisorctl by its output
// ("NAME: started", "NAME: added process group", the status columns). These tests run it,
// through Debian's ansible on localhost, with our ctl as supervisorctl_path, and check both
// what the module reports (changed, affected) and the daemon's state afterwards.

const ansibleBody = `
[program:alpha]
command=/bin/sleep 1000
autostart=false
startsecs=0

[program:beta]
command=/bin/sleep 1000
startsecs=0

[group:grp]
programs=g1,g2

[program:g1]
command=/bin/sleep 1000
startsecs=0

[program:g2]
command=/bin/sleep 1000
startsecs=0
`

const gammaBody = `
[program:gamma]
command=/bin/sleep 1000
startsecs=0
`

// ansibleTask is one task's result as the json callback reports it.
type ansibleTask struct {
	Name     string
	Changed  bool     `json:"changed"`
	Failed   bool     `json:"failed"`
	Msg      string   `json:"msg"`
	Affected []string `json:"affected"`
}

// runPlaybook runs one community.general.supervisorctl task per "NAME STATE" step against
// localhost and returns each task's result in order.
func runPlaybook(t *testing.T, ansible, dir, ctl, conf string, steps ...string) []ansibleTask {
	t.Helper()
	var pb strings.Builder
	pb.WriteString("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n")
	for i, step := range steps {
		name, state, _ := strings.Cut(step, " ")
		// JSON strings are YAML flow scalars: a group name ends in ':'
		fmt.Fprintf(&pb, "    - name: %q\n      community.general.supervisorctl: {name: %q, state: %q, supervisorctl_path: %q, config: %q}\n",
			fmt.Sprintf("step%d %s", i, step), name, state, ctl, conf)
	}
	path := filepath.Join(dir, "playbook.yml")
	require.NoError(t, os.WriteFile(path, []byte(pb.String()), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansible, "-i", "localhost,", path)
	cmd.Dir = dir
	tmp := filepath.Join(dir, "ansible-tmp")
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
		"ANSIBLE_LOCAL_TEMP="+tmp, "ANSIBLE_REMOTE_TEMP="+tmp, "ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0", "HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]ansibleTask
			}
		}
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "ansible-playbook: %v\n%s\n%s", runErr, stdout.String(), stderr.String())
	require.Len(t, out.Plays, 1)
	var res []ansibleTask
	for _, tk := range out.Plays[0].Tasks {
		r := tk.Hosts["localhost"]
		r.Name = tk.Task.Name
		res = append(res, r)
	}
	require.NoError(t, runErr, "ansible-playbook failed: %+v\n%s", res, stderr.String())
	require.Len(t, res, len(steps))
	return res
}

func TestAnsibleSupervisorctl(t *testing.T) {
	testenv.Short(t)
	ansible := testenv.LookPath(t, "ansible-playbook", "ansible")
	d := newDT(t, "lite", slBin, ansibleBody)
	d.start(t)
	c := d.client(t)
	before := d.waitFor(t, c, "beta and grp running", allRunning("beta", "grp:g1", "grp:g2"))

	// our ctl under the name that makes it supervisorctl (argv[0] dispatch), and as a wrapper
	// script calling `supervisord-lite ctl`
	link := filepath.Join(d.dir, "supervisorctl-lite")
	require.NoError(t, os.Symlink(slBin, link))
	wrapper := filepath.Join(d.dir, "supervisorctl-wrapper")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+slBin+" ctl \"$@\"\n"), 0o755))

	res := runPlaybook(t, ansible, d.dir, link, d.conf,
		"alpha started",
		"alpha started",
		"alpha stopped",
		"alpha stopped",
		"beta restarted",
		"grp: stopped",
		"grp: stopped",
		"grp: started",
	)
	changed := []bool{true, false, true, false, true, true, false, true}
	for i, r := range res {
		assert.False(t, r.Failed, "%s: %s", r.Name, r.Msg)
		assert.Equal(t, changed[i], r.Changed, "%s: changed", r.Name)
	}
	assert.Equal(t, []string{"alpha"}, res[0].Affected)
	assert.Equal(t, []string{"beta"}, res[4].Affected)
	assert.ElementsMatch(t, []string{"grp:g1", "grp:g2"}, res[5].Affected)
	after := d.waitFor(t, c, "alpha stopped, beta and grp running", func(st map[string]procState) bool {
		return st["alpha"].state == "STOPPED" && allRunning("beta", "grp:g1", "grp:g2")(st)
	})
	assert.NotEqual(t, before["beta"].pid, after["beta"].pid, "restarted gives beta a new process")
	assert.NotEqual(t, before["grp:g1"].pid, after["grp:g1"].pid, "grp was stopped and started")

	// present: a program added to the config is added (once); absent removes it (once)
	d.write(t, ansibleBody+gammaBody)
	res = runPlaybook(t, ansible, d.dir, wrapper, d.conf,
		"gamma present",
		"gamma present",
	)
	assert.Equal(t, []bool{true, false}, []bool{res[0].Changed, res[1].Changed}, "present: %+v", res)
	d.waitFor(t, c, "gamma running", allRunning("gamma"))

	d.write(t, ansibleBody)
	res = runPlaybook(t, ansible, d.dir, wrapper, d.conf,
		"gamma stopped",
		"gamma absent",
		"gamma absent",
	)
	assert.Equal(t, []bool{true, true, false}, []bool{res[0].Changed, res[1].Changed, res[2].Changed}, "stopped/absent: %+v", res)
	st := d.waitFor(t, c, "gamma gone", func(st map[string]procState) bool { _, ok := st["gamma"]; return !ok })
	assert.Equal(t, "STOPPED", st["alpha"].state)
}
