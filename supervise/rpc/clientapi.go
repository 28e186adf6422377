package rpc

import (
	"context"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// This file holds the Client's typed methods: one for each supervisor.* method that
// supervisorctl calls, sending the arguments supervisorctl sends (so the requests are the ones
// a real supervisord sees from it) and returning Go values. A method that fails returns the
// server's fault as a *Fault (errors.Is(err, &Fault{Code: FaultBadName}) tests the code), an
// answer other than HTTP 200 as *HTTPError, an answer of the wrong shape as *DecodeError, and a
// connection failure as the net error (errors.Is(err, syscall.ECONNREFUSED)).

// MethodUpdateProcessGroup is supervisord-lite's own XML-RPC method behind `ctl update` for a
// changed group: it restarts only the programs of the group whose settings changed. A real
// supervisord answers it with UNKNOWN_METHOD.
const MethodUpdateProcessGroup = "supervisord_lite.updateProcessGroup"

// ProcessInfo is one process as getProcessInfo and getAllProcessInfo describe it.
type ProcessInfo struct {
	Name  string // process name
	Group string // group name
	// Start and Stop are when the process last started and stopped (whole seconds); zero
	// when it never did. Now is the server's clock when it answered.
	Start, Stop, Now time.Time
	State            supervise.State // the state code
	StateName        string          // the state's name as the server sent it: "RUNNING"
	SpawnErr         string          // the last spawn error, "" if none
	ExitStatus       int             // the last exit status
	// Logfile (the same as StdoutLogfile), StdoutLogfile and StderrLogfile are the log file
	// paths, "" when there is none.
	Logfile, StdoutLogfile, StderrLogfile string
	Pid                                   int    // 0 when not running
	Description                           string // "pid 22033, uptime 0:00:03", "Not started"...
}

// Namespec returns the name supervisorctl shows: Name when Group == Name, else "Group:Name".
func (i ProcessInfo) Namespec() string { return Namespec(i.Group, i.Name) }

// ProcessResult is the outcome for one process of a call on many (startProcessGroup,
// stopAllProcesses, signalProcessGroup, clearAllProcessLogs...).
type ProcessResult struct {
	Name, Group string
	// Status is FaultSuccess, or the fault code of what went wrong for this process
	// (FaultBadName, FaultNotRunning, FaultSpawnError, FaultFailed...).
	Status      int
	Description string // "OK", or the fault's text
}

// Namespec returns the name supervisorctl shows: Name when Group == Name, else "Group:Name".
func (r ProcessResult) Namespec() string { return Namespec(r.Group, r.Name) }

// ConfigChanges is reloadConfig's answer: the group names the configuration file adds,
// changes and removes compared with the running groups (supervisorctl reread).
type ConfigChanges struct {
	Added, Changed, Removed []string
}

// str calls method and expects a string.
func (c *Client) str(ctx context.Context, method string, args ...any) (string, error) {
	v, err := c.Call(ctx, method, args...)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", &DecodeError{Method: method, Want: "string", Got: v}
	}
	return s, nil
}

// ok calls method whose answer (true) carries nothing.
func (c *Client) ok(ctx context.Context, method string, args ...any) error {
	_, err := c.Call(ctx, method, args...)
	return err
}

// results calls method and expects an array of result structs.
func (c *Client) results(ctx context.Context, method string, args ...any) ([]ProcessResult, error) {
	v, err := c.Call(ctx, method, args...)
	if err != nil {
		return nil, err
	}
	d := decoder{method: method}
	arr := d.array(v)
	out := make([]ProcessResult, 0, len(arr))
	for _, x := range arr {
		out = append(out, d.result(x))
	}
	return out, d.err
}

// GetVersion is supervisor.getVersion (the same as getAPIVersion): the API version, "3.0"
// (APIVersion) for supervisord 3.x and 4.x. supervisorctl calls it before most actions.
func (c *Client) GetVersion(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getVersion")
}

// GetSupervisorVersion is supervisor.getSupervisorVersion: the server's release, "4.2.5".
func (c *Client) GetSupervisorVersion(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getSupervisorVersion")
}

// GetIdentification is supervisor.getIdentification: the [supervisord] identifier
// ("supervisor" by default), which supervisorctl's shell shows in its prompt.
func (c *Client) GetIdentification(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getIdentification")
}

// GetState is supervisor.getState: the server's state (RUNNING, RESTARTING, SHUTDOWN, FATAL).
func (c *Client) GetState(ctx context.Context) (supervise.SupervisorState, error) {
	const method = "supervisor.getState"
	v, err := c.Call(ctx, method)
	if err != nil {
		return 0, err
	}
	d := decoder{method: method}
	code := d.int(d.structOf(v), "statecode")
	return supervise.SupervisorState(code), d.err
}

// GetPID is supervisor.getPID: the server's process id.
func (c *Client) GetPID(ctx context.Context) (int, error) {
	const method = "supervisor.getPID"
	v, err := c.Call(ctx, method)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, &DecodeError{Method: method, Want: "int", Got: v}
	}
	return int(n), nil
}

// ReadLog is supervisor.readLog: length bytes of the main log from offset; a negative offset
// counts from the end with length 0 (supervisorctl maintail -N sends -N, 0).
func (c *Client) ReadLog(ctx context.Context, offset, length int64) (string, error) {
	return c.str(ctx, "supervisor.readLog", offset, length)
}

// ClearLog is supervisor.clearLog: empties the main log.
func (c *Client) ClearLog(ctx context.Context) error { return c.ok(ctx, "supervisor.clearLog") }

// Shutdown is supervisor.shutdown: the server stops its processes and exits.
func (c *Client) Shutdown(ctx context.Context) error { return c.ok(ctx, "supervisor.shutdown") }

// Restart is supervisor.restart: the server stops its processes and starts again with its
// configuration read anew (supervisorctl reload).
func (c *Client) Restart(ctx context.Context) error { return c.ok(ctx, "supervisor.restart") }

// ReloadConfig is supervisor.reloadConfig: the server reads its configuration again and
// reports which groups it adds, changes and removes; it applies none of them.
func (c *Client) ReloadConfig(ctx context.Context) (ConfigChanges, error) {
	const method = "supervisor.reloadConfig"
	v, err := c.Call(ctx, method)
	if err != nil {
		return ConfigChanges{}, err
	}
	d := decoder{method: method}
	outer := d.array(v)
	if d.err != nil {
		return ConfigChanges{}, d.err
	}
	if len(outer) != 1 {
		return ConfigChanges{}, &DecodeError{Method: method, Want: "array of one [added, changed, removed]", Got: v}
	}
	lists := d.array(outer[0])
	if d.err == nil && len(lists) != 3 {
		return ConfigChanges{}, &DecodeError{Method: method, Want: "array of one [added, changed, removed]", Got: v}
	}
	if d.err != nil {
		return ConfigChanges{}, d.err
	}
	ch := ConfigChanges{
		Added:   d.strings(lists[0], "added"),
		Changed: d.strings(lists[1], "changed"),
		Removed: d.strings(lists[2], "removed"),
	}
	return ch, d.err
}

// AddProcessGroup is supervisor.addProcessGroup: activates a group of the configuration last
// read (FaultBadName when it has none, FaultAlreadyAdded when it is active).
func (c *Client) AddProcessGroup(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.addProcessGroup", name)
}

// RemoveProcessGroup is supervisor.removeProcessGroup: deactivates a stopped group
// (FaultStillRunning while one of its processes runs).
func (c *Client) RemoveProcessGroup(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.removeProcessGroup", name)
}

// UpdateProcessGroup calls MethodUpdateProcessGroup, supervisord-lite's restart of only the
// changed programs of a group. A real supervisord answers with a FaultUnknownMethod fault;
// supervisorctl's sequence (StopProcessGroup, RemoveProcessGroup, AddProcessGroup) does the
// same for the whole group there.
func (c *Client) UpdateProcessGroup(ctx context.Context, name string) error {
	return c.ok(ctx, MethodUpdateProcessGroup, name)
}

// GetAllConfigInfo is supervisor.getAllConfigInfo: every configured process (supervisorctl
// avail).
func (c *Client) GetAllConfigInfo(ctx context.Context) ([]ConfigInfo, error) {
	const method = "supervisor.getAllConfigInfo"
	v, err := c.Call(ctx, method)
	if err != nil {
		return nil, err
	}
	d := decoder{method: method}
	arr := d.array(v)
	out := make([]ConfigInfo, 0, len(arr))
	for _, x := range arr {
		out = append(out, d.configInfo(x))
	}
	return out, d.err
}

// GetProcessInfo is supervisor.getProcessInfo of a namespec ("web", "g:web").
func (c *Client) GetProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	const method = "supervisor.getProcessInfo"
	v, err := c.Call(ctx, method, name)
	if err != nil {
		return ProcessInfo{}, err
	}
	d := decoder{method: method}
	info := d.processInfo(v)
	return info, d.err
}

// GetAllProcessInfo is supervisor.getAllProcessInfo: every process, sorted by group and name.
func (c *Client) GetAllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	const method = "supervisor.getAllProcessInfo"
	v, err := c.Call(ctx, method)
	if err != nil {
		return nil, err
	}
	d := decoder{method: method}
	arr := d.array(v)
	out := make([]ProcessInfo, 0, len(arr))
	for _, x := range arr {
		out = append(out, d.processInfo(x))
	}
	return out, d.err
}

// StartProcess is supervisor.startProcess of a namespec, waiting (the server's default) until
// the process is RUNNING or has failed to start.
func (c *Client) StartProcess(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.startProcess", name)
}

// StartProcessGroup is supervisor.startProcessGroup, waiting: one result per process.
func (c *Client) StartProcessGroup(ctx context.Context, name string) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.startProcessGroup", name)
}

// StartAllProcesses is supervisor.startAllProcesses, waiting: one result per process started.
func (c *Client) StartAllProcesses(ctx context.Context) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.startAllProcesses")
}

// StopProcess is supervisor.stopProcess of a namespec, waiting until it is stopped.
func (c *Client) StopProcess(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.stopProcess", name)
}

// StopProcessGroup is supervisor.stopProcessGroup, waiting: one result per process.
func (c *Client) StopProcessGroup(ctx context.Context, name string) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.stopProcessGroup", name)
}

// StopAllProcesses is supervisor.stopAllProcesses, waiting: one result per process stopped.
func (c *Client) StopAllProcesses(ctx context.Context) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.stopAllProcesses")
}

// SignalProcess is supervisor.signalProcess: sends signal (a name, "HUP" or "SIGHUP", or a
// number as text) to a namespec.
func (c *Client) SignalProcess(ctx context.Context, name, signal string) error {
	return c.ok(ctx, "supervisor.signalProcess", name, signal)
}

// SignalProcessGroup is supervisor.signalProcessGroup: one result per process.
func (c *Client) SignalProcessGroup(ctx context.Context, name, signal string) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.signalProcessGroup", name, signal)
}

// SignalAllProcesses is supervisor.signalAllProcesses: one result per process.
func (c *Client) SignalAllProcesses(ctx context.Context, signal string) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.signalAllProcesses", signal)
}

// ClearProcessLogs is supervisor.clearProcessLogs: empties a process's log files.
func (c *Client) ClearProcessLogs(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.clearProcessLogs", name)
}

// ClearAllProcessLogs is supervisor.clearAllProcessLogs: one result per process.
func (c *Client) ClearAllProcessLogs(ctx context.Context) ([]ProcessResult, error) {
	return c.results(ctx, "supervisor.clearAllProcessLogs")
}

// ReadProcessStdoutLog is supervisor.readProcessStdoutLog: length bytes of a process's
// stdout log from offset; a negative offset with length 0 reads the last -offset bytes
// (supervisorctl tail -N).
func (c *Client) ReadProcessStdoutLog(ctx context.Context, name string, offset, length int64) (string, error) {
	return c.str(ctx, "supervisor.readProcessStdoutLog", name, offset, length)
}

// ReadProcessStderrLog is ReadProcessStdoutLog for the stderr log.
func (c *Client) ReadProcessStderrLog(ctx context.Context, name string, offset, length int64) (string, error) {
	return c.str(ctx, "supervisor.readProcessStderrLog", name, offset, length)
}

// SendProcessStdin is supervisor.sendProcessStdin: writes chars to a running process's
// standard input (FaultNotRunning when it is not running).
func (c *Client) SendProcessStdin(ctx context.Context, name, chars string) error {
	return c.ok(ctx, "supervisor.sendProcessStdin", name, chars)
}
