package main

import (
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
)

// What the ctl's explain command (seed_ctl.go) and update read of the daemon's decisions,
// which live in the packages: forwarded under the names the ctl uses.

type seedProgram = pyapp.Resolved

func seedExpand(cfg *conf.Config, environ []string) ([]seedProgram, error) {
	return pyapp.Resolve(cfg, environ)
}

func commandLine(argv []string) string { return pyapp.CommandLine(argv) }

const updateMethod = daemon.UpdateMethod
