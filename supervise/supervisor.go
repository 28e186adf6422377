package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/internal/byname"
)

// Options configure a Supervisor; the zero value works (real clock, real fork/exec, no logging).
type Options struct {
	// Clock is the time source; nil = real time.
	Clock Clock
	// Spawner starts children; nil = real fork/exec with the process-wide SIGCHLD/Wait4 reaper
	// (see Serve for what that means for exec.Cmd in the same process).
	Spawner Spawner
	// Logger receives the supervisor's own log: supervisord's messages at supervisord's levels
	// (use NewLogHandler for its line format); nil = discard.
	Logger *slog.Logger
	// ServerURL is SUPERVISOR_SERVER_URL for children; "" = the variable is omitted.
	ServerURL string
	// Identifier is supervisord's identifier, used in AUTO log names; "" = "supervisor".
	Identifier string
	// ChildLogDir is where AUTO logs are created; "" = os.TempDir().
	ChildLogDir string
	// Env is the base environment of children ("KEY=VALUE"); nil = os.Environ() at New.
	Env []string
	// StateFile, when set, is a file where Serve records every running child (namespec, pid,
	// process group, start time), rewritten atomically after spawns and exits, so that a
	// supervisor that crashed (kill -9, OOM) leaves a list of what it had started. At the start
	// of Serve, before any autostart, the children recorded there that still run (pid AND start
	// time match, so a recycled pid is never touched) are ended: SIGTERM to their process group,
	// SIGKILL after their program's StopWait (10 s for a name no longer configured); what is
	// found is logged at WARN. A missing, empty or corrupt file is logged and ignored. When
	// Serve returns the file lists no process. "" (the default) = no state file. Not in
	// supervisord. Only children of the real Spawner are recorded.
	StateFile string
	// ProtocolOutput receives what a program with Program.StdoutProtocol writes to stdout
	// (see there); nil = such output is only logged.
	ProtocolOutput func(group, name string, pid int, p []byte)
	// SyslogPath is the local syslog socket that output of a program with Log.Syslog goes to;
	// "" = DefaultSyslogPath (/dev/log).
	SyslogPath string
	// SyslogTag is the tag of those messages; "" = DefaultSyslogTag ("supervisord").
	SyslogTag string
	// StripANSI removes ANSI escape sequences from each chunk of child output before it is
	// logged, sent to syslog, captured or published (supervisord's strip_ansi, with its
	// algorithm: from ESC [ to the next terminator letter, within one chunk). Default false.
	StripANSI bool
	// ReadEnvFile reads a Program.EnvFile at each spawn: it returns the file's assignments
	// ("KEY=VALUE", in file order), given the environment built so far (for ${NAME}
	// interpolation). pyenv.ReadDotenv reads the .env format of pipenv. nil = a Program with an
	// EnvFile cannot spawn (its spawn error says so). Not in supervisord.
	ReadEnvFile func(path string, environ []string) ([]string, error)
}

// SupervisorState is supervisord's getState code.
type SupervisorState int

// The supervisor states with supervisord's codes (states.py SupervisorStates).
const (
	SupervisorFatal      SupervisorState = 2
	SupervisorRunning    SupervisorState = 1
	SupervisorRestarting SupervisorState = 0
	SupervisorShutdown   SupervisorState = -1
)

// String returns supervisord's name: "RUNNING", "SHUTDOWN", ...
func (s SupervisorState) String() string {
	switch s {
	case SupervisorFatal:
		return "FATAL"
	case SupervisorRunning:
		return "RUNNING"
	case SupervisorRestarting:
		return "RESTARTING"
	case SupervisorShutdown:
		return "SHUTDOWN"
	}
	return fmt.Sprintf("SupervisorState(%d)", int(s))
}

// Result is the outcome of an operation on one process.
type Result struct {
	Name, Group string // the process
	// Err is nil for success, else a *ProcessError wrapping a sentinel (ErrSpawn,
	// ErrNotRunning ...), or the context's error when a wait was cut short.
	Err error
}

// GroupInfo describes an active group.
type GroupInfo struct {
	Name     string
	Priority int
	Programs []Program // as added, with defaults applied
}

// Supervisor runs groups of programs with supervisord's process semantics. Create it with New,
// add groups (before or while serving), and run Serve. All methods are safe for concurrent use.
//
// Each process is owned by one goroutine at a time (a chain started by Serve, see
// process.wait) that runs its state machine; the Supervisor's mutex guards only the table of
// groups.
type Supervisor struct {
	opts        Options
	clock       Clock
	spawner     Spawner
	logger      *slog.Logger
	env         []string
	identifier  string
	childLogDir string
	hub         hub
	state       *stateFile // nil without Options.StateFile
	syslog      *syslogSender
	token       string   // TokenEnv's value for this Supervisor's children; "" with a Spawner given
	markScan    markScan // escapees.go

	mu       sync.Mutex
	groups   []*groupEntry // in the order added
	held     heldSockets   // Program.Sockets of every process (heldsocket.go)
	quit     chan struct{} // closed when the shutdown begins: retiring processes stop at once
	served   bool          // Serve was called (it may run once)
	serving  bool
	stopping bool
	wg       sync.WaitGroup
}

type groupEntry struct {
	cfg   Group // programs with defaults applied
	procs []*process
	sock  *sharedSocket // cfg.Socket, shared by the processes; nil without one
}

// New returns a Supervisor. It starts nothing: goroutines and children exist only inside Serve.
func New(opts Options) *Supervisor {
	s := &Supervisor{opts: opts, clock: opts.Clock, spawner: opts.Spawner, logger: opts.Logger,
		env: opts.Env, identifier: opts.Identifier, childLogDir: opts.ChildLogDir, quit: make(chan struct{})}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.spawner == nil {
		s.spawner = &forkSpawner{}
		s.token = newToken()
	}
	if s.env == nil {
		s.env = os.Environ()
	}
	if s.identifier == "" {
		s.identifier = "supervisor"
	}
	if s.childLogDir == "" {
		s.childLogDir = os.TempDir()
	}
	if opts.StateFile != "" {
		s.state = newStateFile(opts.StateFile)
	}
	s.syslog = &syslogSender{path: opts.SyslogPath, tag: opts.SyslogTag, clock: s.clock}
	if s.syslog.path == "" {
		s.syslog.path = DefaultSyslogPath
	}
	if s.syslog.tag == "" {
		s.syslog.tag = DefaultSyslogTag
	}
	return s
}

// log writes one supervisord message with the Supervisor's clock as the record time.
func (s *Supervisor) log(level slog.Level, format string, args ...any) {
	if s.logger == nil {
		return
	}
	ctx := context.Background()
	h := s.logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	_ = h.Handle(ctx, slog.NewRecord(s.clock.Now(), level, fmt.Sprintf(format, args...), 0))
}

// State returns SupervisorShutdown once Serve's context has ended (and after Serve returned),
// else SupervisorRunning.
func (s *Supervisor) State() SupervisorState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return SupervisorShutdown
	}
	return SupervisorRunning
}

// Serve runs the supervisor: it starts the process goroutines, autostarts the programs (groups
// by ascending priority, programs in their order) and then reacts to events until ctx ends.
// Then it stops everything as supervisord does at shutdown: groups in descending priority
// (groups of equal priority in parallel), each group's processes signalled at once (BACKOFF
// ones go to FATAL), SIGKILL after StopWait; it returns nil once every child is gone and every
// goroutine it started has ended. Serve may be called once per Supervisor.
//
// With the default Spawner, the process-wide reaper runs while any Serve does: it reaps every
// child of this process with wait4(-1), so an exec.Cmd started elsewhere in the same process
// loses its exit status (its Wait fails with ECHILD). A daemon owns its children; keep
// exec.Cmd out of programs that embed a serving Supervisor. While it runs the process is a
// child subreaper (PR_SET_CHILD_SUBREAPER): descendants of supervised programs orphaned by
// their parent's death come to it (Linux 3.4 and later; see KernelFeatures). Before Serve
// returns, every process still carrying this Supervisor's token (TokenEnv) gets SIGTERM, then
// SIGKILL after a second. When the last Serve returns, the children of this process
// that the engine did not start and that are outside this process's group (such orphans, which
// left their program's group) get SIGTERM, then SIGKILL after a second, so nothing started
// under a Supervisor outlives it; a child the embedding program started itself with its own
// process group would be ended too.
//
// With Options.StateFile, Serve first ends what a crashed predecessor left running (see
// StateFile), then serves.
func (s *Supervisor) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.served {
		s.mu.Unlock()
		return errors.New("supervise: Serve was already called on this Supervisor")
	}
	s.served = true
	var release func()
	if fs, ok := s.spawner.(*forkSpawner); ok {
		release = fs.acquire()
	}
	s.mu.Unlock()
	if release != nil {
		s.warnKernel()
	}
	var stateDone chan struct{}
	stopState := make(chan struct{})
	if s.state != nil {
		s.recoverState(s.state.path)
		// A file that lists nothing yet but names this Supervisor's token replaces the previous
		// supervisor's before the first fork: killed right after a spawn, before the writer's
		// next batch, this Supervisor still leaves a file through which its child is found.
		s.state.write(s)
		stateDone = make(chan struct{})
		go func() {
			defer close(stateDone)
			s.state.run(s, stopState)
		}()
	}
	s.mu.Lock()
	s.serving = true
	var procs []*process
	for _, g := range s.sortedGroups(false) {
		for _, p := range g.procs {
			s.startGoroutine(p)
			procs = append(procs, p)
		}
	}
	s.mu.Unlock()

	s.hub.publish(Event{Kind: EventSupervisorRunning, Time: s.clock.Now()})
	// A stop during the autostart (1,000 programs on a loaded machine take a while) ends it:
	// the programs not begun yet stay STOPPED and the shutdown starts at once.
	_ = s.autostart(ctx, procs)
	<-ctx.Done()
	s.shutdown()
	s.held.closeAll(s.log)
	s.sweepMarked()
	if stateDone != nil {
		close(stopState)
		<-stateDone
	}
	if release != nil {
		release()
	}
	s.mu.Lock()
	s.serving = false
	s.mu.Unlock()
	return nil
}

// startGoroutine starts p's goroutine chain (process.wait and process.step); its step for
// cmdQuit calls s.wg.Done.
func (s *Supervisor) startGoroutine(p *process) {
	s.wg.Add(1)
	go p.wait()
}

// shutdown is supervisord's ordered stop of every group.
func (s *Supervisor) shutdown() {
	s.mu.Lock()
	s.stopping = true
	groups := s.sortedGroups(true)
	s.mu.Unlock()
	close(s.quit)
	s.hub.publish(Event{Kind: EventSupervisorStopping, Time: s.clock.Now()})
	bg := context.Background()
	for _, g := range groups {
		for _, p := range g.procs {
			p.call(bg, procCmd{kind: cmdShutdown})
		}
	}
	s.stopDependents(groups) // depends.go: dependents before what they depend on
	for i := 0; i < len(groups); {
		j := i
		for j < len(groups) && groups[j].cfg.Priority == groups[i].cfg.Priority {
			j++
		}
		var wg sync.WaitGroup
		for _, g := range groups[i:j] {
			wg.Add(1)
			go func(g *groupEntry) {
				defer wg.Done()
				s.stopGroupAll(g)
			}(g)
		}
		wg.Wait()
		i = j
	}
	for _, g := range groups {
		for _, p := range g.procs {
			p.call(bg, procCmd{kind: cmdQuit})
		}
	}
	s.wg.Wait()
	for _, g := range groups {
		for _, p := range g.procs {
			p.out.close()
		}
	}
	s.syslog.close()
}

// stopGroupAll is a group's stop_all, then a wait until no process of the group has a child.
func (s *Supervisor) stopGroupAll(g *groupEntry) {
	bg := context.Background()
	procs := sortProcs(g.procs, true)
	for _, p := range procs {
		p.call(bg, procCmd{kind: cmdStopAll})
	}
	for _, p := range procs {
		waitSnap(bg, p, gone)
	}
}

func gone(sn *snapshot) bool {
	return sn.info.State.IsStopped() && (sn.info.Pid == 0 || sn.info.State == Unknown) && !sn.cleaning
}

// waitSnap waits until pred holds for the process's latest snapshot, or ctx ends.
func waitSnap(ctx context.Context, p *process, pred func(*snapshot) bool) error {
	for {
		sn := p.snap.Load()
		if pred(sn) {
			return nil
		}
		select {
		case <-sn.changed:
		case <-p.done:
			if sn = p.snap.Load(); pred(sn) {
				return nil
			}
			return ErrShutdown
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sortedGroups returns the groups stably sorted by priority (descending when desc, ties then
// in reverse order, as supervisord's reversed sort). Call with s.mu held.
func (s *Supervisor) sortedGroups(desc bool) []*groupEntry {
	gs := append([]*groupEntry(nil), s.groups...)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].cfg.Priority < gs[j].cfg.Priority })
	if desc {
		for i, j := 0, len(gs)-1; i < j; i, j = i+1, j-1 {
			gs[i], gs[j] = gs[j], gs[i]
		}
	}
	return gs
}

func sortProcs(ps []*process, desc bool) []*process {
	out := append([]*process(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].prog.Priority < out[j].prog.Priority })
	if desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// Add adds a group (supervisord's addProcessGroup) and, while serving, autostarts its programs
// that have AutoStart, in the order of g.Programs. Errors: the group's Validate errors,
// ErrAlreadyAdded, ErrShutdown while shutting down, or an AUTO log file that cannot be created.
func (s *Supervisor) Add(ctx context.Context, g Group) error {
	if err := g.Validate(); err != nil {
		return err
	}
	cfg := g
	cfg.Programs = make([]Program, len(g.Programs))
	for i, p := range g.Programs {
		cfg.Programs[i] = p.WithDefaults()
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return &ProcessError{Op: "add", Name: g.Name, Err: ErrShutdown}
	}
	if s.find(g.Name) != nil {
		s.mu.Unlock()
		return &ProcessError{Op: "add", Name: g.Name, Err: ErrAlreadyAdded}
	}
	e := &groupEntry{cfg: cfg}
	if g.Socket != nil {
		sock := *g.Socket
		e.cfg.Socket = &sock
		e.sock = &sharedSocket{spec: sock, log: s.log}
		if err := e.sock.check(); err != nil {
			s.mu.Unlock()
			return &ProcessError{Op: "add", Name: g.Name, Err: err}
		}
	}
	for i := range cfg.Programs {
		prog := &cfg.Programs[i]
		out, err := s.newOutput(g.Name, *prog)
		if err != nil {
			for _, p := range e.procs {
				p.out.close()
				s.held.release(p.held, s.log)
			}
			s.mu.Unlock()
			return err
		}
		p := newProcess(s, g.Name, prog, out)
		p.sock, p.held = e.sock, s.held.hold(prog.Name, prog.Sockets, s.log)
		e.procs = append(e.procs, p)
	}
	s.groups = append(s.groups, e)
	serving := s.serving
	if serving {
		for _, p := range e.procs {
			s.startGoroutine(p)
		}
	}
	s.mu.Unlock()
	s.hub.publish(Event{Kind: EventGroupAdded, Time: s.clock.Now(), Group: g.Name})
	if serving {
		return s.autostart(ctx, e.procs)
	}
	return nil
}

// autostartWindow is how many autostart spawns run at once: fork+exec blocks only the thread
// that forks, so a few in parallel start many programs faster. They are begun in order.
const autostartWindow = 4

// autostart spawns the never-started AutoStart programs of procs (supervisord's STOPPED ->
// STARTING row), up to autostartWindow at a time, and returns when all were tried, or when ctx
// ended (with its error; the programs not begun stay as they are).
func (s *Supervisor) autostart(ctx context.Context, procs []*process) error {
	sem := make(chan struct{}, autostartWindow)
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func(i int, p *process) {
			defer wg.Done()
			if len(p.prog.DependsOn) > 0 {
				s.autostartAfter(p) // depends.go: now, or later from a goroutine of its own
			} else {
				_, errs[i] = p.call(ctx, procCmd{kind: cmdAutostart})
			}
			<-sem
		}(i, p)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Supervisor) find(name string) *groupEntry {
	for _, g := range s.groups {
		if g.cfg.Name == name {
			return g
		}
	}
	return nil
}

// Remove removes a stopped group (supervisord's removeProcessGroup): ErrNotFound for an unknown
// group, ErrStillRunning if a process is not in a stopped state. Its log files are closed (not
// deleted).
func (s *Supervisor) Remove(ctx context.Context, group string) error {
	s.mu.Lock()
	g := s.find(group)
	if g == nil {
		s.mu.Unlock()
		return &ProcessError{Op: "remove", Name: group, Err: ErrNotFound}
	}
	for _, p := range g.procs {
		if sn := p.snap.Load(); !gone(sn) {
			s.mu.Unlock()
			return &ProcessError{Op: "remove", Name: group, Err: ErrStillRunning}
		}
	}
	for i, x := range s.groups {
		if x == g {
			s.groups = append(s.groups[:i:i], s.groups[i+1:]...)
			break
		}
	}
	serving := s.serving
	s.mu.Unlock()
	for _, p := range g.procs {
		if serving {
			// Not the caller's ctx: the goroutine must end even if ctx already has, since the
			// group is no longer in the table Serve walks at shutdown.
			p.call(context.Background(), procCmd{kind: cmdQuit})
		}
		p.out.close()
		s.held.release(p.held, s.log)
	}
	s.hub.publish(Event{Kind: EventGroupRemoved, Time: s.clock.Now(), Group: group})
	return nil
}

// Update applies a whole new set of groups as `supervisorctl update` does: removed groups are
// stopped and removed, changed groups (any difference in name, priority, programs or socket, AUTO log
// paths compared as AUTO) are updated, new groups are added (and autostart). A changed group
// whose Priority is the same is updated program by program (UpdateGroup: only the programs
// whose spec changed are restarted, unchanged ones keep running), one whose Priority changed
// is stopped, removed and added again, as is one whose Socket URL changed (a Socket is compared by
// URL only, as supervisord compares it). supervisord restarts every program of a changed group
// (its issue #1154). The names are returned like supervisord's reloadConfig; err collects every
// failure (go-multierror) and the work goes on past each one.
func (s *Supervisor) Update(ctx context.Context, groups []Group) (added, changed, removed []string, err error) {
	var errs *multierror.Error
	want := map[string]Group{}
	for _, g := range groups {
		if verr := g.Validate(); verr != nil {
			errs = multierror.Append(errs, verr)
			continue
		}
		want[g.Name] = g
	}
	if errs != nil {
		return nil, nil, nil, errs
	}
	active := s.activeGroups()
	added, changed, removed = diffGroups(active, groups)
	prio := make(map[string]int, len(active))
	sockets := make(map[string]*Socket, len(active))
	for _, a := range active {
		prio[a.Name] = a.Priority
		sockets[a.Name] = a.Socket
	}
	sort.Strings(removed)
	for _, name := range removed {
		errs = multierror.Append(errs, s.stopAndRemove(ctx, name))
	}
	for _, name := range changed {
		if prio[name] == want[name].Priority && sameSocket(sockets[name], want[name].Socket) {
			_, uerr := s.UpdateGroup(ctx, want[name])
			errs = multierror.Append(errs, uerr)
			continue
		}
		if rerr := s.stopAndRemove(ctx, name); rerr != nil {
			errs = multierror.Append(errs, rerr)
			continue
		}
		errs = multierror.Append(errs, s.Add(ctx, want[name]))
	}
	for _, name := range added {
		errs = multierror.Append(errs, s.Add(ctx, want[name]))
	}
	return added, changed, removed, errs.ErrorOrNil()
}

// Diff compares groups with the active groups as Update would, without changing anything
// (supervisorctl reread): added are the names of groups not active, changed those active
// with another spec (any difference in name, priority or programs, AUTO log paths compared
// as AUTO), both in the order of groups; removed are the active groups missing from groups,
// in the order they were added (supervisord's order).
func (s *Supervisor) Diff(groups []Group) (added, changed, removed []string) {
	return diffGroups(s.activeGroups(), groups)
}

// activeGroups are the active groups' specs, in the order the groups were added.
func (s *Supervisor) activeGroups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, len(s.groups))
	for i, g := range s.groups {
		out[i] = g.cfg
	}
	return out
}

// diffGroups is the comparison of Diff and Update.
func diffGroups(active, groups []Group) (added, changed, removed []string) {
	return byname.Diff(active, groups, func(g Group) string { return g.Name }, sameGroup)
}

func (s *Supervisor) stopAndRemove(ctx context.Context, name string) error {
	if s.isServing() { // not serving: nothing runs, there is nothing to stop
		if _, err := s.Stop(ctx, name+":*", true); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return s.Remove(ctx, name)
}

func (s *Supervisor) isServing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serving && !s.stopping
}

// sameGroup compares an active group with a new one as supervisord's __eq__ does.
func sameGroup(active, g Group) bool {
	if active.Name != g.Name || active.Priority != g.Priority || len(active.Programs) != len(g.Programs) {
		return false
	}
	if !sameSocket(active.Socket, g.Socket) {
		return false
	}
	for i, p := range g.Programs {
		if !reflect.DeepEqual(active.Programs[i], p.WithDefaults()) {
			return false
		}
	}
	return true
}

// sameSocket compares two groups' sockets as supervisord's SocketConfig.__eq__: by URL only.
func sameSocket(a, b *Socket) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.URL() == b.URL()
}

// Groups returns the active groups in the order they were added.
func (s *Supervisor) Groups() []GroupInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GroupInfo, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, GroupInfo{Name: g.cfg.Name, Priority: g.cfg.Priority,
			Programs: append([]Program(nil), g.cfg.Programs...)})
	}
	return out
}

// lookup resolves a spec: "all" (or "" when allowAll is set, for Status), "group:*",
// "group:", "group:name" or "name" (group and process of the same name). single reports a
// one-process spec.
func (s *Supervisor) lookup(op, spec string) (procs []*process, single bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec == "all" {
		for _, g := range s.sortedGroups(false) {
			procs = append(procs, sortProcs(g.procs, false)...)
		}
		return procs, false, nil
	}
	gname, pname, hasColon := strings.Cut(spec, ":")
	if !hasColon {
		pname = gname
	}
	g := s.find(gname)
	if g == nil {
		return nil, false, &ProcessError{Op: op, Name: spec, Err: ErrNotFound}
	}
	if pname == "" || pname == "*" {
		return sortProcs(g.procs, false), false, nil
	}
	for _, p := range g.procs {
		if p.prog.Name == pname {
			return []*process{p}, true, nil
		}
	}
	return nil, false, &ProcessError{Op: op, Name: spec, Err: ErrNotFound}
}

func namespec(p *process) string { return makeSpec(p.group, p.prog.Name) }

// result makes the Result of op on p from err (a sentinel, possibly with supervisord's detail).
func result(op string, p *process, err error) Result {
	r := Result{Name: p.prog.Name, Group: p.group}
	if err == nil {
		return r
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		r.Err = err
		return r
	}
	pe := &ProcessError{Op: op, Name: namespec(p), Err: err}
	var de *detailError
	if errors.As(err, &de) {
		pe.Err, pe.Detail = de.err, de.msg
	}
	r.Err = pe
	return r
}

func (s *Supervisor) checkServing(op, spec string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.serving || s.stopping {
		return &ProcessError{Op: op, Name: spec, Err: ErrShutdown}
	}
	return nil
}

// act runs op on the processes of spec: for a single process its error is returned too; for a
// group or "all", filter picks the processes acted on.
func (s *Supervisor) act(ctx context.Context, op, spec string, filter func(State) bool,
	do func(*process) error, wait func(*process) error) ([]Result, error) {
	if err := s.checkServing(op, spec); err != nil {
		return nil, err
	}
	procs, single, err := s.lookup(op, spec)
	if err != nil {
		return nil, err
	}
	if !single {
		var keep []*process
		for _, p := range procs {
			if filter(p.snap.Load().info.State) {
				keep = append(keep, p)
			}
		}
		procs = keep
	}
	results := make([]Result, len(procs))
	errs := make([]error, len(procs))
	for i, p := range procs {
		errs[i] = do(p)
	}
	if wait != nil {
		var wg sync.WaitGroup
		for i, p := range procs {
			if errs[i] != nil {
				continue
			}
			wg.Add(1)
			go func(i int, p *process) {
				defer wg.Done()
				errs[i] = wait(p)
			}(i, p)
		}
		wg.Wait()
	}
	for i, p := range procs {
		results[i] = result(op, p, errs[i])
	}
	if single {
		return results, results[0].Err
	}
	return results, nil
}

func replyErr(r procReply, err error) error {
	if err != nil {
		return err
	}
	return r.err
}

// Start starts the processes of spec (supervisord's startProcess / startProcessGroup /
// startAllProcesses). With wait it returns when each is RUNNING or has failed (ErrSpawn,
// ErrAbnormalTermination), or when ctx ends.
func (s *Supervisor) Start(ctx context.Context, spec string, wait bool) ([]Result, error) {
	spawns := sync.Map{}
	do := func(p *process) error {
		r, err := p.call(ctx, procCmd{kind: cmdStart})
		spawns.Store(p, r.spawns)
		return replyErr(r, err)
	}
	var w func(*process) error
	if wait {
		w = func(p *process) error {
			v, _ := spawns.Load(p)
			return waitStarted(ctx, p, v.(uint64))
		}
	}
	return s.act(ctx, "start", spec, func(st State) bool { return !st.IsRunning() }, do, w)
}

// waitStarted is supervisord's onwait for startProcess.
func waitStarted(ctx context.Context, p *process, spawns uint64) error {
	var err error
	werr := waitSnap(ctx, p, func(sn *snapshot) bool {
		switch {
		case sn.info.SpawnErr != "":
			err = &detailError{err: ErrSpawn, msg: sn.info.SpawnErr}
		case sn.spawns != spawns || (sn.info.State != Starting && sn.info.State != Running):
			err = ErrAbnormalTermination
		case sn.info.State == Running:
			err = nil
		default:
			return false
		}
		return true
	})
	if werr != nil {
		return werr
	}
	return err
}

// Stop stops the processes of spec (stopProcess / stopProcessGroup / stopAllProcesses): the
// stop signal, SIGKILL after StopWait; a BACKOFF process goes to STOPPED at once. With wait it
// returns when each is in a stopped state and the processes of its program that left its
// process group (found by TokenEnv) are gone, or when ctx ends.
func (s *Supervisor) Stop(ctx context.Context, spec string, wait bool) ([]Result, error) {
	do := func(p *process) error {
		r, err := p.call(ctx, procCmd{kind: cmdStop})
		return replyErr(r, err)
	}
	var w func(*process) error
	if wait {
		w = func(p *process) error {
			if !p.snap.Load().info.State.IsStopped() {
				s.log(slog.LevelInfo, "waiting for %s to stop", p.prog.Name)
			}
			// Stopped, and the processes that left the program's group ended too (endEscapees),
			// so that nothing of the program outlives the stop and a remove can follow at once.
			return waitSnap(ctx, p, func(sn *snapshot) bool { return sn.info.State.IsStopped() && !sn.cleaning })
		}
	}
	return s.act(ctx, "stop", spec, State.IsRunning, do, w)
}

// Restart stops (waiting) then starts (waiting) the processes of spec, as supervisorctl
// restart does; a process that was not running is just started. A RUNNING process whose
// program has RestartMode RestartOverlap and held sockets is replaced with overlap instead
// (Deploy). The results are the start's.
func (s *Supervisor) Restart(ctx context.Context, spec string) ([]Result, error) {
	if err := s.checkServing("restart", spec); err != nil {
		return nil, err
	}
	procs, single, err := s.lookup("restart", spec)
	if err != nil {
		return nil, err
	}
	var overlap []*process
	for _, p := range procs {
		if p.prog.RestartMode == RestartOverlap && len(p.held) > 0 && p.snap.Load().info.State == Running {
			overlap = append(overlap, p)
		}
	}
	if len(overlap) == 0 {
		if _, err := s.Stop(ctx, spec, true); err != nil && !errors.Is(err, ErrNotRunning) {
			return nil, err
		}
		return s.Start(ctx, spec, true)
	}
	if single {
		_, err := s.deploy(ctx, procs[0])
		r := result("start", procs[0], unwrapDeploy(err))
		return []Result{r}, r.Err
	}
	// A group: each process on its own, all at once.
	results := make([]Result, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func(i int, p *process) {
			defer wg.Done()
			rs, err := s.Restart(ctx, namespec(p))
			if len(rs) == 1 {
				results[i] = rs[0]
			} else {
				results[i] = result("start", p, err)
			}
		}(i, p)
	}
	wg.Wait()
	return results, nil
}

// Signal sends sig to the processes of spec (signalProcess / signalProcessGroup): to the
// process only, never its group, as supervisord. Only STARTING, RUNNING and STOPPING processes
// can be signalled.
func (s *Supervisor) Signal(ctx context.Context, spec string, sig syscall.Signal) ([]Result, error) {
	if sig <= 0 || sig > 64 {
		return nil, &ProcessError{Op: "signal", Name: spec, Err: ErrBadSignal, Detail: fmt.Sprint(int(sig))}
	}
	do := func(p *process) error {
		r, err := p.call(ctx, procCmd{kind: cmdSignal, sig: sig})
		return replyErr(r, err)
	}
	return s.act(ctx, "signal", spec, State.IsSignallable, do, nil)
}

// StartAll starts every process that is not running, groups and processes by ascending
// priority (supervisord's startAllProcesses).
func (s *Supervisor) StartAll(ctx context.Context, wait bool) []Result {
	r, err := s.Start(ctx, "all", wait)
	if err != nil {
		return []Result{{Err: err}}
	}
	return r
}

// StopAll stops every process in a running state (RUNNING, STARTING, BACKOFF), by ascending
// priority as supervisord's stopAllProcesses.
func (s *Supervisor) StopAll(ctx context.Context, wait bool) []Result {
	r, err := s.Stop(ctx, "all", wait)
	if err != nil {
		return []Result{{Err: err}}
	}
	return r
}

// Status returns the status of the processes of spec ("" or "all" = every process), sorted by
// group then name as getAllProcessInfo.
func (s *Supervisor) Status(spec string) ([]ProcessInfo, error) {
	if spec == "" {
		spec = "all"
	}
	procs, _, err := s.lookup("status", spec)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]ProcessInfo, 0, len(procs))
	for _, p := range procs {
		info := p.snap.Load().info
		info.Now = now
		if max := now.Add(p.prog.FatalRetry); info.RetryAt.After(max) {
			info.RetryAt = max // the wall clock went back since FATAL: the retry is no further than FatalRetry
		}
		out = append(out, info)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// ClearLogs removes the current log files of the processes of spec and starts them empty; the
// backups stay (supervisord's clearProcessLogs). Unlike supervisord, it does so for a process
// that is not running too.
func (s *Supervisor) ClearLogs(spec string) ([]Result, error) {
	procs, single, err := s.lookup("clear", spec)
	if err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(procs))
	for _, p := range procs {
		r := Result{Name: p.prog.Name, Group: p.group}
		if cerr := p.out.clear(); cerr != nil {
			r.Err = &ProcessError{Op: "clear", Name: namespec(p), Err: ErrFailed, Detail: cerr.Error()}
		}
		results = append(results, r)
	}
	if single {
		return results, results[0].Err
	}
	return results, nil
}

// WriteStdin writes data to the stdin of the process name ("group:name" or "name")
// (supervisord's sendProcessStdin): ErrNotRunning if it has no pid or is being stopped. A
// failed write wraps both ErrNotRunning and the write's error (syscall.EPIPE when the child has
// closed its stdin, which supervisord reports as NO_FILE).
func (s *Supervisor) WriteStdin(name string, data []byte) error {
	if err := s.checkServing("stdin", name); err != nil {
		return err
	}
	procs, single, err := s.lookup("stdin", name)
	if err != nil {
		return err
	}
	if !single {
		return &ProcessError{Op: "stdin", Name: name, Err: ErrNotFound}
	}
	r, err := procs[0].call(context.Background(), procCmd{kind: cmdStdin})
	if err = replyErr(r, err); err != nil {
		return result("stdin", procs[0], err).Err
	}
	if r.stdin == nil {
		// A child whose fd 0 is its group's Socket has no stdin channel: supervisord's NO_FILE.
		return &ProcessError{Op: "stdin", Name: name, Err: fmt.Errorf("%w: %w", ErrNotRunning, syscall.EPIPE)}
	}
	if _, err := r.stdin.Write(data); err != nil {
		// Wraps both: the child no longer reads its stdin (EPIPE: supervisord's NO_FILE).
		return &ProcessError{Op: "stdin", Name: name, Err: fmt.Errorf("%w: %w", ErrNotRunning, err)}
	}
	return nil
}

// ReopenLogs closes and reopens every child log file (SIGUSR2, for logrotate(8)'s create).
func (s *Supervisor) ReopenLogs() error {
	s.mu.Lock()
	var outs []*output
	for _, g := range s.groups {
		for _, p := range g.procs {
			outs = append(outs, p.out)
		}
	}
	s.mu.Unlock()
	var errs *multierror.Error
	for _, o := range outs {
		if err := o.reopen(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

// LastOutput returns the last bytes (at most TailBytes) the process name wrote to stdout and
// to stderr (with RedirectStderr both are the same stream).
func (s *Supervisor) LastOutput(name string) (stdout, stderr []byte, err error) {
	procs, single, err := s.lookup("tail", name)
	if err != nil {
		return nil, nil, err
	}
	if !single {
		return nil, nil, &ProcessError{Op: "tail", Name: name, Err: ErrNotFound}
	}
	o := procs[0].out
	return o.stdout.last(), o.stderr.last(), nil
}

// GroupChanges says what UpdateGroup did to the programs of one group (program names, in the
// order of the new spec, then of the old one for Removed).
type GroupChanges struct {
	Added     []string // new programs, added (and autostarted while serving)
	Changed   []string // programs whose spec changed: stopped, replaced and started again
	Removed   []string // programs no longer in the group: stopped and removed
	Unchanged []string // programs left alone: a running one keeps running, same pid
}

// UpdateGroup applies a new spec of the active group g.Name program by program: programs whose
// spec changed (AUTO log paths compared as AUTO) are stopped (waiting), replaced and started
// if AutoStart; new programs are added and autostarted; programs no longer listed are stopped
// and removed; unchanged programs keep running untouched. The programs then take the order of
// g.Programs. supervisord instead restarts the whole group when any program changed (its issue
// #1154).
//
// A group whose Priority changed is replaced whole (stopped, removed, added again), as its
// place in the start and stop order changes; every program is then Changed, Added or Removed.
// Errors: g's Validate errors, ErrNotFound for a group that is not active, and every failure
// of a stop or of a log file that cannot be created (go-multierror); the work goes on past each.
func (s *Supervisor) UpdateGroup(ctx context.Context, g Group) (GroupChanges, error) {
	var ch GroupChanges
	if err := g.Validate(); err != nil {
		return ch, err
	}
	cfg := g
	cfg.Programs = make([]Program, len(g.Programs))
	for i, p := range g.Programs {
		cfg.Programs[i] = p.WithDefaults()
	}
	s.mu.Lock()
	e := s.find(g.Name)
	if e == nil {
		s.mu.Unlock()
		return ch, &ProcessError{Op: "update", Name: g.Name, Err: ErrNotFound}
	}
	old := map[string]*process{}
	for _, p := range e.procs {
		old[p.prog.Name] = p
	}
	// A group whose socket changed is made again, as one whose priority changed.
	samePriority := e.cfg.Priority == g.Priority && reflect.DeepEqual(e.cfg.Socket, g.Socket)
	oldProcs := e.procs
	s.mu.Unlock()

	if !samePriority {
		inNew := map[string]bool{}
		for _, p := range cfg.Programs {
			inNew[p.Name] = true
			if old[p.Name] != nil {
				ch.Changed = append(ch.Changed, p.Name)
			} else {
				ch.Added = append(ch.Added, p.Name)
			}
		}
		for _, p := range oldProcs {
			if !inNew[p.prog.Name] {
				ch.Removed = append(ch.Removed, p.prog.Name)
			}
		}
		if err := s.stopAndRemove(ctx, g.Name); err != nil {
			return ch, err
		}
		return ch, s.Add(ctx, g)
	}

	keep := map[string]bool{}
	for _, p := range cfg.Programs {
		o := old[p.Name]
		switch {
		case o == nil:
			ch.Added = append(ch.Added, p.Name)
		case reflect.DeepEqual(*o.prog, p):
			ch.Unchanged = append(ch.Unchanged, p.Name)
			keep[p.Name] = true
		default:
			ch.Changed = append(ch.Changed, p.Name)
		}
	}
	var retire []*process // processes to stop and retire
	for _, p := range oldProcs {
		if !keep[p.prog.Name] {
			retire = append(retire, p)
			found := false
			for _, q := range cfg.Programs {
				found = found || q.Name == p.prog.Name
			}
			if !found {
				ch.Removed = append(ch.Removed, p.prog.Name)
			}
		}
	}
	var errs *multierror.Error
	serving := s.isServing()
	overlap := map[string]*process{} // retired with overlap (overlapUpdate), by name
	if serving {
		overlap = s.overlapCandidates(retire, cfg.Programs)
	}
	if serving {
		for _, p := range sortProcs(retire, true) {
			if overlap[p.prog.Name] == p {
				continue
			}
			if _, err := p.call(ctx, procCmd{kind: cmdStop}); err != nil {
				errs = multierror.Append(errs, result("stop", p, err).Err)
			}
		}
		for _, p := range retire {
			if overlap[p.prog.Name] == p {
				continue
			}
			if err := waitSnap(ctx, p, gone); err != nil {
				errs = multierror.Append(errs, result("stop", p, err).Err)
			}
		}
		if errs != nil {
			return ch, errs
		}
	}

	s.mu.Lock()
	if s.find(g.Name) != e {
		s.mu.Unlock()
		return ch, &ProcessError{Op: "update", Name: g.Name, Err: ErrNotFound}
	}
	var procs, fresh []*process
	for i := range cfg.Programs {
		prog := &cfg.Programs[i]
		if keep[prog.Name] {
			procs = append(procs, old[prog.Name])
			continue
		}
		out, err := s.newOutput(g.Name, *prog)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		// A changed program keeps the sockets it still names (held by its retired process).
		var held []*heldSocket
		if o := old[prog.Name]; o != nil && overlap[prog.Name] == nil {
			held = s.held.swap(o.held, prog.Name, prog.Sockets, s.log)
			o.held = nil
		} else {
			held = s.held.hold(prog.Name, prog.Sockets, s.log)
		}
		p := newProcess(s, g.Name, prog, out)
		p.sock, p.held = e.sock, held
		procs = append(procs, p)
		fresh = append(fresh, p)
	}
	cfg.Socket = e.cfg.Socket
	e.cfg, e.procs = cfg, procs
	serving = s.serving
	if serving {
		for _, p := range fresh {
			s.startGoroutine(p)
		}
	}
	s.mu.Unlock()
	for _, p := range retire {
		if overlap[p.prog.Name] == p {
			continue
		}
		s.quitRetired(p, serving)
	}
	if serving {
		var auto []*process
		for _, p := range fresh {
			if o := overlap[p.prog.Name]; o != nil {
				errs = multierror.Append(errs, s.overlapUpdate(ctx, o, p))
			} else {
				auto = append(auto, p)
			}
		}
		errs = multierror.Append(errs, s.autostart(ctx, auto))
	}
	return ch, errs.ErrorOrNil()
}
