package main

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// reloader serves reloadConfig, addProcessGroup and removeProcessGroup (supervisorctl reread,
// update, add, remove) and getAllConfigInfo over the config file and the running Supervisor.
// As in supervisord, a successful reread replaces the stored config even if no update follows.
type reloader struct {
	path  string
	flags daemonFlags
	sup   *supervise.Supervisor
	pools *eventPools // nil = no [eventlistener:x] support

	mu     sync.Mutex
	latest *conf.Config          // the last config read
	active map[string]conf.Group // the groups running, as they were added
}

var _ rpc.Reloader = (*reloader)(nil)

func newReloader(path string, flags daemonFlags, sup *supervise.Supervisor, cfg *conf.Config) *reloader {
	return &reloader{path: path, flags: flags, sup: sup, latest: cfg, active: map[string]conf.Group{}}
}

// add activates a group of the config.
func (r *reloader) add(ctx context.Context, cfg *conf.Config, g conf.Group) error {
	if r.pools != nil {
		if err := r.pools.add(g); err != nil {
			return err
		}
	}
	if err := r.sup.Add(ctx, superviseGroup(cfg, g)); err != nil {
		return err
	}
	r.mu.Lock()
	r.active[g.Name] = g
	r.mu.Unlock()
	return nil
}

// activeConfig is the running groups as a Config, for conf.Diff.
func (r *reloader) activeConfig() *conf.Config {
	c := &conf.Config{}
	for _, g := range r.active {
		c.Groups = append(c.Groups, g)
	}
	return c
}

// Reread reads the config file again and compares it with the running groups.
func (r *reloader) Reread(ctx context.Context) (added, changed, removed []string, err error) {
	cfg, err := loadConfig(r.path, r.flags)
	if err != nil {
		return nil, nil, nil, firstConfigError(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latest = cfg
	added, changed, removed = conf.Diff(r.activeConfig(), cfg)
	return added, changed, removed, nil
}

// rereadError carries supervisord's text for the first problem of a config that cannot be
// reread: supervisord stops at the first error, and CANT_REREAD says just that one.
type rereadError struct {
	text string
	err  error // every problem, as Load returned them
}

func (e *rereadError) Error() string { return e.text }
func (e *rereadError) Unwrap() error { return e.err }

func firstConfigError(err error) error {
	var ce *conf.Error
	if errors.As(err, &ce) {
		return &rereadError{text: ce.Supervisord(), err: err}
	}
	return err
}

func (r *reloader) find(name string) (conf.Group, bool) {
	for _, g := range r.latest.Groups {
		if g.Name == name && g.Kind != conf.KindFastCGI {
			return g, true
		}
	}
	return conf.Group{}, false
}

// AddGroup activates a group of the last config read.
func (r *reloader) AddGroup(ctx context.Context, name string) error {
	r.mu.Lock()
	g, ok := r.find(name)
	_, running := r.active[name]
	cfg := r.latest
	r.mu.Unlock()
	switch {
	case !ok:
		return &supervise.ProcessError{Op: "add", Name: name, Err: supervise.ErrNotFound}
	case running:
		return &supervise.ProcessError{Op: "add", Name: name, Err: supervise.ErrAlreadyAdded}
	}
	return r.add(ctx, cfg, g)
}

// RemoveGroup deactivates a group whose processes are all stopped.
func (r *reloader) RemoveGroup(ctx context.Context, name string) error {
	r.mu.Lock()
	_, running := r.active[name]
	r.mu.Unlock()
	if !running {
		return &supervise.ProcessError{Op: "remove", Name: name, Err: supervise.ErrNotFound}
	}
	if err := r.sup.Remove(ctx, name); err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.active, name)
	r.mu.Unlock()
	return nil
}

// configInfo is getAllConfigInfo: every process of the last config read, in use when its
// group is running.
func (r *reloader) configInfo() []rpc.ConfigInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	infos := r.latest.ConfigInfo()
	out := make([]rpc.ConfigInfo, 0, len(infos))
	for _, c := range infos {
		_, inUse := r.active[c.Group]
		out = append(out, toRPCInfo(c, inUse))
	}
	return out
}

func toRPCInfo(c conf.ConfigInfo, inUse bool) rpc.ConfigInfo {
	uid := "none"
	if c.UID != nil {
		uid = strconv.Itoa(*c.UID)
	}
	return rpc.ConfigInfo{
		Name: c.Name, Group: c.Group,
		GroupPriority: c.GroupPrio, ProcessPriority: c.ProcessPrio,
		InUse: inUse, AutoStart: c.AutoStart,
		Directory: c.Directory, UID: uid, Command: c.Command, ServerURL: c.ServerURL,
		ExitCodes:   c.ExitCodes,
		KillAsGroup: c.KillAsGroup, RedirectStderr: c.RedirectStderr,
		StartRetries: c.StartRetries, StartSecs: c.StartSecs,
		StopSignal: c.StopSignal, StopWaitSecs: c.StopWaitSecs,
		Stdout: rpc.LogConfig{
			Logfile: c.StdoutLogfile, MaxBytes: c.StdoutLogfileMaxBytes, Backups: c.StdoutLogfileBackups,
			CaptureMaxBytes: c.StdoutCaptureMaxBytes, EventsEnabled: c.StdoutEventsEnabled, Syslog: c.StdoutSyslog,
		},
		Stderr: rpc.LogConfig{
			Logfile: c.StderrLogfile, MaxBytes: c.StderrLogfileMaxBytes, Backups: c.StderrLogfileBackups,
			CaptureMaxBytes: c.StderrCaptureMaxBytes, EventsEnabled: c.StderrEventsEnabled, Syslog: c.StderrSyslog,
		},
	}
}

// updateMethod is the XML-RPC method our ctl's `update` calls for a changed group, so that only
// the programs whose spec changed are restarted (supervisord's update, and so the real
// supervisorctl's, stops and re-adds the whole group: its issue #1154).
const updateMethod = "supervisord_lite.updateProcessGroup"

// UpdateGroup applies the last config read to an active group program by program
// (Supervisor.UpdateGroup): changed programs are restarted, new ones added, gone ones removed,
// unchanged ones keep running.
func (r *reloader) UpdateGroup(ctx context.Context, name string) error {
	r.mu.Lock()
	g, ok := r.find(name)
	_, running := r.active[name]
	cfg := r.latest
	r.mu.Unlock()
	if !ok || !running {
		return &supervise.ProcessError{Op: "update", Name: name, Err: supervise.ErrNotFound}
	}
	if _, err := r.sup.UpdateGroup(ctx, superviseGroup(cfg, g)); err != nil {
		return err
	}
	r.mu.Lock()
	r.active[name] = g
	r.mu.Unlock()
	return nil
}

// extraMethods are the XML-RPC methods supervisord-lite adds beside supervisord's.
func (r *reloader) extraMethods() map[string]rpc.ExtraMethod {
	return map[string]rpc.ExtraMethod{
		updateMethod: func(ctx context.Context, args []any) (any, error) {
			name, ok := args0String(args)
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

func args0String(args []any) (string, bool) {
	if len(args) != 1 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}
