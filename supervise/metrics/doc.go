// Package metrics exposes a supervise.Supervisor to Prometheus: an http.Handler for /metrics
// in the text exposition format (and the other formats Prometheus negotiates), read from the
// engine's published snapshots at each scrape, so it costs nothing between scrapes.
//
// The per-process series keep the names and labels (name, group) of node_exporter's former
// supervisord collector, which dashboards and alerts already use:
//
//	node_supervisord_up                  1 while STARTING, RUNNING or STOPPING, else 0
//	node_supervisord_state               supervisord's state code (0 STOPPED .. 1000 UNKNOWN)
//	node_supervisord_exit_status         the last exit status
//	node_supervisord_start_time_seconds  the start time (Unix seconds), while up
//
// and add supervisord-lite's own (supervisord_lite_*): starts, restarts by failed checks,
// FATAL, readiness, health, the RSS of the process tree, output lost to disk errors, and the
// time left on a program's certificate. node_exporter typed start_time_seconds as a counter;
// here it is a gauge, as Prometheus's own process_start_time_seconds is (a start time goes
// down at a restart), which `promtool check metrics` accepts. With Options.Runtime the serving
// process's own Go runtime (go_*) and process (process_*) series are added, from
// client_golang's standard collectors.
package metrics
