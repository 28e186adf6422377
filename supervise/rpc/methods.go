package rpc

import (
	"context"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// APIVersion is what getAPIVersion (supervisorctl's upcheck) returns; supervisorctl refuses
// to talk to a server that answers anything else.
const APIVersion = "3.0"

// method is one XML-RPC method: its arity (supervisord's Python signature), whether it first
// refuses with SHUTDOWN_STATE while stopping, and its documentation (methodHelp; the
// @param/@return tags give methodSignature).
type method struct {
	min, max int
	noUpdate bool // true for system.* and sendRemoteCommEvent: no SHUTDOWN_STATE check first
	doc      string
	fn       func(s *Server, ctx context.Context, args []any) (any, error)
}

// methodTable returns the published method table (each Server builds its own: a table
// filled at init would be package state); system.listMethods returns its sorted keys.
func methodTable() map[string]*method {
	m := map[string]*method{
		"supervisor.getAPIVersion": {0, 0, false, "Return the version of the RPC API used by supervisord\n\n@return string version id", (*Server).getAPIVersion},
		"supervisor.getSupervisorVersion": {0, 0, false, "Return the version of the supervisor package in use by supervisord\n\n@return string version id",
			func(s *Server, _ context.Context, _ []any) (any, error) { return s.opts.SupervisorVersion, nil }},
		"supervisor.getIdentification": {0, 0, false, "Return identifying string of supervisord\n\n@return string identifier identifying string",
			func(s *Server, _ context.Context, _ []any) (any, error) { return s.opts.Identification, nil }},
		"supervisor.getState": {0, 0, false, "Return current state of supervisord as a struct\n\n@return struct A struct with keys int statecode, string statename",
			func(s *Server, _ context.Context, _ []any) (any, error) {
				st := s.state()
				return xmlrpc.Struct{{Name: "statecode", Value: int(st)}, {Name: "statename", Value: st.String()}}, nil
			}},
		"supervisor.getPID": {0, 0, false, "Return the PID of supervisord\n\n@return int PID",
			func(s *Server, _ context.Context, _ []any) (any, error) { return s.opts.PID(), nil }},
		"supervisor.readLog":  {2, 2, false, "Read length bytes from the main log starting at offset\n\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log", (*Server).readLog},
		"supervisor.clearLog": {0, 0, false, "Clear the main log.\n\n@return boolean result always returns True unless error", (*Server).clearLog},
		"supervisor.shutdown": {0, 0, false, "Shut down the supervisor process\n\n@return boolean result always returns True unless error",
			func(s *Server, _ context.Context, _ []any) (any, error) { return s.shutdown(false), nil }},
		"supervisor.restart": {0, 0, false, "Restart the supervisor process\n\n@return boolean result  always return True unless error",
			func(s *Server, _ context.Context, _ []any) (any, error) { return s.shutdown(true), nil }},
		"supervisor.reloadConfig":         {0, 0, false, "Reload the configuration.\n\nThe result contains three arrays containing names of process\ngroups: added, changed and removed.\n\n@return array result  [[added, changed, removed]]", (*Server).reloadConfig},
		"supervisor.addProcessGroup":      {1, 1, false, "Update the config for a running process from config file.\n\n@param string name         name of process group to add\n@return boolean result     true if successful", (*Server).addProcessGroup},
		"supervisor.removeProcessGroup":   {1, 1, false, "Remove a stopped process from the active configuration.\n\n@param string name         name of process group to remove\n@return boolean result     Indicates whether the removal was successful", (*Server).removeProcessGroup},
		"supervisor.startProcess":         {1, 2, false, "Start a process\n\n@param string name Process name (or ``group:name``, or ``group:*``)\n@param boolean wait Wait for process to be fully started\n@return boolean result     Always true unless error", (*Server).startProcess},
		"supervisor.startProcessGroup":    {1, 2, false, "Start all processes in the group named 'name'\n\n@param string name     The group name\n@param boolean wait    Wait for each process to be fully started\n@return array result   An array of process status info structs", (*Server).startProcessGroup},
		"supervisor.startAllProcesses":    {0, 1, false, "Start all processes listed in the configuration file\n\n@param boolean wait    Wait for each process to be fully started\n@return array result   An array of process status info structs", (*Server).startAllProcesses},
		"supervisor.stopProcess":          {1, 2, false, "Stop a process named by name\n\n@param string name  The name of the process to stop (or 'group:name')\n@param boolean wait        Wait for the process to be fully stopped\n@return boolean result     Always return True unless error", (*Server).stopProcess},
		"supervisor.stopProcessGroup":     {1, 2, false, "Stop all processes in the process group named 'name'\n\n@param string name     The group name\n@param boolean wait    Wait for each process to be fully stopped\n@return array result   An array of process status info structs", (*Server).stopProcessGroup},
		"supervisor.stopAllProcesses":     {0, 1, false, "Stop all processes in the process list\n\n@param  boolean wait   Wait for each process to be fully stopped\n@return array result   An array of process status info structs", (*Server).stopAllProcesses},
		"supervisor.signalProcess":        {2, 2, false, "Send an arbitrary UNIX signal to the process named by name\n\n@param string name    Name of the process to signal (or 'group:name')\n@param string signal  Signal to send, as name ('HUP') or number ('1')\n@return boolean", (*Server).signalProcess},
		"supervisor.signalProcessGroup":   {2, 2, false, "Send a signal to all processes in the group named 'name'\n\n@param string name    The group name\n@param string signal  Signal to send, as name ('HUP') or number ('1')\n@return array", (*Server).signalProcessGroup},
		"supervisor.signalAllProcesses":   {1, 1, true, "Send a signal to all processes in the process list\n\n@param string signal  Signal to send, as name ('HUP') or number ('1')\n@return array         An array of process status info structs", (*Server).signalAllProcesses},
		"supervisor.getAllConfigInfo":     {0, 0, false, "Get info about all available process configurations. Each struct\nrepresents a single process (i.e. groups get flattened).\n\n@return array result  An array of process config info structs", (*Server).getAllConfigInfo},
		"supervisor.getProcessInfo":       {1, 1, false, "Get info about a process named name\n\n@param string name The name of the process (or 'group:name')\n@return struct result     A structure containing data about the process", (*Server).getProcessInfo},
		"supervisor.getAllProcessInfo":    {0, 0, false, "Get info about all processes\n\n@return array result  An array of process status results", (*Server).getAllProcessInfo},
		"supervisor.readProcessStdoutLog": {3, 3, false, "Read length bytes from name's stdout log starting at offset\n\n@param string name        the name of the process (or 'group:name')\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log", readProcessLog("stdout")},
		"supervisor.readProcessStderrLog": {3, 3, false, "Read length bytes from name's stderr log starting at offset\n\n@param string name        the name of the process (or 'group:name')\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log", readProcessLog("stderr")},
		"supervisor.tailProcessStdoutLog": {3, 3, false, tailDoc("stdout"), tailProcessLog("stdout")},
		"supervisor.tailProcessStderrLog": {3, 3, false, tailDoc("stderr"), tailProcessLog("stderr")},
		"supervisor.clearProcessLogs":     {1, 1, false, "Clear the stdout and stderr logs for the named process and\nreopen them.\n\n@param string name   The name of the process (or 'group:name')\n@return boolean result      Always True unless error", (*Server).clearProcessLogs},
		"supervisor.clearAllProcessLogs":  {0, 0, false, "Clear all process log files\n\n@return array result   An array of process status info structs", (*Server).clearAllProcessLogs},
		"supervisor.sendProcessStdin":     {2, 2, false, "Send a string of chars to the stdin of the process name.\n\n@param string name        The process name to send to (or 'group:name')\n@param string chars       The character data to send to the process\n@return boolean result    Always return True unless error", (*Server).sendProcessStdin},
		"supervisor.sendRemoteCommEvent":  {2, 2, true, "Send an event that will be received by event listener\nsubprocesses subscribing to the RemoteCommunicationEvent.\n\n@param  string  type  String for the \"type\" key in the event header\n@param  string  data  Data for the event body\n@return boolean       Always return True unless error", (*Server).sendRemoteCommEvent},
		"system.listMethods":              {0, 0, true, "Return an array listing the available method names\n\n@return array result  An array of method names available (strings).", (*Server).listMethods},
		"system.methodHelp":               {1, 1, true, "Return a string showing the method's documentation\n\n@param string name   The name of the method.\n@return string result The documentation for the method name.", (*Server).methodHelp},
		"system.methodSignature":          {1, 1, true, "Return an array describing the method signature in the\nform [rtype, ptype, ptype...] where rtype is the return data type\nof the method, and ptypes are the parameter data types that the\nmethod accepts in method argument order.\n\n@param string name  The name of the method.\n@return array result  The result.", (*Server).methodSignature},
		"system.multicall":                {1, 1, true, "Process an array of calls, and return an array of\nresults. Calls should be structs of the form {'methodName':\nstring, 'params': array}. Each result will either be the\nvalue of the call, or a struct of the form {'faultCode': int,\n'faultString': string}.\n\n@param array calls  An array of call requests\n@return array result  An array of results", (*Server).multicall},
	}
	// supervisord's aliases (kept for clients of older releases).
	m["supervisor.getVersion"] = m["supervisor.getAPIVersion"]
	m["supervisor.readMainLog"] = m["supervisor.readLog"]
	m["supervisor.readProcessLog"] = m["supervisor.readProcessStdoutLog"]
	m["supervisor.tailProcessLog"] = m["supervisor.tailProcessStdoutLog"]
	m["supervisor.clearProcessLog"] = m["supervisor.clearProcessLogs"]
	return m
}

func tailDoc(channel string) string {
	return "Provides a more efficient way to tail the (" + channel + ") log than\nreadProcess" +
		channelTitle(channel) + "Log().\n\nRequests (length) bytes from the (name)'s log, starting at (offset).\n" +
		"If the total log size is greater than (offset + length), the overflow flag is set\n" +
		"and the (offset) is increased to position the buffer at the end of the log.\n\n" +
		"@param string name         the name of the process (or 'group:name')\n" +
		"@param int offset          offset to start reading from\n" +
		"@param int length          maximum number of bytes to return\n" +
		"@return array result       [string bytes, int offset, bool overflow]"
}

// call runs one method by name: supervisord's traverse rules (exactly "ns.method", no leading
// underscore), the arity check, and the SHUTDOWN_STATE check.
func (s *Server) call(ctx context.Context, name string, args []any) (any, error) {
	ns, meth, ok := strings.Cut(name, ".")
	if !ok || strings.Contains(meth, ".") || strings.HasPrefix(meth, "_") || ns == "" {
		return nil, xmlrpc.NewFault(FaultUnknownMethod, "")
	}
	m := s.methods[name]
	if m == nil {
		return s.callExtra(ctx, name, args)
	}
	if len(args) < m.min || len(args) > m.max {
		return nil, xmlrpc.NewFault(FaultIncorrectParameters, "")
	}
	if !m.noUpdate && s.stopping() {
		return nil, xmlrpc.NewFault(FaultShutdownState, "")
	}
	return reply(m.fn(s, ctx, args))
}

// reply passes a method's result on, and its error as a fault: a *Fault as is, any other error
// through faultOf.
func reply(v any, err error) (any, error) {
	if err == nil {
		return v, nil
	}
	var f *Fault
	if errors.As(err, &f) {
		return nil, f
	}
	return nil, faultOf(err, "")
}

// Argument conversion. Wrong types are INCORRECT_PARAMETERS (supervisord, being Python,
// answers some of them with HTTP 500 instead).
var errParams = xmlrpc.NewFault(FaultIncorrectParameters, "")

func strArg(args []any, i int) (string, error) {
	switch x := args[i].(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", errParams
}

func boolArg(args []any, i int, def bool) (bool, error) {
	if i >= len(args) {
		return def, nil
	}
	switch x := args[i].(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case string:
		return x != "", nil
	}
	return false, errParams
}

func intArg(args []any, i int) (int64, error) {
	switch x := args[i].(type) {
	case int64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		return int64(x), nil
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, errParams
}

func (s *Server) getAPIVersion(context.Context, []any) (any, error) { return APIVersion, nil }

// single resolves a namespec that must name one process; it returns the backend spec.
func single(name string) (spec string, ok bool) {
	g, p := SplitNamespec(name)
	if p == "" {
		return "", false
	}
	return g + ":" + p, true
}

// info returns the status of one process, or BAD_NAME.
func (s *Server) info(name string) (supervise.ProcessInfo, error) {
	spec, ok := single(name)
	if !ok {
		return supervise.ProcessInfo{}, xmlrpc.NewFault(FaultBadName, name)
	}
	infos, err := s.opts.Backend.Status(spec)
	if err != nil {
		return supervise.ProcessInfo{}, faultOf(err, name)
	}
	if len(infos) != 1 {
		return supervise.ProcessInfo{}, xmlrpc.NewFault(FaultBadName, name)
	}
	return infos[0], nil
}

// allResults is the answer of startAllProcesses and stopAllProcesses: StartAll and StopAll
// report a refusal of the whole call (e.g. ErrShutdown) as one Result without a name.
func allResults(rs []Result) (any, error) {
	if len(rs) == 1 && rs[0].Name == "" && rs[0].Err != nil {
		return nil, faultOf(rs[0].Err, "")
	}
	return results(rs), nil
}

func results(rs []Result) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = statusStruct(r)
	}
	return out
}

// groupOp runs a group operation on group name; a name with ':' can name no group.
func (s *Server) groupOp(name, faultName string, op func(spec string) ([]Result, error)) (any, error) {
	if strings.Contains(name, ":") {
		return nil, xmlrpc.NewFault(FaultBadName, faultName)
	}
	rs, err := op(name + ":*")
	if err != nil {
		return nil, faultOf(err, faultName)
	}
	return results(rs), nil
}

// nameWait reads the (name, wait=true) arguments of the start and stop methods.
func nameWait(args []any) (string, bool, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return "", false, err
	}
	wait, err := boolArg(args, 1, true)
	return name, wait, err
}

// processOp runs op on one process (true, or its fault) or, for "g:*", on the group (the
// group variant's results).
func (s *Server) processOp(name string, op func(spec string) ([]Result, error)) (any, error) {
	spec, ok := single(name)
	if !ok {
		g, _ := SplitNamespec(name)
		return s.groupOp(g, name, op)
	}
	if _, err := op(spec); err != nil {
		return nil, faultOf(err, name)
	}
	return true, nil
}

func (s *Server) startProcess(ctx context.Context, args []any) (any, error) {
	name, wait, err := nameWait(args)
	if err != nil {
		return nil, err
	}
	return s.processOp(name, func(spec string) ([]Result, error) { return s.opts.Backend.Start(ctx, spec, wait) })
}

func (s *Server) startProcessGroup(ctx context.Context, args []any) (any, error) {
	name, wait, err := nameWait(args)
	if err != nil {
		return nil, err
	}
	return s.groupOp(name, name, func(spec string) ([]Result, error) { return s.opts.Backend.Start(ctx, spec, wait) })
}

func (s *Server) startAllProcesses(ctx context.Context, args []any) (any, error) {
	wait, err := boolArg(args, 0, true)
	if err != nil {
		return nil, err
	}
	return allResults(s.opts.Backend.StartAll(ctx, wait))
}

func (s *Server) stopProcess(ctx context.Context, args []any) (any, error) {
	name, wait, err := nameWait(args)
	if err != nil {
		return nil, err
	}
	return s.processOp(name, func(spec string) ([]Result, error) { return s.opts.Backend.Stop(ctx, spec, wait) })
}

func (s *Server) stopProcessGroup(ctx context.Context, args []any) (any, error) {
	name, wait, err := nameWait(args)
	if err != nil {
		return nil, err
	}
	return s.groupOp(name, name, func(spec string) ([]Result, error) { return s.opts.Backend.Stop(ctx, spec, wait) })
}

func (s *Server) stopAllProcesses(ctx context.Context, args []any) (any, error) {
	wait, err := boolArg(args, 0, true)
	if err != nil {
		return nil, err
	}
	return allResults(s.opts.Backend.StopAll(ctx, wait))
}

func (s *Server) signalProcess(ctx context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	if _, ok := single(name); !ok {
		g, _ := SplitNamespec(name)
		if _, err := s.groupStatus(g, name); err != nil {
			return nil, err
		}
		return s.signalGroup(ctx, g, name, args[1])
	}
	// supervisord checks the name, then the signal, then the state.
	if _, err := s.info(name); err != nil {
		return nil, err
	}
	sig, ok := parseSignal(args[1])
	if !ok {
		return nil, xmlrpc.NewFault(FaultBadSignal, xmlrpc.Str(args[1]))
	}
	spec, _ := single(name)
	if _, err := s.opts.Backend.Signal(ctx, spec, sig); err != nil {
		if errors.Is(err, supervise.ErrBadSignal) {
			return nil, faultOf(err, xmlrpc.Str(args[1]))
		}
		return nil, faultOf(err, name)
	}
	return true, nil
}

// groupStatus returns the processes of group g, or BAD_NAME with faultName.
func (s *Server) groupStatus(g, faultName string) ([]supervise.ProcessInfo, error) {
	if strings.Contains(g, ":") {
		return nil, xmlrpc.NewFault(FaultBadName, faultName)
	}
	infos, err := s.opts.Backend.Status(g + ":*")
	if err != nil {
		return nil, faultOf(err, faultName)
	}
	return infos, nil
}

// signalGroup signals group g; with a bad signal every signallable process gets a BAD_SIGNAL
// entry, as supervisord's make_allfunc produces.
func (s *Server) signalGroup(ctx context.Context, g, faultName string, sigArg any) (any, error) {
	sig, ok := parseSignal(sigArg)
	if !ok {
		infos, err := s.groupStatus(g, faultName)
		if err != nil {
			return nil, err
		}
		return badSignalResults(infos, sigArg), nil
	}
	return s.groupOp(g, faultName, func(spec string) ([]Result, error) { return s.opts.Backend.Signal(ctx, spec, sig) })
}

func badSignalResults(infos []supervise.ProcessInfo, sigArg any) []any {
	out := []any{}
	for _, pi := range infos {
		if pi.State.IsSignallable() {
			out = append(out, statusStruct(Result{Name: pi.Name, Group: pi.Group,
				Err: xmlrpc.NewFault(FaultBadSignal, xmlrpc.Str(sigArg))}))
		}
	}
	return out
}

func (s *Server) signalProcessGroup(ctx context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	v, err := s.signalGroup(ctx, name, name, args[1])
	if err != nil {
		return nil, err
	}
	if s.stopping() { // supervisord checks again after the work
		return nil, xmlrpc.NewFault(FaultShutdownState, "")
	}
	return v, nil
}

func (s *Server) signalAllProcesses(ctx context.Context, args []any) (any, error) {
	var out []any
	if sig, ok := parseSignal(args[0]); ok {
		rs, err := s.opts.Backend.Signal(ctx, "all", sig)
		if err != nil {
			return nil, faultOf(err, "all")
		}
		out = results(rs)
	} else {
		infos, err := s.opts.Backend.Status("")
		if err != nil {
			return nil, faultOf(err, "")
		}
		out = badSignalResults(infos, args[0])
	}
	if s.stopping() {
		return nil, xmlrpc.NewFault(FaultShutdownState, "")
	}
	return out, nil
}

// infoStruct is getProcessInfo's struct, fields in supervisord's order.
func infoStruct(pi supervise.ProcessInfo) xmlrpc.Struct {
	epoch := func(t interface{ IsZero() bool }, unix int64) int64 {
		if t.IsZero() {
			return 0
		}
		return xmlrpc.Capped(unix)
	}
	return xmlrpc.Struct{
		{Name: "name", Value: pi.Name},
		{Name: "group", Value: pi.Group},
		{Name: "start", Value: epoch(pi.Start, pi.Start.Unix())},
		{Name: "stop", Value: epoch(pi.Stop, pi.Stop.Unix())},
		{Name: "now", Value: epoch(pi.Now, pi.Now.Unix())},
		{Name: "state", Value: int(pi.State)},
		{Name: "statename", Value: pi.State.String()},
		{Name: "spawnerr", Value: pi.SpawnErr},
		{Name: "exitstatus", Value: xmlrpc.Capped(int64(pi.ExitStatus))},
		{Name: "logfile", Value: pi.StdoutLogfile},
		{Name: "stdout_logfile", Value: pi.StdoutLogfile},
		{Name: "stderr_logfile", Value: pi.StderrLogfile},
		{Name: "pid", Value: pi.Pid},
		{Name: "description", Value: pi.Description()},
	}
}

func (s *Server) getProcessInfo(_ context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	pi, err := s.info(name)
	if err != nil {
		return nil, err
	}
	return infoStruct(pi), nil
}

func (s *Server) getAllProcessInfo(context.Context, []any) (any, error) {
	infos, err := s.opts.Backend.Status("")
	if err != nil {
		return nil, faultOf(err, "")
	}
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	out := make([]any, len(infos))
	for i, pi := range infos {
		out[i] = infoStruct(pi)
	}
	return out, nil
}

func (s *Server) getAllConfigInfo(context.Context, []any) (any, error) {
	var infos []ConfigInfo
	if s.opts.ConfigInfo != nil {
		infos = s.opts.ConfigInfo()
	}
	sort.SliceStable(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	out := make([]any, len(infos))
	for i, c := range infos {
		exit := make([]any, len(c.ExitCodes))
		for j, e := range c.ExitCodes {
			exit[j] = e
		}
		uid := "none"
		if c.UID != nil {
			uid = strconv.Itoa(*c.UID)
		}
		out[i] = xmlrpc.Struct{
			{Name: "autostart", Value: c.AutoStart},
			{Name: "directory", Value: c.Directory},
			{Name: "uid", Value: uid},
			{Name: "command", Value: c.Command},
			{Name: "exitcodes", Value: exit},
			{Name: "group", Value: c.Group},
			{Name: "group_prio", Value: xmlrpc.Capped(int64(c.GroupPrio))},
			{Name: "inuse", Value: c.InUse},
			{Name: "killasgroup", Value: c.KillAsGroup},
			{Name: "name", Value: c.Name},
			{Name: "process_prio", Value: xmlrpc.Capped(int64(c.ProcessPrio))},
			{Name: "redirect_stderr", Value: c.RedirectStderr},
			{Name: "startretries", Value: xmlrpc.Capped(int64(c.StartRetries))},
			{Name: "startsecs", Value: xmlrpc.Capped(int64(c.StartSecs))},
			{Name: "stdout_capture_maxbytes", Value: xmlrpc.Capped(c.StdoutCaptureMaxBytes)},
			{Name: "stdout_events_enabled", Value: c.StdoutEventsEnabled},
			{Name: "stdout_logfile", Value: c.StdoutLogfile},
			{Name: "stdout_logfile_backups", Value: xmlrpc.Capped(int64(c.StdoutLogfileBackups))},
			{Name: "stdout_logfile_maxbytes", Value: xmlrpc.Capped(c.StdoutLogfileMaxBytes)},
			{Name: "stdout_syslog", Value: c.StdoutSyslog},
			{Name: "stopsignal", Value: xmlrpc.Capped(int64(c.StopSignal))},
			{Name: "stopwaitsecs", Value: xmlrpc.Capped(int64(c.StopWaitSecs))},
			{Name: "stderr_capture_maxbytes", Value: xmlrpc.Capped(c.StderrCaptureMaxBytes)},
			{Name: "stderr_events_enabled", Value: c.StderrEventsEnabled},
			{Name: "stderr_logfile", Value: c.StderrLogfile},
			{Name: "stderr_logfile_backups", Value: xmlrpc.Capped(int64(c.StderrLogfileBackups))},
			{Name: "stderr_logfile_maxbytes", Value: xmlrpc.Capped(c.StderrLogfileMaxBytes)},
			{Name: "stderr_syslog", Value: c.StderrSyslog},
			{Name: "serverurl", Value: c.ServerURL},
		}
	}
	return out, nil
}

func (s *Server) readLog(_ context.Context, args []any) (any, error) {
	offset, err := intArg(args, 0)
	if err != nil {
		return nil, err
	}
	length, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	path := s.opts.MainLog
	if path == "" {
		return nil, xmlrpc.NewFault(FaultNoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, xmlrpc.NewFault(FaultNoFile, path)
	}
	b, err := s.opts.Logs.ReadFile(path, offset, length)
	if err != nil {
		return nil, faultOf(err, path)
	}
	return string(b), nil
}

func (s *Server) clearLog(context.Context, []any) (any, error) {
	path := s.opts.MainLog
	if path == "" {
		return nil, xmlrpc.NewFault(FaultNoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, xmlrpc.NewFault(FaultNoFile, "")
	}
	if err := os.Remove(path); err != nil {
		return nil, xmlrpc.NewFault(FaultFailed, "")
	}
	if s.opts.ReopenMainLog != nil {
		if err := s.opts.ReopenMainLog(); err != nil {
			return nil, xmlrpc.NewFault(FaultFailed, "")
		}
	}
	return true, nil
}

// logPath returns the path of one process's channel log, or the NO_FILE extra.
func (s *Server) logPath(name, channel string) (string, error) {
	pi, err := s.info(name)
	if err != nil {
		return "", err
	}
	if channel == "stderr" {
		return pi.StderrLogfile, nil
	}
	return pi.StdoutLogfile, nil
}

func readProcessLog(channel string) func(*Server, context.Context, []any) (any, error) {
	return func(s *Server, _ context.Context, args []any) (any, error) {
		name, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		offset, err := intArg(args, 1)
		if err != nil {
			return nil, err
		}
		length, err := intArg(args, 2)
		if err != nil {
			return nil, err
		}
		path, err := s.logPath(name, channel)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return nil, xmlrpc.NewFault(FaultNoFile, "")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, xmlrpc.NewFault(FaultNoFile, path)
		}
		b, err := s.opts.Logs.ReadFile(path, offset, length)
		if err != nil {
			return nil, faultOf(err, path)
		}
		return string(b), nil
	}
}

func tailProcessLog(channel string) func(*Server, context.Context, []any) (any, error) {
	return func(s *Server, _ context.Context, args []any) (any, error) {
		name, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		offset, err := intArg(args, 1)
		if err != nil {
			return nil, err
		}
		length, err := intArg(args, 2)
		if err != nil {
			return nil, err
		}
		path, err := s.logPath(name, channel)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return []any{"", 0, false}, nil
		}
		if _, err := os.Stat(path); err != nil {
			return []any{"", 0, false}, nil
		}
		b, off, overflow, err := s.opts.Logs.TailFile(path, offset, length)
		if err != nil {
			return []any{"", xmlrpc.Capped(offset), false}, nil
		}
		return []any{string(b), xmlrpc.Capped(off), overflow}, nil
	}
}

func (s *Server) clearProcessLogs(_ context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	spec, ok := single(name)
	if !ok {
		return nil, xmlrpc.NewFault(FaultBadName, name)
	}
	rs, err := s.opts.Backend.ClearLogs(spec)
	if err != nil {
		if errors.Is(err, supervise.ErrNotFound) {
			return nil, faultOf(err, name)
		}
		return nil, xmlrpc.NewFault(FaultFailed, name)
	}
	for _, r := range rs {
		if r.Err != nil {
			return nil, xmlrpc.NewFault(FaultFailed, name)
		}
	}
	return true, nil
}

func (s *Server) clearAllProcessLogs(context.Context, []any) (any, error) {
	rs, err := s.opts.Backend.ClearLogs("all")
	if err != nil {
		return nil, faultOf(err, "all")
	}
	out := make([]any, len(rs))
	for i, r := range rs {
		if r.Err != nil { // supervisord reports any clearing failure as FAILED: name
			r.Err = xmlrpc.NewFault(FaultFailed, Namespec(r.Group, r.Name))
		}
		out[i] = statusStruct(r)
	}
	return out, nil
}

func (s *Server) sendProcessStdin(_ context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	chars, err := strArg(args, 1)
	if err != nil {
		return nil, xmlrpc.NewFault(FaultIncorrectParameters, xmlrpc.Str(args[1]))
	}
	spec, ok := single(name)
	if !ok {
		return nil, xmlrpc.NewFault(FaultBadName, name)
	}
	if err := s.opts.Backend.WriteStdin(spec, []byte(chars)); err != nil {
		if errors.Is(err, supervise.ErrNoFile) || errors.Is(err, syscall.EPIPE) {
			return nil, xmlrpc.NewFault(FaultNoFile, name)
		}
		return nil, faultOf(err, name)
	}
	return true, nil
}

func (s *Server) sendRemoteCommEvent(_ context.Context, args []any) (any, error) {
	typ, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	data, err := strArg(args, 1)
	if err != nil {
		return nil, err
	}
	if s.opts.RemoteComm != nil {
		s.opts.RemoteComm(typ, data)
	}
	return true, nil
}

func (s *Server) reloadConfig(ctx context.Context, _ []any) (any, error) {
	if s.opts.Reloader == nil {
		return nil, xmlrpc.NewFault(FaultCantReread, "this server has no configuration file to reread")
	}
	added, changed, removed, err := s.opts.Reloader.Reread(ctx)
	if err != nil {
		return nil, xmlrpc.NewFault(FaultCantReread, err.Error())
	}
	list := func(names []string) []string {
		if names == nil {
			return []string{}
		}
		return names
	}
	return []any{[]any{list(added), list(changed), list(removed)}}, nil
}

func (s *Server) addProcessGroup(ctx context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	if s.opts.Reloader == nil {
		return nil, xmlrpc.NewFault(FaultBadName, name)
	}
	if err := s.opts.Reloader.AddGroup(ctx, name); err != nil {
		return nil, faultOf(err, name)
	}
	return true, nil
}

func (s *Server) removeProcessGroup(ctx context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	if s.opts.Reloader == nil {
		return nil, xmlrpc.NewFault(FaultBadName, name)
	}
	if err := s.opts.Reloader.RemoveGroup(ctx, name); err != nil {
		return nil, faultOf(err, name)
	}
	return true, nil
}

func (s *Server) listMethods(context.Context, []any) (any, error) {
	names := make([]string, 0, len(s.methods))
	for n := range s.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func (s *Server) methodHelp(_ context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	m := s.methods[name]
	if m == nil {
		return nil, xmlrpc.NewFault(FaultSignatureUnsupported, "")
	}
	return m.doc, nil
}

// methodSignature parses the @return and @param tags of the documentation, as supervisord's
// gettags does: the second word of each tag line is the type.
func (s *Server) methodSignature(_ context.Context, args []any) (any, error) {
	name, err := strArg(args, 0)
	if err != nil {
		return nil, err
	}
	m := s.methods[name]
	if m == nil {
		return nil, xmlrpc.NewFault(FaultSignatureUnsupported, "")
	}
	var rtype string
	var ptypes []string
	for _, line := range strings.Split(m.doc, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "@") {
			continue
		}
		typ := ""
		if len(f) > 1 {
			typ = f[1]
		}
		switch f[0] {
		case "@return":
			rtype = typ
		case "@param":
			ptypes = append(ptypes, typ)
		}
	}
	if rtype == "" {
		return nil, xmlrpc.NewFault(FaultSignatureUnsupported, "")
	}
	return append([]string{rtype}, ptypes...), nil
}

// multicall runs the calls in order; each result is the plain value or a fault struct.
func (s *Server) multicall(ctx context.Context, args []any) (any, error) {
	calls, ok := args[0].([]any)
	if !ok {
		return nil, errParams
	}
	out := make([]any, 0, len(calls))
	for _, c := range calls {
		v, err := s.oneOfMulticall(ctx, c)
		if err != nil {
			f := faultOf(err, "")
			v = xmlrpc.Struct{{Name: "faultCode", Value: f.Code}, {Name: "faultString", Value: f.String}}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) oneOfMulticall(ctx context.Context, c any) (any, error) {
	st, ok := c.(xmlrpc.Struct)
	if !ok {
		return nil, xmlrpc.NewFault(FaultFailed, "a call must be a struct with methodName and params")
	}
	nameV, ok := st.Get("methodName")
	if !ok {
		return nil, xmlrpc.NewFault(FaultIncorrectParameters, "No methodName")
	}
	name, ok := nameV.(string)
	if !ok {
		return nil, xmlrpc.NewFault(FaultUnknownMethod, "")
	}
	if name == "system.multicall" {
		return nil, xmlrpc.NewFault(FaultIncorrectParameters, "Recursive system.multicall forbidden")
	}
	params := []any{}
	if p, ok := st.Get("params"); ok {
		if params, ok = p.([]any); !ok {
			return nil, errParams
		}
	}
	return s.call(ctx, name, params)
}

func channelTitle(channel string) string {
	if channel == "stderr" {
		return "Stderr"
	}
	return "Stdout"
}

// ExtraMethod is a method a program adds to the API beside supervisord's (Options.Extra). It
// gets the decoded arguments; an error that is a *Fault is sent as is, any other error goes
// through the same fault mapping as the built-in methods.
type ExtraMethod func(ctx context.Context, args []any) (any, error)

// callExtra runs a method of Options.Extra, with the SHUTDOWN_STATE check of the supervisor.*
// methods.
func (s *Server) callExtra(ctx context.Context, name string, args []any) (any, error) {
	fn := s.opts.Extra[name]
	if ns, _, _ := strings.Cut(name, "."); fn == nil || ns == "supervisor" || ns == "system" {
		return nil, xmlrpc.NewFault(FaultUnknownMethod, "")
	}
	if s.stopping() {
		return nil, xmlrpc.NewFault(FaultShutdownState, "")
	}
	return reply(fn(ctx, args))
}
