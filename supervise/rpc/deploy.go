package rpc

import (
	"context"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// MethodDeployProcess is supervisord-lite's own XML-RPC method behind `ctl deploy NAME`
// (DeployExtra serves it; add it to Options.Extra):
//
//	supervisord_lite.deployProcess(string name) -> struct {string name, int old_pid,
//	int new_pid, boolean overlap}
//
// It replaces the process name (a process, "group:name", or a group of one process by its
// name) as supervise.Supervisor.Deploy does: with held sockets, the new process starts before
// the old one is stopped; otherwise stop-then-start. It answers once the old process has
// exited and the new one is RUNNING. Faults are those of startProcess (BAD_NAME, SPAWN_ERROR,
// ABNORMAL_TERMINATION, SHUTDOWN_STATE). supervisord has no such method (UNKNOWN_METHOD).
const MethodDeployProcess = "supervisord_lite.deployProcess"

// Deployer is what DeployExtra drives; *supervise.Supervisor has it.
type Deployer interface {
	Deploy(ctx context.Context, name string) (supervise.DeployResult, error)
}

var _ Deployer = (*supervise.Supervisor)(nil)

// DeployResult is the answer of MethodDeployProcess.
type DeployResult = supervise.DeployResult

// DeployExtra is the method MethodDeployProcess over d.
func DeployExtra(d Deployer) ExtraMethod {
	return func(ctx context.Context, args []any) (any, error) {
		name, ok := "", len(args) == 1
		if ok {
			name, ok = args[0].(string)
		}
		if !ok {
			return nil, errParams
		}
		res, err := d.Deploy(ctx, name)
		if err != nil {
			return nil, faultOf(err, name)
		}
		return map[string]any{"name": res.Name, "old_pid": res.OldPid, "new_pid": res.NewPid, "overlap": res.Overlap}, nil
	}
}

// DeployProcess calls MethodDeployProcess. A real supervisord answers with a
// FaultUnknownMethod fault.
func (c *Client) DeployProcess(ctx context.Context, name string) (DeployResult, error) {
	v, err := c.Call(ctx, MethodDeployProcess, name)
	if err != nil {
		return DeployResult{}, err
	}
	d := decoder{method: MethodDeployProcess}
	s := d.structOf(v)
	res := DeployResult{Name: d.str(s, "name"), OldPid: d.int(s, "old_pid"), NewPid: d.int(s, "new_pid"),
		Overlap: d.bool(s, "overlap")}
	return res, d.err
}
