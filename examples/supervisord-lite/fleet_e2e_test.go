package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/ctl"
)

// TestCtlFleet: `supervisord-lite ctl --fleet` (this binary) drives this binary's daemon and
// Debian's supervisord at once, plus a server given with -s that is down: the merged
// status, the per-server output of an action, the --json report and the exit statuses.
func TestCtlFleet(t *testing.T) {
	testenv.Short(t)
	body := "[program:web]\ncommand=" + dtSleeper + "\nstartsecs=0\n"
	lite, real := dtPair(t, body)
	daemons := []*dtDaemon{lite}
	if real != nil {
		daemons = append(daemons, real)
	}
	var fleet strings.Builder
	for _, d := range daemons {
		d.start(t)
		d.waitFor(t, d.client(t), "web RUNNING", allRunning("web"))
		fmt.Fprintf(&fleet, "[server:%s]\nserverurl = unix://%s/s.sock\n\n", d.name, d.dir)
	}
	fleetFile := filepath.Join(t.TempDir(), "fleet.ini")
	require.NoError(t, os.WriteFile(fleetFile, []byte(fleet.String()), 0o644))
	down := "http://" + testenv.FreeAddr(t)
	ctlArgv := []string{slBin, "ctl", "-c", lite.conf, "--fleet", fleetFile}

	out, errOut, rc := dtRun(t, lite.dir, append(ctlArgv, "status")...)
	assert.Empty(t, errOut)
	assert.Equal(t, 0, rc, out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, len(daemons), out)
	for i, d := range daemons {
		assert.Regexp(t, "^"+d.name+"   web {30}RUNNING   pid \\d+, uptime ", lines[i])
	}

	out, errOut, rc = dtRun(t, lite.dir, append(ctlArgv, "-s", down, "stop", "web")...)
	assert.Empty(t, errOut)
	assert.Equal(t, ctl.ExitNoPrivileges, rc, "the down server's status is the worst")
	var want strings.Builder
	for _, d := range daemons {
		want.WriteString(d.name + ":\n  web: stopped\n")
	}
	want.WriteString(down + ":\n  " + down + " refused connection\n")
	assert.Equal(t, want.String(), out)

	out, errOut, rc = dtRun(t, lite.dir, append(ctlArgv, "--json", "status")...)
	assert.Empty(t, errOut)
	assert.Equal(t, ctl.ExitStatusNotRunning, rc)
	var r ctl.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.Equal(t, rc, r.Exit)
	require.Len(t, r.Servers, len(daemons))
	for i, s := range r.Servers {
		assert.Equal(t, daemons[i].name, s.Name)
		assert.Equal(t, "unix://"+daemons[i].dir+"/s.sock", s.URL)
		require.Len(t, s.Processes, 1)
		assert.Equal(t, "STOPPED", s.Processes[0].StateName)
		assert.Equal(t, ctl.ExitStatusNotRunning, s.Exit)
	}

	out, _, rc = dtRun(t, lite.dir, append(ctlArgv, "start", "all")...)
	assert.Equal(t, 0, rc, out)
	for _, d := range daemons {
		d.waitFor(t, d.client(t), "web RUNNING", allRunning("web"))
	}
}
