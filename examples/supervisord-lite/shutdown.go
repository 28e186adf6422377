package main

import "sync/atomic"

// shutdownFlag records that the daemon is stopping, so XML-RPC calls get SHUTDOWN_STATE.
type shutdownFlag struct{ v atomic.Bool }

func (f *shutdownFlag) set()      { f.v.Store(true) }
func (f *shutdownFlag) get() bool { return f.v.Load() }
