package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/metrics"
)

// A web process that is RUNNING, ready and failing its health checks, with a certificate
// that expires in 30 days.
func Example() {
	start := time.Unix(1764800000, 0)
	h := metrics.Handler(metrics.Options{
		Stats: func() []supervise.ProcessStats {
			return []supervise.ProcessStats{{
				ProcessInfo: supervise.ProcessInfo{Name: "web", Group: "web", State: supervise.Running, Pid: 4242, Start: start},
				Starts:      2, Ready: "notify", HealthChecked: true, HealthFailures: 1, CheckRestarts: 1,
			}}
		},
		TreeRSS:    func(pid int) (int64, error) { return 52428800, nil },
		CertExpiry: func(string) (time.Time, bool) { return start.Add(30 * 24 * time.Hour), true },
		Now:        func() time.Time { return start },
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			fmt.Println(line)
		}
	}
	// Output:
	// node_supervisord_exit_status{group="web",name="web"} 0
	// node_supervisord_start_time_seconds{group="web",name="web"} 1.7648e+09
	// node_supervisord_state{group="web",name="web"} 20
	// node_supervisord_up{group="web",name="web"} 1
	// supervisord_lite_certificate_expiry_seconds{group="web",name="web"} 2.592e+06
	// supervisord_lite_log_dropped_bytes_total{group="web",name="web"} 0
	// supervisord_lite_process_check_restarts_total{group="web",name="web"} 1
	// supervisord_lite_process_fatal{group="web",name="web"} 0
	// supervisord_lite_process_health_failures{group="web",name="web"} 1
	// supervisord_lite_process_healthy{group="web",name="web"} 0
	// supervisord_lite_process_memory_rss_bytes{group="web",name="web"} 5.24288e+07
	// supervisord_lite_process_ready{group="web",name="web"} 1
	// supervisord_lite_process_starts_total{group="web",name="web"} 2
}
