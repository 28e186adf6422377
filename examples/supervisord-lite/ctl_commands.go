package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// ctlHelpTopics is what `help` prints: cmd.Cmd's print_topics of the actions, 15 wide in 80
// columns.
const ctlHelpTopics = `
default commands (type help <topic>):
=====================================
add    exit      open  reload  restart   start   tail   
avail  fg        pid   remove  shutdown  status  update 
clear  maintail  quit  reread  signal    stop    version
`

// stopped states of supervisord (STOPPED, EXITED, FATAL, UNKNOWN are not all: STOPPED_STATES
// is STOPPED, EXITED, FATAL, UNKNOWN).
func isStoppedState(state int64) bool {
	switch state {
	case 0, 100, 200, 1000: // STOPPED, EXITED, FATAL, UNKNOWN
		return true
	}
	return false
}

func faultOf(err error) (*rpc.Fault, bool) {
	var f *rpc.Fault
	ok := errors.As(err, &f)
	return f, ok
}

func (c *controller) doHelp(arg string) error {
	arg = strings.TrimSpace(arg)
	switch {
	case arg == "help":
		c.showHelp("help")
	case arg == "":
		c.output(ctlHelpTopics)
	default:
		if _, ok := ctlCommands[arg]; ok && arg != "EOF" {
			c.showHelp(arg)
			return nil
		}
		c.output("*** No help on " + arg)
	}
	return nil
}

func (c *controller) doQuit(string) error {
	c.output("")
	return nil
}

func (c *controller) doStatus(arg string) error {
	ok, err := c.upcheck()
	if err != nil {
		return err
	}
	if !ok {
		c.exit = exitStatusUnknown
		return nil
	}
	all, err := records(c.call("supervisor.getAllProcessInfo"))
	if err != nil {
		return err
	}
	names := strings.Fields(arg)
	matching := all
	if len(names) > 0 && !contains(names, "all") {
		matching = nil
		for _, name := range names {
			group, process := splitNamespec(name)
			bad := true
			for _, info := range all {
				if info.str("group") == group && (process == "" || info.str("name") == process) {
					bad = false
					matching = append(matching, info)
				}
			}
			if bad {
				if process == "" {
					c.output(group + ": ERROR (no such group)")
				} else {
					c.output(name + ": ERROR (no such process)")
				}
				c.exit = exitStatusUnknown
			}
		}
	}
	c.showStatuses(matching)
	for _, info := range matching {
		if isStoppedState(info.int("state")) {
			c.exit = exitStatusNotRun
		}
	}
	return nil
}

func (c *controller) showStatuses(infos []record) {
	maxlen := 30
	specs := make([]string, len(infos))
	for i, info := range infos {
		specs[i] = makeNamespec(info.str("group"), info.str("name"))
		if n := pyLen(specs[i]); n > maxlen {
			maxlen = n
		}
	}
	for i, info := range infos {
		c.output(pad(specs[i], maxlen+3) + pad(info.str("statename"), 10) + info.str("description"))
	}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *controller) doPid(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		v, err := c.call("supervisor.getPID")
		if err != nil {
			return err
		}
		c.output(pyStr(v))
	case contains(names, "all"):
		infos, err := records(c.call("supervisor.getAllProcessInfo"))
		if err != nil {
			return err
		}
		for _, info := range infos {
			c.output(strconv.FormatInt(info.int("pid"), 10))
		}
	default:
		for _, name := range names {
			v, err := c.call("supervisor.getProcessInfo", name)
			if err != nil {
				c.exit = exitGeneric
				if f, ok := faultOf(err); ok && f.Code == rpc.FaultBadName {
					c.output("No such process " + name)
					continue
				}
				return err
			}
			pid := record{v}.int("pid")
			c.output(strconv.FormatInt(pid, 10))
			if pid == 0 {
				c.exit = exitNotRunning
			}
		}
	}
	return nil
}

// startResult is supervisorctl's _startresult.
func startResult(r record) (string, error) {
	name := makeNamespec(r.str("group"), r.str("name"))
	var what string
	switch r.int("status") {
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
		return "", fmt.Errorf("Unknown result code %d for %s", r.int("status"), name)
	}
	return name + ": ERROR (" + what + ")", nil
}

// signalResult is supervisorctl's _signalresult (and _stopresult with success "stopped").
func signalResult(r record, success string) (string, error) {
	name := makeNamespec(r.str("group"), r.str("name"))
	switch r.int("status") {
	case rpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case rpc.FaultBadSignal:
		return name + ": ERROR (bad signal name)", nil
	case rpc.FaultNotRunning:
		return name + ": ERROR (not running)", nil
	case rpc.FaultSuccess:
		return name + ": " + success, nil
	case rpc.FaultFailed:
		return r.str("description"), nil
	}
	return "", fmt.Errorf("Unknown result code %d for %s", r.int("status"), name)
}

// faultRecord is the result record supervisorctl builds from a fault of a single-process call.
func faultRecord(f *rpc.Fault, group, process string) record {
	return record{faultStruct{"status": int64(f.Code), "name": process, "group": group, "description": f.String}}
}

type faultStruct map[string]any

func (f faultStruct) Get(name string) (any, bool) { v, ok := f[name]; return v, ok }

// showResults prints group/all results with format and sets the exit status.
func (c *controller) showResults(rs []record, format func(record) (string, error), ignored int) error {
	for _, r := range rs {
		line, err := format(r)
		if err != nil {
			return err
		}
		c.output(line)
		c.setExitFromFault(r.int("status"), ignored)
	}
	return nil
}

func stopResult(r record) (string, error) { return signalResult(r, "stopped") }

func sigResult(r record) (string, error) { return signalResult(r, "signalled") }

func (c *controller) doStart(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: start requires a process name")
		c.exit = exitInvalidArgs
		c.showHelp("start")
		return nil
	}
	if contains(names, "all") {
		rs, err := records(c.call("supervisor.startAllProcesses"))
		if err != nil {
			return err
		}
		return c.showResults(rs, startResult, rpc.FaultAlreadyStarted)
	}
	for _, name := range names {
		group, process := splitNamespec(name)
		if process == "" {
			rs, err := records(c.call("supervisor.startProcessGroup", group))
			if err != nil {
				if f, ok := faultOf(err); ok && f.Code == rpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exit = exitInvalidArgs
					continue
				}
				c.exit = exitGeneric
				return err
			}
			if err := c.showResults(rs, startResult, rpc.FaultAlreadyStarted); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call("supervisor.startProcess", name); err != nil {
			f, ok := faultOf(err)
			if !ok {
				return err
			}
			if err := c.showResults([]record{faultRecord(f, group, process)}, startResult, rpc.FaultAlreadyStarted); err != nil {
				return err
			}
			continue
		}
		c.output(makeNamespec(group, process) + ": started")
	}
	return nil
}

func (c *controller) doStop(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: stop requires a process name")
		c.exit = exitGeneric
		c.showHelp("stop")
		return nil
	}
	if contains(names, "all") {
		rs, err := records(c.call("supervisor.stopAllProcesses"))
		if err != nil {
			return err
		}
		return c.showResults(rs, stopResult, rpc.FaultNotRunning)
	}
	for _, name := range names {
		group, process := splitNamespec(name)
		if process == "" {
			rs, err := records(c.call("supervisor.stopProcessGroup", group))
			if err != nil {
				c.exit = exitGeneric
				if f, ok := faultOf(err); ok && f.Code == rpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					continue
				}
				return err
			}
			if err := c.showResults(rs, stopResult, rpc.FaultNotRunning); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call("supervisor.stopProcess", name); err != nil {
			f, ok := faultOf(err)
			if !ok {
				return err
			}
			if err := c.showResults([]record{faultRecord(f, group, process)}, stopResult, rpc.FaultNotRunning); err != nil {
				return err
			}
			continue
		}
		c.output(makeNamespec(group, process) + ": stopped")
	}
	return nil
}

func (c *controller) doSignal(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	if len(args) < 2 {
		c.output("Error: signal requires a signal name and a process name")
		c.showHelp("signal")
		c.exit = exitGeneric
		return nil
	}
	sig, names := args[0], args[1:]
	if contains(names, "all") {
		rs, err := records(c.call("supervisor.signalAllProcesses", sig))
		if err != nil {
			return err
		}
		return c.showResults(rs, sigResult, -1)
	}
	for _, name := range names {
		group, process := splitNamespec(name)
		if process == "" {
			rs, err := records(c.call("supervisor.signalProcessGroup", group, sig))
			if err != nil {
				if f, ok := faultOf(err); ok && f.Code == rpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exit = exitGeneric
					continue
				}
				return err
			}
			if err := c.showResults(rs, sigResult, -1); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call("supervisor.signalProcess", name, sig); err != nil {
			f, ok := faultOf(err)
			if !ok {
				return err
			}
			if err := c.showResults([]record{faultRecord(f, group, process)}, sigResult, -1); err != nil {
				return err
			}
			continue
		}
		c.output(makeNamespec(group, process) + ": signalled")
	}
	return nil
}

func (c *controller) doRestart(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	if len(strings.Fields(arg)) == 0 {
		c.output("Error: restart requires a process name")
		c.exit = exitGeneric
		c.showHelp("restart")
		return nil
	}
	if err := c.doStop(arg); err != nil {
		return err
	}
	return c.doStart(arg)
}

func (c *controller) doShutdown(arg string) error {
	if arg != "" {
		c.output("Error: shutdown accepts no arguments")
		c.exit = exitGeneric
		c.showHelp("shutdown")
		return nil
	}
	if _, err := c.call("supervisor.shutdown"); err != nil {
		if f, ok := faultOf(err); ok {
			if f.Code == rpc.FaultShutdownState {
				c.output("ERROR: already shutting down")
				return nil
			}
			c.exit = exitGeneric
			return err
		}
		c.exit = exitGeneric
		if errno, ok := errnoOf(err); ok {
			switch errno {
			case errConnRefused:
				c.output(fmt.Sprintf("ERROR: %s refused connection (already shut down?)", c.settings.serverURL))
				return nil
			case errNoEnt:
				c.output(fmt.Sprintf("ERROR: %s no such file (already shut down?)", c.settings.serverURL))
				return nil
			}
		}
		return err
	}
	c.output("Shut down")
	return nil
}

func (c *controller) doReload(arg string) error {
	if arg != "" {
		c.output("Error: reload accepts no arguments")
		c.exit = exitGeneric
		c.showHelp("reload")
		return nil
	}
	if _, err := c.call("supervisor.restart"); err != nil {
		if f, ok := faultOf(err); ok {
			c.exit = exitGeneric
			if f.Code == rpc.FaultShutdownState {
				c.output("ERROR: already shutting down")
				return nil
			}
		}
		return err
	}
	c.output("Restarted supervisord")
	return nil
}

// formatChanges is supervisorctl's _formatChanges of reloadConfig's [added, changed, removed].
func (c *controller) formatChanges(added, changed, removed []string) {
	m := map[string]string{}
	for _, n := range added {
		m[n] = "available"
	}
	for _, n := range changed {
		m[n] = "changed"
	}
	for _, n := range removed {
		m[n] = "disappeared"
	}
	if len(m) == 0 {
		c.output("No config updates to processes")
		return
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c.output(n + ": " + m[n])
	}
}

// reloadConfig calls supervisor.reloadConfig and decodes [[added, changed, removed]].
func (c *controller) reloadConfig() (added, changed, removed []string, err error) {
	v, err := c.call("supervisor.reloadConfig")
	if err != nil {
		return nil, nil, nil, err
	}
	outer, _ := v.([]any)
	if len(outer) == 0 {
		return nil, nil, nil, fmt.Errorf("reloadConfig answered %v", v)
	}
	lists, _ := outer[0].([]any)
	if len(lists) != 3 {
		return nil, nil, nil, fmt.Errorf("reloadConfig answered %v", v)
	}
	conv := func(x any) []string {
		arr, _ := x.([]any)
		out := make([]string, 0, len(arr))
		for _, s := range arr {
			out = append(out, pyStr(s))
		}
		return out
	}
	return conv(lists[0]), conv(lists[1]), conv(lists[2]), nil
}

func (c *controller) doAvail(arg string) error {
	if arg != "" {
		c.output("Error: avail accepts no arguments")
		c.exit = exitGeneric
		c.showHelp("avail")
		return nil
	}
	infos, err := records(c.call("supervisor.getAllConfigInfo"))
	if err != nil {
		if f, ok := faultOf(err); ok {
			c.exit = exitGeneric
			if f.Code == rpc.FaultShutdownState {
				c.output("ERROR: supervisor shutting down")
				return nil
			}
		}
		return err
	}
	for _, r := range infos {
		inuse, auto := "avail", "manual"
		if r.bool("inuse") {
			inuse = "in use"
		}
		if r.bool("autostart") {
			auto = "auto"
		}
		c.output(fmt.Sprintf("%s %s %s %s:%s", pad(makeNamespec(r.str("group"), r.str("name")), 32),
			pad(inuse, 9), pad(auto, 9), r.str("group_prio"), r.str("process_prio")))
	}
	return nil
}

func (c *controller) doReread(arg string) error {
	if arg != "" {
		c.output("Error: reread accepts no arguments")
		c.exit = exitGeneric
		c.showHelp("reread")
		return nil
	}
	added, changed, removed, err := c.reloadConfig()
	if err != nil {
		if f, ok := faultOf(err); ok {
			c.exit = exitGeneric
			switch f.Code {
			case rpc.FaultShutdownState:
				c.output("ERROR: supervisor shutting down")
				return nil
			case rpc.FaultCantReread:
				c.output("ERROR: " + f.String)
				return nil
			}
		}
		return err
	}
	c.formatChanges(added, changed, removed)
	return nil
}

func (c *controller) doAdd(arg string) error {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call("supervisor.addProcessGroup", name); err != nil {
			f, ok := faultOf(err)
			switch {
			case ok && f.Code == rpc.FaultShutdownState:
				c.output("ERROR: shutting down")
				c.exit = exitGeneric
			case ok && f.Code == rpc.FaultAlreadyAdded:
				c.output("ERROR: process group already active")
			case ok && f.Code == rpc.FaultBadName:
				c.output("ERROR: no such process/group: " + name)
				c.exit = exitGeneric
			default:
				c.exit = exitGeneric
				return err
			}
			continue
		}
		c.output(name + ": added process group")
	}
	return nil
}

func (c *controller) doRemove(arg string) error {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call("supervisor.removeProcessGroup", name); err != nil {
			c.exit = exitGeneric
			f, ok := faultOf(err)
			switch {
			case ok && f.Code == rpc.FaultStillRunning:
				c.output("ERROR: process/group still running: " + name)
			case ok && f.Code == rpc.FaultBadName:
				c.output("ERROR: no such process/group: " + name)
			default:
				return err
			}
			continue
		}
		c.output(name + ": removed process group")
	}
	return nil
}

func (c *controller) doUpdate(arg string) error {
	added, changed, removed, err := c.reloadConfig()
	if err != nil {
		c.exit = exitGeneric
		if f, ok := faultOf(err); ok && f.Code == rpc.FaultShutdownState {
			c.output("ERROR: already shutting down")
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
		infos, err := records(c.call("supervisor.getAllProcessInfo"))
		if err != nil {
			return err
		}
		groups := map[string]bool{}
		for _, info := range infos {
			groups[info.str("group")] = true
		}
		for _, g := range added {
			groups[g] = true
		}
		for _, g := range order {
			if !groups[g] {
				c.output("ERROR: no such group: " + g)
				c.exit = exitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(valid) > 0 && !valid[g] }
	for _, g := range removed {
		if skip(g) {
			continue
		}
		rs, err := records(c.call("supervisor.stopProcessGroup", g))
		if err != nil {
			return err
		}
		c.output(g + ": stopped")
		failed := false
		for _, r := range rs {
			if r.int("status") == rpc.FaultFailed {
				failed = true
			}
		}
		if failed {
			c.output(g + ": has problems; not removing")
			c.exit = exitGeneric
			continue
		}
		if _, err := c.call("supervisor.removeProcessGroup", g); err != nil {
			return err
		}
		c.output(g + ": removed process group")
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		// supervisord-lite restarts only the programs that changed; a server without the
		// method (a real supervisord) gets supervisorctl's whole-group sequence below.
		_, err := c.call(updateMethod, g)
		if err == nil {
			c.output(g + ": stopped")
			c.output(g + ": updated process group")
			continue
		}
		if f, ok := faultOf(err); !ok || f.Code != rpc.FaultUnknownMethod {
			return err
		}
		if _, err := c.call("supervisor.stopProcessGroup", g); err != nil {
			return err
		}
		c.output(g + ": stopped")
		if _, err := c.call("supervisor.removeProcessGroup", g); err != nil {
			return err
		}
		if _, err := c.call("supervisor.addProcessGroup", g); err != nil {
			return err
		}
		c.output(g + ": updated process group")
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		if _, err := c.call("supervisor.addProcessGroup", g); err != nil {
			return err
		}
		c.output(g + ": added process group")
	}
	return nil
}

// clearResult is supervisorctl's _clearresult.
func clearResult(r record) (string, error) {
	name := makeNamespec(r.str("group"), r.str("name"))
	switch r.int("status") {
	case rpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case rpc.FaultFailed:
		return name + ": ERROR (failed)", nil
	case rpc.FaultSuccess:
		return name + ": cleared", nil
	}
	return "", fmt.Errorf("Unknown result code %d for %s", r.int("status"), name)
}

func (c *controller) doClear(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: clear requires a process name")
		c.exit = exitGeneric
		c.showHelp("clear")
		return nil
	}
	if contains(names, "all") {
		rs, err := records(c.call("supervisor.clearAllProcessLogs"))
		if err != nil {
			return err
		}
		return c.showResults(rs, clearResult, -1)
	}
	for _, name := range names {
		group, process := splitNamespec(name)
		if _, err := c.call("supervisor.clearProcessLogs", name); err != nil {
			f, ok := faultOf(err)
			if !ok {
				return err
			}
			if err := c.showResults([]record{faultRecord(f, group, process)}, clearResult, -1); err != nil {
				return err
			}
			continue
		}
		c.output(makeNamespec(group, process) + ": cleared")
	}
	return nil
}

func (c *controller) doOpen(arg string) error {
	u := strings.TrimSpace(arg)
	if !strings.HasPrefix(u, "unix:") && !strings.HasPrefix(u, "http:") {
		c.output("ERROR: url must be http:// or unix://")
		c.exit = exitGeneric
		return nil
	}
	client, err := rpc.Dial(u, c.settings.username, c.settings.password)
	if err != nil {
		c.output("ERROR: url must be http:// or unix://")
		c.exit = exitGeneric
		return nil
	}
	old := c.client
	c.client, c.settings.serverURL = client, u
	defer func() { c.client = old; client.Close() }()
	prev := c.exit
	err = c.doStatus("")
	c.exit = prev
	return err
}

func (c *controller) doVersion(arg string) error {
	if arg != "" {
		c.output("Error: version accepts no arguments")
		c.exit = exitGeneric
		c.showHelp("version")
		return nil
	}
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	v, err := c.call("supervisor.getSupervisorVersion")
	if err != nil {
		return err
	}
	c.output(pyStr(v))
	return nil
}
