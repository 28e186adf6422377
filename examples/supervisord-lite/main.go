// Command supervisord-lite is a drop-in replacement for supervisord 4.2.5 that needs no Python:
// it reads the supervisord.conf people already have, runs their programs with supervisord's
// process semantics, and answers the real supervisorctl over the same XML-RPC API.
//
//	supervisord-lite [supervisord options]     the daemon (same options as supervisord)
//	supervisord-lite ctl [supervisorctl options] command [args]
//
// It is thin: it wires the packages supervise, supervise/conf, supervise/rpc and logrotate.
// Build it with CGO_ENABLED=0 (make build) for one static binary. After a burst of activity it
// hands the memory it freed back to the OS (memtrim.go) and drops the pages of its own code
// from its resident set (codepages_linux.go).
package main

import (
	"os"
	"path/filepath"
)

// version is what -v and `ctl version` print: the supervisord release whose behaviour and
// XML-RPC API this program reproduces.
const version = "4.2.5"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "ctl" {
		os.Exit(runCtl(os.Args[0]+" ctl", args[1:], os.Stdout, os.Stderr))
	}
	if filepath.Base(os.Args[0]) == "supervisorctl-lite" {
		os.Exit(runCtl(os.Args[0], args, os.Stdout, os.Stderr))
	}
	os.Exit(runDaemon(os.Args[0], args))
}
