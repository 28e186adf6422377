package metrics_test

import (
	"io"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/metrics"
)

func scrapeBody(t *testing.T, o metrics.Options) string {
	rec := httptest.NewRecorder()
	metrics.Handler(o).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

// With Runtime the serving process's own series come beside the supervised ones: the Go
// runtime's and /proc/self's, as a Prometheus client's default registry serves them.
// A RUNNING process with Options.TreeRSS nil has its tree RSS read from /proc.
func TestHandlerRuntimeSeries(t *testing.T) {
	stats := func() []supervise.ProcessStats {
		return []supervise.ProcessStats{
			{ProcessInfo: supervise.ProcessInfo{Name: "web", Group: "web", State: supervise.Stopped}},
			// this test process, measured from /proc (Options.TreeRSS nil)
			{ProcessInfo: supervise.ProcessInfo{Name: "self", Group: "self", State: supervise.Running, Pid: os.Getpid()}},
		}
	}
	runtimeSeries := []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds",
		"process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"}

	with := scrapeBody(t, metrics.Options{Stats: stats, Runtime: true})
	assert.Contains(t, with, `node_supervisord_up{group="web",name="web"} 0`)
	assert.Regexp(t, `(?m)^supervisord_lite_process_memory_rss_bytes\{group="self",name="self"\} [1-9]`, with)
	assert.NotContains(t, with, `supervisord_lite_process_memory_rss_bytes{group="web"`, "not running")
	for _, s := range runtimeSeries {
		assert.Regexp(t, "(?m)^"+s+"[ {]", with)
	}
	assert.Regexp(t, `(?m)^go_goroutines [1-9][0-9]*$`, with, "a goroutine count, at least this one")
	assert.Regexp(t, `(?m)^process_max_fds [0-9.e+]+$`, with)

	without := scrapeBody(t, metrics.Options{Stats: stats})
	assert.Contains(t, without, `node_supervisord_up{group="web",name="web"} 0`)
	for _, s := range runtimeSeries {
		assert.NotContains(t, without, s, "zero Options: the supervised processes only")
	}
}
