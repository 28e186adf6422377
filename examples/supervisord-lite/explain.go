package main

import (
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
)

// What the explain action (seed_ctl.go) reads of the daemon's decisions, which live in
// package pyapp: forwarded under the names it uses.

type seedProgram = pyapp.Resolved

func seedExpand(cfg *conf.Config, environ []string) ([]seedProgram, error) {
	return pyapp.Resolve(cfg, environ)
}

func commandLine(argv []string) string { return pyapp.CommandLine(argv) }
