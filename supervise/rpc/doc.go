// Package rpc serves supervisord's XML-RPC API (version 3.0, as supervisord 4.2.5 answers it)
// over HTTP on unix sockets and TCP, so that Debian's real supervisorctl, the web of scripts
// written against supervisord, and this module's own `ctl` can drive a supervise.Supervisor.
// It also holds the Go client (Client).
//
// The server implements all 41 methods that supervisord lists (system.listMethods), with
// supervisord's parameters, return values, fault codes and fault strings, and the two
// streaming paths supervisorctl's `tail -f` and `maintail -f` use: GET /logtail/<name>/<channel>
// and GET /mainlogtail. The engine is reached through the Backend interface, which
// *supervise.Supervisor satisfies; the daemon supplies what only it knows (configuration
// info, reloading, shutdown) through Options.
//
// Engine errors (supervise's sentinel errors) become XML-RPC faults in exactly one function
// (faultOf). Faults travel as HTTP 200; malformed XML and requests over MaxRequestBytes get
// HTTP 400; a missing or wrong password on a listener with a Username gets supervisord's 401.
package rpc
