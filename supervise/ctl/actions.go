package ctl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// This file holds supervisorctl's actions other than the log readers (tail.go), one method
// for each of its do_* functions, with its texts and exit statuses.

func (s *Session) doHelp(arg string) error {
	switch arg = strings.TrimSpace(arg); {
	case arg == "help":
		s.Help("help")
	case arg == "":
		s.Output(helpTopics)
	default:
		if _, ok := s.commands[arg]; ok && arg != "EOF" {
			s.Help(arg)
			return nil
		}
		s.Output("*** No help on " + arg)
	}
	return nil
}

func (s *Session) doQuit(string) error {
	s.Output("")
	s.quit = true
	return nil
}

func contains(list []string, x string) bool {
	for _, e := range list {
		if e == x {
			return true
		}
	}
	return false
}

func (s *Session) doStatus(arg string) error {
	ok, err := s.upcheck()
	if err != nil {
		return err
	}
	if !ok {
		s.exit = ExitStatusUnknown
		return nil
	}
	all, err := s.client.GetAllProcessInfo(s.ctx)
	if err != nil {
		return err
	}
	names := strings.Fields(arg)
	matching := all
	if len(names) > 0 && !contains(names, "all") {
		matching = nil
		for _, name := range names {
			group, process := rpc.SplitNamespec(name)
			bad := true
			for _, info := range all {
				if info.Group == group && (process == "" || info.Name == process) {
					bad = false
					matching = append(matching, info)
				}
			}
			if bad {
				if process == "" {
					s.Output(group + ": ERROR (no such group)")
				} else {
					s.Output(name + ": ERROR (no such process)")
				}
				s.exit = ExitStatusUnknown
			}
		}
	}
	s.showStatuses(matching)
	for _, info := range matching {
		if info.State.IsStopped() {
			s.exit = ExitStatusNotRunning
		}
	}
	return nil
}

func (s *Session) showStatuses(infos []rpc.ProcessInfo) {
	if s.rec != nil {
		s.rec.addStatuses(infos)
		return
	}
	for _, l := range statusLines(infos, "", 0, statusWidth(infos)) {
		s.Output(l)
	}
}

// statusWidth is the width of supervisorctl's name column for infos: the longest name, at
// least 30.
func statusWidth(infos []rpc.ProcessInfo) int {
	maxlen := 30
	for _, info := range infos {
		maxlen = max(maxlen, pyLen(info.Namespec()))
	}
	return maxlen
}

// statusLines are supervisorctl's status lines of infos: the names padded to maxlen plus 3,
// the state names to 10. A fleet's merged status puts the server's name before each,
// padded to width.
func statusLines(infos []rpc.ProcessInfo, server string, width, maxlen int) []string {
	lines := make([]string, len(infos))
	for i, info := range infos {
		lines[i] = pad(server, width) + pad(info.Namespec(), maxlen+3) + pad(info.StateName, 10) + info.Description
	}
	return lines
}

// pyLen is len() of a Python str: characters, not bytes.
func pyLen(s string) int { return len([]rune(s)) }

// pad is Python's "%-Ns".
func pad(s string, n int) string {
	if k := pyLen(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

func (s *Session) doPid(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		pid, err := s.client.GetPID(s.ctx)
		if err != nil {
			return err
		}
		s.Output(strconv.Itoa(pid))
	case contains(names, "all"):
		infos, err := s.client.GetAllProcessInfo(s.ctx)
		if err != nil {
			return err
		}
		for _, info := range infos {
			s.Output(strconv.Itoa(info.Pid))
		}
	default:
		for _, name := range names {
			info, err := s.client.GetProcessInfo(s.ctx, name)
			if err != nil {
				s.exit = ExitGeneric
				if isFault(err, rpc.FaultBadName) {
					s.Output("No such process " + name)
					continue
				}
				return err
			}
			s.Output(strconv.Itoa(info.Pid))
			if info.Pid == 0 {
				s.exit = ExitNotRunning
			}
		}
	}
	return nil
}

// startResult is supervisorctl's _startresult.
func startResult(r rpc.ProcessResult) (string, error) {
	name := r.Namespec()
	var what string
	switch r.Status {
	case rpc.FaultBadName:
		what = "no such process"
	case rpc.FaultNoFile:
		what = "no such file"
	case rpc.FaultNotExecutable:
		what = "file is not executable"
	case rpc.FaultAlreadyStarted:
		what = "already started"
	case rpc.FaultSpawnError:
		what = "spawn error"
	case rpc.FaultAbnormalTermination:
		what = "abnormal termination"
	case rpc.FaultSuccess:
		return name + ": started", nil
	default:
		return "", fmt.Errorf("Unknown result code %d for %s", r.Status, name)
	}
	return name + ": ERROR (" + what + ")", nil
}

// signalResult is supervisorctl's _signalresult (and _stopresult with success "stopped").
func signalResult(r rpc.ProcessResult, success string) (string, error) {
	name := r.Namespec()
	switch r.Status {
	case rpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case rpc.FaultBadSignal:
		return name + ": ERROR (bad signal name)", nil
	case rpc.FaultNotRunning:
		return name + ": ERROR (not running)", nil
	case rpc.FaultSuccess:
		return name + ": " + success, nil
	case rpc.FaultFailed:
		return r.Description, nil
	}
	return "", fmt.Errorf("Unknown result code %d for %s", r.Status, name)
}

func stopResult(r rpc.ProcessResult) (string, error) { return signalResult(r, "stopped") }

func sigResult(r rpc.ProcessResult) (string, error) { return signalResult(r, "signalled") }

// clearResult is supervisorctl's _clearresult.
func clearResult(r rpc.ProcessResult) (string, error) {
	name := r.Namespec()
	switch r.Status {
	case rpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case rpc.FaultFailed:
		return name + ": ERROR (failed)", nil
	case rpc.FaultSuccess:
		return name + ": cleared", nil
	}
	return "", fmt.Errorf("Unknown result code %d for %s", r.Status, name)
}

// showResults prints the results of a call on many processes with p.format and sets the
// exit status from each (a status equal to p.ignored counts as success).
func (s *Session) showResults(rs []rpc.ProcessResult, p perProcess) error {
	for _, r := range rs {
		line, err := p.format(r)
		if err != nil {
			return err
		}
		s.Output(line)
		s.setExitFromFault(r.Status, p.ignored)
		s.rec.addResult(p.action, r, line, r.Status == rpc.FaultSuccess || r.Status == p.ignored)
	}
	return nil
}

// perProcess is the shape of start, stop, signal and clear: "all" calls onAll; each
// "group:*" calls onGroup (nil: the name goes to onOne); each other name calls onOne, whose
// fault is shown as supervisorctl shows a one-process result. An error other than a fault
// escapes.
type perProcess struct {
	action  string // "start", "stop", "signal", "clear": ProcessOutcome.Action
	format  func(rpc.ProcessResult) (string, error)
	ignored int    // the status that counts as success besides SUCCESS
	done    string // the text for a success of onOne: "started"
	onAll   func() ([]rpc.ProcessResult, error)
	onGroup func(group string) ([]rpc.ProcessResult, error)
	// groupFault handles a fault of onGroup (BAD_NAME); false lets it escape.
	groupFault func(group string, err error) bool
	onOne      func(name string) error
}

func (s *Session) runPerProcess(names []string, p perProcess) error {
	if contains(names, "all") {
		rs, err := p.onAll()
		if err != nil {
			return err
		}
		return s.showResults(rs, p)
	}
	for _, name := range names {
		group, process := rpc.SplitNamespec(name)
		if process == "" && p.onGroup != nil {
			rs, err := p.onGroup(group)
			if err != nil {
				if p.groupFault(group, err) {
					continue
				}
				return err
			}
			if err := s.showResults(rs, p); err != nil {
				return err
			}
			continue
		}
		if err := p.onOne(name); err != nil {
			var f *rpc.Fault
			if !asFault(err, &f) {
				return err
			}
			r := rpc.ProcessResult{Name: process, Group: group, Status: f.Code, Description: f.String}
			if err := s.showResults([]rpc.ProcessResult{r}, p); err != nil {
				return err
			}
			continue
		}
		line := rpc.Namespec(group, process) + ": " + p.done
		s.Output(line)
		s.rec.addResult(p.action, rpc.ProcessResult{Name: process, Group: group, Status: rpc.FaultSuccess, Description: "OK"}, line, true)
	}
	return nil
}

// usageError prints supervisorctl's "Error: <what>", the action's help, and sets exit.
func (s *Session) usageError(action, what string, exit int) {
	s.Output("Error: " + what)
	s.exit = exit
	s.Help(action)
}

func (s *Session) doStart(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		s.usageError("start", "start requires a process name", ExitInvalidArgs)
		return nil
	}
	ctx, c := s.ctx, s.client
	return s.runPerProcess(names, perProcess{
		action: "start", format: startResult, ignored: rpc.FaultAlreadyStarted, done: "started",
		onAll:   func() ([]rpc.ProcessResult, error) { return c.StartAllProcesses(ctx) },
		onGroup: func(g string) ([]rpc.ProcessResult, error) { return c.StartProcessGroup(ctx, g) },
		groupFault: func(g string, err error) bool {
			if isFault(err, rpc.FaultBadName) {
				s.Output(g + ": ERROR (no such group)")
				s.exit = ExitInvalidArgs
				return true
			}
			s.exit = ExitGeneric
			return false
		},
		onOne: func(name string) error { return c.StartProcess(ctx, name) },
	})
}

func (s *Session) doStop(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		s.usageError("stop", "stop requires a process name", ExitGeneric)
		return nil
	}
	ctx, c := s.ctx, s.client
	return s.runPerProcess(names, perProcess{
		action: "stop", format: stopResult, ignored: rpc.FaultNotRunning, done: "stopped",
		onAll:   func() ([]rpc.ProcessResult, error) { return c.StopAllProcesses(ctx) },
		onGroup: func(g string) ([]rpc.ProcessResult, error) { return c.StopProcessGroup(ctx, g) },
		groupFault: func(g string, err error) bool {
			s.exit = ExitGeneric
			if isFault(err, rpc.FaultBadName) {
				s.Output(g + ": ERROR (no such group)")
				return true
			}
			return false
		},
		onOne: func(name string) error { return c.StopProcess(ctx, name) },
	})
}

func (s *Session) doSignal(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	if len(args) < 2 {
		s.Output("Error: signal requires a signal name and a process name")
		s.Help("signal")
		s.exit = ExitGeneric
		return nil
	}
	sig, names := args[0], args[1:]
	ctx, c := s.ctx, s.client
	return s.runPerProcess(names, perProcess{
		action: "signal", format: sigResult, ignored: -1, done: "signalled",
		onAll:   func() ([]rpc.ProcessResult, error) { return c.SignalAllProcesses(ctx, sig) },
		onGroup: func(g string) ([]rpc.ProcessResult, error) { return c.SignalProcessGroup(ctx, g, sig) },
		groupFault: func(g string, err error) bool {
			if isFault(err, rpc.FaultBadName) {
				s.Output(g + ": ERROR (no such group)")
				s.exit = ExitGeneric
				return true
			}
			return false
		},
		onOne: func(name string) error { return c.SignalProcess(ctx, name, sig) },
	})
}

func (s *Session) doClear(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		s.usageError("clear", "clear requires a process name", ExitGeneric)
		return nil
	}
	ctx, c := s.ctx, s.client
	return s.runPerProcess(names, perProcess{
		action: "clear", format: clearResult, ignored: -1, done: "cleared",
		onAll: func() ([]rpc.ProcessResult, error) { return c.ClearAllProcessLogs(ctx) },
		onOne: func(name string) error { return c.ClearProcessLogs(ctx, name) },
	})
}

func (s *Session) doRestart(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	if len(strings.Fields(arg)) == 0 {
		s.usageError("restart", "restart requires a process name", ExitGeneric)
		return nil
	}
	if err := s.doStop(arg); err != nil {
		return err
	}
	return s.doStart(arg)
}

// noArgs prints supervisorctl's "Error: <action> accepts no arguments" and the help when
// arg is not empty.
func (s *Session) noArgs(action, arg string) bool {
	if arg == "" {
		return true
	}
	s.usageError(action, action+" accepts no arguments", ExitGeneric)
	return false
}

func (s *Session) doShutdown(arg string) error {
	if !s.noArgs("shutdown", arg) {
		return nil
	}
	err := s.client.Shutdown(s.ctx)
	switch {
	case err == nil:
		s.Output("Shut down")
		return nil
	case isFault(err, rpc.FaultShutdownState):
		s.Output("ERROR: already shutting down")
		return nil
	}
	s.exit = ExitGeneric
	switch {
	case isErrno(err, syscall.ECONNREFUSED):
		s.Output(fmt.Sprintf("ERROR: %s refused connection (already shut down?)", s.settings.ServerURL))
		return nil
	case isErrno(err, syscall.ENOENT):
		s.Output(fmt.Sprintf("ERROR: %s no such file (already shut down?)", s.settings.ServerURL))
		return nil
	}
	return err
}

func (s *Session) doReload(arg string) error {
	if !s.noArgs("reload", arg) {
		return nil
	}
	if err := s.client.Restart(s.ctx); err != nil {
		if code, ok := faultCode(err); ok {
			s.exit = ExitGeneric
			if code == rpc.FaultShutdownState {
				s.Output("ERROR: already shutting down")
				return nil
			}
		}
		return err
	}
	s.Output("Restarted supervisord")
	return nil
}

// formatChanges is supervisorctl's _formatChanges of reloadConfig's answer.
func (s *Session) formatChanges(ch rpc.ConfigChanges) {
	m := map[string]string{}
	for _, n := range ch.Added {
		m[n] = "available"
	}
	for _, n := range ch.Changed {
		m[n] = "changed"
	}
	for _, n := range ch.Removed {
		m[n] = "disappeared"
	}
	if len(m) == 0 {
		s.Output("No config updates to processes")
		return
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s.Output(n + ": " + m[n])
	}
}

func (s *Session) doAvail(arg string) error {
	if !s.noArgs("avail", arg) {
		return nil
	}
	infos, err := s.client.GetAllConfigInfo(s.ctx)
	if err != nil {
		if code, ok := faultCode(err); ok {
			s.exit = ExitGeneric
			if code == rpc.FaultShutdownState {
				s.Output("ERROR: supervisor shutting down")
				return nil
			}
		}
		return err
	}
	for _, ci := range infos {
		inuse, auto := "avail", "manual"
		if ci.InUse {
			inuse = "in use"
		}
		if ci.AutoStart {
			auto = "auto"
		}
		s.Output(fmt.Sprintf("%s %s %s %d:%d", pad(rpc.Namespec(ci.Group, ci.Name), 32),
			pad(inuse, 9), pad(auto, 9), ci.GroupPrio, ci.ProcessPrio))
	}
	return nil
}

func (s *Session) doReread(arg string) error {
	if !s.noArgs("reread", arg) {
		return nil
	}
	ch, err := s.client.ReloadConfig(s.ctx)
	if err != nil {
		var f *rpc.Fault
		if asFault(err, &f) {
			s.exit = ExitGeneric
			switch f.Code {
			case rpc.FaultShutdownState:
				s.Output("ERROR: supervisor shutting down")
				return nil
			case rpc.FaultCantReread:
				s.Output("ERROR: " + f.String)
				return nil
			}
		}
		return err
	}
	s.formatChanges(ch)
	return nil
}

func (s *Session) doAdd(arg string) error {
	for _, name := range strings.Fields(arg) {
		err := s.client.AddProcessGroup(s.ctx, name)
		if err == nil {
			s.Output(name + ": added process group")
			continue
		}
		switch {
		case isFault(err, rpc.FaultShutdownState):
			s.Output("ERROR: shutting down")
			s.exit = ExitGeneric
		case isFault(err, rpc.FaultAlreadyAdded):
			s.Output("ERROR: process group already active")
		case isFault(err, rpc.FaultBadName):
			s.Output("ERROR: no such process/group: " + name)
			s.exit = ExitGeneric
		default:
			s.exit = ExitGeneric
			return err
		}
	}
	return nil
}

func (s *Session) doRemove(arg string) error {
	for _, name := range strings.Fields(arg) {
		err := s.client.RemoveProcessGroup(s.ctx, name)
		if err == nil {
			s.Output(name + ": removed process group")
			continue
		}
		s.exit = ExitGeneric
		switch {
		case isFault(err, rpc.FaultStillRunning):
			s.Output("ERROR: process/group still running: " + name)
		case isFault(err, rpc.FaultBadName):
			s.Output("ERROR: no such process/group: " + name)
		default:
			return err
		}
	}
	return nil
}

func (s *Session) doUpdate(arg string) error {
	ch, err := s.client.ReloadConfig(s.ctx)
	if err != nil {
		s.exit = ExitGeneric
		if isFault(err, rpc.FaultShutdownState) {
			s.Output("ERROR: already shutting down")
			return nil
		}
		return err
	}
	valid := map[string]bool{}
	var order []string
	for _, g := range strings.Fields(arg) {
		if !valid[g] {
			order = append(order, g)
		}
		valid[g] = true
	}
	if valid["all"] {
		valid, order = map[string]bool{}, nil
	}
	if len(valid) > 0 {
		infos, err := s.client.GetAllProcessInfo(s.ctx)
		if err != nil {
			return err
		}
		groups := map[string]bool{}
		for _, info := range infos {
			groups[info.Group] = true
		}
		for _, g := range ch.Added {
			groups[g] = true
		}
		for _, g := range order {
			if !groups[g] {
				s.Output("ERROR: no such group: " + g)
				s.exit = ExitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(valid) > 0 && !valid[g] }
	for _, g := range ch.Removed {
		if skip(g) {
			continue
		}
		rs, err := s.client.StopProcessGroup(s.ctx, g)
		if err != nil {
			return err
		}
		s.Output(g + ": stopped")
		failed := false
		for _, r := range rs {
			failed = failed || r.Status == rpc.FaultFailed
		}
		if failed {
			s.Output(g + ": has problems; not removing")
			s.exit = ExitGeneric
			continue
		}
		if err := s.client.RemoveProcessGroup(s.ctx, g); err != nil {
			return err
		}
		s.Output(g + ": removed process group")
	}
	for _, g := range ch.Changed {
		if skip(g) {
			continue
		}
		// supervisord-lite restarts only the programs that changed; a server without the
		// method (a real supervisord) gets supervisorctl's whole-group sequence below.
		err := s.client.UpdateProcessGroup(s.ctx, g)
		if err == nil {
			s.Output(g + ": stopped")
			s.Output(g + ": updated process group")
			continue
		}
		if !isFault(err, rpc.FaultUnknownMethod) {
			return err
		}
		if _, err := s.client.StopProcessGroup(s.ctx, g); err != nil {
			return err
		}
		s.Output(g + ": stopped")
		if err := s.client.RemoveProcessGroup(s.ctx, g); err != nil {
			return err
		}
		if err := s.client.AddProcessGroup(s.ctx, g); err != nil {
			return err
		}
		s.Output(g + ": updated process group")
	}
	for _, g := range ch.Added {
		if skip(g) {
			continue
		}
		if err := s.client.AddProcessGroup(s.ctx, g); err != nil {
			return err
		}
		s.Output(g + ": added process group")
	}
	return nil
}

func (s *Session) doOpen(arg string) error {
	u := strings.TrimSpace(arg)
	if !strings.HasPrefix(u, "unix:") && !strings.HasPrefix(u, "http:") {
		s.Output("ERROR: url must be http:// or unix://")
		s.exit = ExitGeneric
		return nil
	}
	client, err := rpc.Dial(u, s.settings.Username, s.settings.Password)
	if err != nil {
		s.Output("ERROR: url must be http:// or unix://")
		s.exit = ExitGeneric
		return nil
	}
	// The session talks to the new server from now on (the shell's later commands too).
	s.client.Close()
	s.client, s.settings.ServerURL = client, u
	prev := s.exit
	err = s.doStatus("")
	s.exit = prev
	return err
}

func (s *Session) doVersion(arg string) error {
	if !s.noArgs("version", arg) {
		return nil
	}
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	v, err := s.client.GetSupervisorVersion(s.ctx)
	if err != nil {
		return err
	}
	s.Output(v)
	return nil
}
