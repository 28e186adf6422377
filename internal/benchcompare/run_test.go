package benchcompare

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A quick run of the restart and crash scenarios against Debian's supervisord measures what it
// says: a restart takes a positive time, every crashing program was spawned at least
// 1+startretries times, and nothing the run started is left.
func TestQuickRunAgainstSupervisord(t *testing.T) {
	testenv.Short(t)
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	ctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results, err := Run(ctx, Options{Sides: []Side{{Label: "supervisord", Start: []string{bin, "-n", "-c", "{conf}"},
		Ctl: []string{ctl, "-c", "{conf}"}}}, Scenarios: []string{"restart", "crash"}, Reps: 1, Quick: true,
		Out: &out, TmpDir: t.TempDir()})
	require.NoError(t, err, out.String())
	got := map[string]float64{}
	for _, r := range results {
		assert.Equal(t, "supervisord", r.Side)
		got[r.Scenario+"/"+r.Name] = r.Value
	}
	sz := sizesFor(true)
	assert.Greater(t, got["restart/p50_ms"], 0.0)
	assert.GreaterOrEqual(t, got["restart/max_ms"], got["restart/p50_ms"])
	assert.GreaterOrEqual(t, got["crash/spawns_n5"], float64(4*sz.crash), "1 start + 3 retries each")
	assert.Greater(t, got["crash/time_to_all_fatal_s_n5"], 0.0)
	assert.Contains(t, out.String(), "scenario=restart metric=p50_ms value=")
	// Every result line is in the documented format.
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, "#") {
			assert.Regexp(t, `^scenario=\S+ metric=\S+ value=\S+ unit=\S+ sup=supervisord rep=1$`, l)
		}
	}
	// Nothing tagged by the run survives it.
	mine := fmt.Sprintf("%s=%d-", envTag, os.Getpid())
	ps, err := exec.Command("sh", "-c", "grep -l "+mine+" /proc/[0-9]*/environ 2>/dev/null | wc -l").Output()
	require.NoError(t, err)
	assert.Equal(t, "0", strings.TrimSpace(string(ps)))
}

func TestRunRefusesBadOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{})
	assert.ErrorContains(t, err, "no sides")
	side := Side{Label: "x", Start: []string{"/bin/true"}, Ctl: []string{"/bin/true"}}
	_, err = Run(context.Background(), Options{Sides: []Side{side}, Scenarios: []string{"nosuch"}})
	assert.ErrorContains(t, err, `unknown scenario "nosuch"`)
	_, err = Run(context.Background(), Options{Sides: []Side{{Label: "y", Start: []string{"/nonexistent/sv"}, Ctl: []string{"/bin/true"}}}})
	assert.ErrorContains(t, err, "/nonexistent/sv")
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	assert.Equal(t, 0.0, median(nil))
}
