// Command supervisord-lite is a drop-in replacement for supervisord 4.2.5 that needs no Python:
// it reads the supervisord.conf people already have, runs their programs with supervisord's
// process semantics, and answers the real supervisorctl over the same XML-RPC API.
//
//	supervisord-lite [supervisord options]     the daemon (same options as supervisord)
//	supervisord-lite ctl [supervisorctl options] command [args]
//	supervisord-lite export systemd|nomad -c FILE [-o OUT]   (package supervise/export)
//
// It is thin: it wires the packages supervise, supervise/conf, supervise/rpc and logrotate.
// Build it with CGO_ENABLED=0 (make build) for one static binary. After a burst of activity it
// hands the memory it freed back to the OS (memtrim.go) and drops the pages of its own code
// from its resident set (codepages_linux.go).
package main

import (
	"os"
	"path/filepath"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/export"
)

// expandSeed resolves [gunicorn:x] and python_env for export as the daemon does at start.
func expandSeed(cfg *conf.Config) error {
	_, err := seedExpand(cfg, os.Environ())
	return err
}

// version is what -v and `ctl version` print: the supervisord release whose behaviour and
// XML-RPC API this program reproduces.
const version = "4.2.5"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "ctl" {
		os.Exit(runCtl(os.Args[0]+" ctl", args[1:], os.Stdout, os.Stderr))
	}
	if len(args) > 0 && args[0] == "export" { // hook: supervise/export, expanded as the daemon does
		os.Exit(export.Run(os.Args[0]+" export", os.Args[0], args[1:], os.Stdout, os.Stderr, expandSeed))
	}
	if filepath.Base(os.Args[0]) == "supervisorctl-lite" {
		os.Exit(runCtl(os.Args[0], args, os.Stdout, os.Stderr))
	}
	os.Exit(runDaemon(os.Args[0], args))
}
