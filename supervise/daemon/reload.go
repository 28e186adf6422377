package daemon

import (
	"context"
	"sync"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// reloader serves reloadConfig, addProcessGroup and removeProcessGroup (supervisorctl reread,
// update, add, remove) and getAllConfigInfo over the config file and the running Supervisor.
// Which groups are active is the Supervisor's to say; the reloader keeps only the last
// configuration read. As in supervisord, a successful reread replaces it even if no update
// follows.
type reloader struct {
	d      *Daemon
	sup    *supervise.Supervisor
	events *events // the run's event listener pools

	mu     sync.Mutex
	latest *loaded // the last configuration read
}

var _ rpc.Reloader = (*reloader)(nil)

func (r *reloader) last() *loaded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest
}

// active returns the names of the Supervisor's groups.
func (r *reloader) active() map[string]bool {
	out := map[string]bool{}
	for _, g := range r.sup.Groups() {
		out[g.Name] = true
	}
	return out
}

// Reread reads the config file again and compares it with the running groups
// (Supervisor.Diff: what Update would do).
func (r *reloader) Reread(context.Context) (added, changed, removed []string, err error) {
	l, err := r.d.load()
	if err != nil {
		return nil, nil, nil, rereadError(err)
	}
	r.mu.Lock()
	r.latest = l
	r.mu.Unlock()
	added, changed, removed = r.sup.Diff(l.groups)
	return added, changed, removed, nil
}

// AddGroup activates a group of the last config read.
func (r *reloader) AddGroup(ctx context.Context, name string) error {
	l := r.last()
	g, ok := l.group(name)
	if !ok {
		return &supervise.ProcessError{Op: "add", Name: name, Err: supervise.ErrNotFound}
	}
	if err := r.events.add(l, name); err != nil {
		return err
	}
	return r.sup.Add(ctx, g) // ErrAlreadyAdded when it is active
}

// RemoveGroup deactivates a group whose processes are all stopped.
func (r *reloader) RemoveGroup(ctx context.Context, name string) error {
	return r.sup.Remove(ctx, name) // ErrNotFound, ErrStillRunning
}

// UpdateGroup applies the last config read to an active group program by program
// (Supervisor.UpdateGroup): changed programs are restarted, new ones added, gone ones removed,
// unchanged ones keep running.
func (r *reloader) UpdateGroup(ctx context.Context, name string) error {
	l := r.last()
	g, ok := l.group(name)
	if !ok || !r.active()[name] {
		return &supervise.ProcessError{Op: "update", Name: name, Err: supervise.ErrNotFound}
	}
	if err := r.events.add(l, name); err != nil {
		return err
	}
	_, err := r.sup.UpdateGroup(ctx, g)
	return err
}

// configInfo is getAllConfigInfo: every process of the last config read, in use when its
// group is running.
func (r *reloader) configInfo() []conf.ConfigInfo {
	l := r.last()
	active := r.active()
	out := make([]conf.ConfigInfo, len(l.infos))
	for i, c := range l.infos {
		c.InUse = active[c.Group]
		out[i] = c
	}
	return out
}

// methods are the XML-RPC methods supervisord-lite adds beside supervisord's:
// rpc.MethodUpdateProcessGroup, which `ctl update` calls for a changed group so that only the
// programs whose spec changed are restarted (supervisord's update, and so the real
// supervisorctl's, stops and re-adds the whole group: its issue #1154); and
// rpc.KernelFeaturesMethod, the kernel features newer than 2.6.32 (for ctl explain/ps), and
// rpc.MethodDeployProcess (ctl deploy).
func (r *reloader) methods() map[string]rpc.ExtraMethod {
	return map[string]rpc.ExtraMethod{
		rpc.KernelFeaturesMethod: rpc.KernelFeaturesExtra(),
		rpc.MethodDeployProcess:  rpc.DeployExtra(r.sup), // ctl deploy
		rpc.MethodUpdateProcessGroup: func(ctx context.Context, args []any) (any, error) {
			name, ok := "", len(args) == 1
			if ok {
				name, ok = args[0].(string)
			}
			if !ok {
				return nil, &rpc.Fault{Code: rpc.FaultIncorrectParameters, String: "INCORRECT_PARAMETERS"}
			}
			if err := r.UpdateGroup(ctx, name); err != nil {
				return nil, err
			}
			return true, nil
		},
	}
}
