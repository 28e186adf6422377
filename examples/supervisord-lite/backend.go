package main

import (
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// backend is what the XML-RPC server drives: the Supervisor, with room for daemon-level
// additions to what it reports (methods defined here override the Supervisor's).
type backend struct{ *supervise.Supervisor }

var _ rpc.Backend = backend{}
