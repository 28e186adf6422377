package main

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// A program that has written nothing has empty log files from its spawn on: the real
// supervisorctl's tail shows nothing and exits 0 (not "ERROR (no log file)"), as with
// supervisord.
func TestTailOfSilentProgramDifferential(t *testing.T) {
	t.Parallel()
	ctl, err := exec.LookPath("supervisorctl")
	if err != nil {
		ctl = testenv.LookPath(t, "supervisorctl", "supervisor")
	}
	lite, real := dtPair(t, `
[program:mute]
command=/bin/sleep 1000
stdout_logfile=%(here)s/mute.out
stderr_logfile=%(here)s/mute.err
`)
	out := map[string]string{}
	rcs := map[string]int{}
	for _, d := range []*dtDaemon{lite, real} {
		if d == nil {
			continue
		}
		d.start(t)
		c := d.client(t)
		d.waitFor(t, c, "RUNNING", allRunning("mute"))
		o, rc := d.ctl(t, ctl, "tail", "mute", "stderr")
		o2, rc2 := d.ctl(t, ctl, "tail", "mute")
		out[d.name], rcs[d.name] = o+"|"+o2, rc+rc2
		d.finish(t)
	}
	assert.Equal(t, "\n|\n", out["lite"], "empty tails")
	assert.Equal(t, 0, rcs["lite"])
	if real != nil {
		assert.Equal(t, out["real"], out["lite"])
		assert.Equal(t, rcs["real"], rcs["lite"])
	}
}
