package export_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/export"
)

// A supervisord.conf with one program becomes a service, its group's target and the target
// of the whole config; stdout_logfile_maxbytes has no systemd equivalent and is reported.
func ExampleSystemd() {
	dir, _ := os.MkdirTemp("", "export-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "supervisord.conf")
	_ = os.WriteFile(path, []byte(`[supervisord]
logfile=/dev/null

[program:web]
command=/usr/bin/python3 -m http.server 8000
autorestart=true
stopsignal=INT
stdout_events_enabled=true
`), 0o644)
	cfg, err := conf.Load(path, conf.Options{Environ: []string{}, Hostname: "vm"})
	if err != nil {
		fmt.Println(err)
		return
	}
	files, warnings, err := export.Systemd(cfg, export.SystemdOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	_, unit, _ := strings.Cut(string(files[1].Data), "\n") // after the "# Generated ..." line
	fmt.Print(unit)
	for _, w := range warnings {
		fmt.Println(w.Option, "-", w.Msg)
	}
	// Output:
	// supervisord.target
	// web.service
	// web.target
	//
	// [Unit]
	// Description=supervisord program web (group web)
	// PartOf=web.target
	// StartLimitIntervalSec=8
	// StartLimitBurst=4
	//
	// [Service]
	// Type=simple
	// ExecStart=/usr/bin/python3 -m http.server 8000
	// UMask=0022
	// Restart=always
	// RestartSec=1
	// KillMode=process
	// KillSignal=SIGINT
	// TimeoutStopSec=10
	// StandardOutput=journal
	// StandardError=journal
	// SyslogIdentifier=web
	// stdout_events_enabled - "true" not mapped: supervisor events have no systemd equivalent
}
