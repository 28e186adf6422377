package main

import (
	"context"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// backend adapts *supervise.Supervisor to rpc.Backend (their Result types differ).
type backend struct{ *supervise.Supervisor }

var _ rpc.Backend = backend{}

func results(rs []supervise.Result) []rpc.Result {
	out := make([]rpc.Result, len(rs))
	for i, r := range rs {
		out[i] = rpc.Result{Name: r.Name, Group: r.Group, Err: r.Err}
	}
	return out
}

func (b backend) Start(ctx context.Context, spec string, wait bool) ([]rpc.Result, error) {
	rs, err := b.Supervisor.Start(ctx, spec, wait)
	return results(rs), err
}

func (b backend) Stop(ctx context.Context, spec string, wait bool) ([]rpc.Result, error) {
	rs, err := b.Supervisor.Stop(ctx, spec, wait)
	return results(rs), err
}

func (b backend) Signal(ctx context.Context, spec string, sig syscall.Signal) ([]rpc.Result, error) {
	rs, err := b.Supervisor.Signal(ctx, spec, sig)
	return results(rs), err
}

func (b backend) StartAll(ctx context.Context, wait bool) []rpc.Result {
	return results(b.Supervisor.StartAll(ctx, wait))
}

func (b backend) StopAll(ctx context.Context, wait bool) []rpc.Result {
	return results(b.Supervisor.StopAll(ctx, wait))
}

func (b backend) ClearLogs(spec string) ([]rpc.Result, error) {
	rs, err := b.Supervisor.ClearLogs(spec)
	return results(rs), err
}
