package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Options say what Handler reads.
type Options struct {
	// Stats returns the processes (required); normally (*supervise.Supervisor).Stats.
	Stats func() []supervise.ProcessStats
	// CertExpiry returns when the certificate a process serves expires (by "group:name"); nil =
	// no certificate series.
	CertExpiry func(namespec string) (time.Time, bool)
	// TreeRSS returns the resident memory (bytes) of a pid and its descendants; nil =
	// measured with gopsutil, for RUNNING processes at each scrape (the process table is read
	// once a scrape, not once a process).
	TreeRSS func(pid int) (int64, error)
	// Now is the clock of the certificate series; nil = time.Now.
	Now func() time.Time
	// Runtime adds the series of the serving process itself, as a Prometheus client's default
	// registry has them: the Go runtime's (go_goroutines, go_memstats_*, go_gc_*, ...) and the
	// process's (process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total,
	// ...). false = only the supervised processes' series, for a program that serves these
	// from a registry of its own already.
	Runtime bool
}

// Handler returns the /metrics handler: the supervised processes' series and, with
// o.Runtime, the serving process's own.
func Handler(o Options) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(o))
	if o.Runtime {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

var labels = []string{"name", "group"}

func desc(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, labels, nil) }

// The series, with node_exporter's help texts for its four.
var (
	upDesc         = desc("node_supervisord_up", "Process Up")
	stateDesc      = desc("node_supervisord_state", "Process State")
	exitStatusDesc = desc("node_supervisord_exit_status", "Process Exit Status")
	startTimeDesc  = desc("node_supervisord_start_time_seconds", "Process start time")

	startsDesc        = desc("supervisord_lite_process_starts_total", "Times the process was spawned since its program was added.")
	checkRestartsDesc = desc("supervisord_lite_process_check_restarts_total", "Restarts by a failed health, memory or watchdog check since the program was added.")
	fatalDesc         = desc("supervisord_lite_process_fatal", "1 when the process is FATAL (gave up starting), else 0.")
	readyDesc         = desc("supervisord_lite_process_ready", "For programs with ready=: 1 when RUNNING (ready), else 0.")
	healthyDesc       = desc("supervisord_lite_process_healthy", "For programs with a health check: 1 when its last check passed (or none ran yet), 0 when failing.")
	failuresDesc      = desc("supervisord_lite_process_health_failures", "For programs with a health check: checks failed in a row.")
	rssDesc           = desc("supervisord_lite_process_memory_rss_bytes", "Resident memory of the running process and all its descendants.")
	limitDesc         = desc("supervisord_lite_process_memory_limit_bytes", "The program's memory_limit.")
	droppedDesc       = desc("supervisord_lite_log_dropped_bytes_total", "Bytes of process output that did not reach the log files (disk errors).")
	certDesc          = desc("supervisord_lite_certificate_expiry_seconds", "Seconds until the certificate the process serves expires (negative once expired).")
)

type collector struct{ o Options }

func newCollector(o Options) *collector {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &collector{o}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, stateDesc, exitStatusDesc, startTimeDesc, startsDesc,
		checkRestartsDesc, fatalDesc, readyDesc, healthyDesc, failuresDesc, rssDesc, limitDesc, droppedDesc, certDesc} {
		ch <- d
	}
}

// treesRSS is the RSS of each running pid's tree, by pid.
func (c *collector) treesRSS(stats []supervise.ProcessStats) map[int]int64 {
	var pids []int
	for _, p := range stats {
		if p.State == supervise.Running && p.Pid > 0 {
			pids = append(pids, p.Pid)
		}
	}
	if c.o.TreeRSS == nil {
		rss, _ := proctree.TreesRSS(pids)
		return rss
	}
	rss := make(map[int]int64, len(pids))
	for _, pid := range pids {
		if n, err := c.o.TreeRSS(pid); err == nil {
			rss[pid] = n
		}
	}
	return rss
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	stats := c.o.Stats()
	rss := c.treesRSS(stats)
	for _, p := range stats {
		lv := []string{p.Name, p.Group}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
		}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
		}
		up := p.State == supervise.Starting || p.State == supervise.Running || p.State == supervise.Stopping
		gauge(upDesc, b2f(up))
		gauge(stateDesc, float64(p.State))
		gauge(exitStatusDesc, float64(p.ExitStatus))
		if up {
			gauge(startTimeDesc, float64(p.Start.Unix()))
		}
		counter(startsDesc, float64(p.Starts))
		counter(checkRestartsDesc, float64(p.CheckRestarts))
		gauge(fatalDesc, b2f(p.State == supervise.Fatal))
		if p.Ready != "" {
			gauge(readyDesc, b2f(p.State == supervise.Running))
		}
		if p.HealthChecked {
			gauge(healthyDesc, b2f(p.HealthFailures == 0))
			gauge(failuresDesc, float64(p.HealthFailures))
		}
		if n, ok := rss[p.Pid]; ok && p.State == supervise.Running && p.Pid > 0 {
			gauge(rssDesc, float64(n))
		}
		if p.MemoryLimit > 0 {
			gauge(limitDesc, float64(p.MemoryLimit))
		}
		counter(droppedDesc, float64(p.LogDropped))
		if c.o.CertExpiry != nil {
			if t, ok := c.o.CertExpiry(p.Group + ":" + p.Name); ok {
				gauge(certDesc, t.Sub(c.o.Now()).Seconds())
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
