package ctl

import (
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// ReportVersion is Report.Version. It changes only when a field of the report changes
// meaning or goes away; new fields may be added without a change.
const ReportVersion = 1

// Report is what --json prints: one JSON object (indented, then a newline) for the whole
// command. Every field is always present; lists are [] when empty.
type Report struct {
	// Version is ReportVersion (1).
	Version int `json:"version"`
	// Command is the action and its arguments as run: "restart web".
	Command string `json:"command"`
	// Exit is the command's exit status: the highest of the servers' Exit.
	Exit int `json:"exit"`
	// Servers are the servers' answers in the order they were given (--fleet, then -s).
	Servers []ServerReport `json:"servers"`
}

// ServerReport is one server's part of a Report.
type ServerReport struct {
	// Name is the server's name ([server:NAME], or the URL given with -s); URL its serverurl.
	Name string `json:"name"`
	URL  string `json:"url"`
	// Exit is the exit status supervisorctl would return for this server alone (the Exit*
	// codes); a server that timed out has ExitStatusUnknown for status, ExitGeneric else.
	Exit int `json:"exit"`
	// Error says what kept the action from running on this server, "" when nothing did:
	// "http://10.0.0.2:9001 refused connection", "timed out after 30s", "interrupted", or
	// an error as supervisorctl prints it ("error: <class 'xmlrpc.client.Fault'>, ...").
	// Results of single processes (a process that is not running) are not errors here.
	Error string `json:"error"`
	// TimedOut is true when the server did not answer within --timeout.
	TimedOut bool `json:"timed_out"`
	// Output is what supervisorctl would print for this server alone, line by line.
	Output []string `json:"output"`
	// Processes are the processes status showed (empty for other actions).
	Processes []ProcessStatus `json:"processes"`
	// Results are the outcomes for single processes of start, stop, restart (its stops,
	// then its starts), signal and clear, in the order they were printed.
	Results []ProcessOutcome `json:"results"`

	entries []recordEntry // the output as recorded, for the merged status table
	cut     bool          // the timeout or an interrupt ended the action
}

// ProcessStatus is one process as status shows it; the names are those of supervisord's
// getProcessInfo.
type ProcessStatus struct {
	Name     string `json:"name"`
	Group    string `json:"group"`
	Namespec string `json:"namespec"` // "group:name", or name when both are equal
	// State is the state code (20 RUNNING, 0 STOPPED...), StateName its name.
	State       int    `json:"state"`
	StateName   string `json:"statename"`
	Description string `json:"description"` // "pid 2203, uptime 0:01:02", "Not started"...
	Pid         int    `json:"pid"`         // 0 when not running
	// Start and Stop are when the process last started and stopped, in Unix seconds; 0 when
	// it never did.
	Start      int64  `json:"start"`
	Stop       int64  `json:"stop"`
	ExitStatus int    `json:"exitstatus"` // the last exit status
	SpawnErr   string `json:"spawnerr"`   // the last spawn error, "" if none
}

// ProcessOutcome is what an action did to one process.
type ProcessOutcome struct {
	// Action is "start", "stop", "signal" or "clear".
	Action   string `json:"action"`
	Name     string `json:"name"`
	Group    string `json:"group"`
	Namespec string `json:"namespec"`
	// Status is supervisord's fault code for this process: 80 (SUCCESS), 10 (BAD_NAME),
	// 60 (ALREADY_STARTED), 70 (NOT_RUNNING), 50 (SPAWN_ERROR)...
	Status int `json:"status"`
	// OK is true when the outcome counts as success for the exit status (SUCCESS, an
	// already started process for start, a process not running for stop).
	OK bool `json:"ok"`
	// Description is supervisord's text for Status ("OK", the fault's text).
	Description string `json:"description"`
	// Message is the line printed for it: "web: started", "web: ERROR (spawn error)".
	Message string `json:"message"`
}

// processStatus converts a ProcessInfo for the report.
func processStatus(i rpc.ProcessInfo) ProcessStatus {
	p := ProcessStatus{Name: i.Name, Group: i.Group, Namespec: i.Namespec(), State: int(i.State),
		StateName: i.StateName, Description: i.Description, Pid: i.Pid, ExitStatus: i.ExitStatus,
		SpawnErr: i.SpawnErr}
	if !i.Start.IsZero() {
		p.Start = i.Start.Unix()
	}
	if !i.Stop.IsZero() {
		p.Stop = i.Stop.Unix()
	}
	return p
}
