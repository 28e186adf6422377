package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// DefaultTimeout is --timeout's default: each server of a fleet or --json command has 30
// seconds, enough to restart programs with supervisord's default startsecs (1 s) and
// stopwaitsecs (10 s).
const DefaultTimeout = 30 * time.Second

// maxTimeoutSeconds bounds --timeout: one day.
const maxTimeoutSeconds = 86400

// localCommands answer without a server: a fleet command runs them once, as supervisorctl.
var localCommands = map[string]bool{"help": true, "quit": true, "exit": true, "EOF": true}

// streaming reports whether the action streams until interrupted or changes the server it
// talks to (fg, open, tail -f, maintail -f): those run on one server without --json only.
func streaming(name, arg string) bool {
	switch name {
	case "fg", "open":
		return true
	case "tail", "maintail":
		return contains(strings.Fields(arg), "-f")
	}
	return false
}

// runFleet runs line on every server of s.Servers at once, each with its own client,
// session and s.Timeout, and prints the merged answer (status), each server's output under
// its name (other actions), or a Report (--json). It returns the highest exit status of
// the servers.
func (c *Ctl) runFleet(ctx context.Context, s Settings, line string) int {
	name, arg, line := splitCommand(line)
	if _, known := c.commands[name]; !known || localCommands[name] {
		// help, quit, an unknown action: answered without asking a server.
		s.ServerURL, s.Username, s.Password = s.Servers[0].URL, s.Servers[0].Username, s.Servers[0].Password
		return c.runOne(ctx, s, []string{line})
	}
	if streaming(name, arg) {
		fmt.Fprintf(c.opts.Stderr, "Error: %s cannot run on several servers or with --json\nFor help, use %s -h\n",
			strings.TrimSpace(name+" "+arg), c.opts.Argv0)
		return ExitInvalidArgs
	}
	reports := make([]ServerReport, len(s.Servers))
	var wg sync.WaitGroup
	for i, sv := range s.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = c.runServer(ctx, s, sv, name, line)
		}()
	}
	wg.Wait()
	exit := ExitSuccess
	for _, r := range reports {
		exit = max(exit, r.Exit)
	}
	out := c.opts.Stdout
	switch {
	case s.JSON:
		b, err := json.MarshalIndent(Report{Version: ReportVersion, Command: line, Exit: exit, Servers: reports}, "", "  ")
		if err != nil { // cannot happen: the report holds strings, numbers and bools
			fmt.Fprintf(c.opts.Stderr, "error: %v\n", err)
			return ExitGeneric
		}
		fmt.Fprintf(out, "%s\n", b)
	case name == "status":
		for _, l := range mergedStatus(reports) {
			fmt.Fprintln(out, l)
		}
	default:
		for _, r := range reports {
			fmt.Fprintln(out, r.Name+":")
			for _, l := range r.Output {
				fmt.Fprintln(out, "  "+l)
			}
			if r.cut {
				fmt.Fprintln(out, "  ERROR ("+r.Error+")")
			}
		}
	}
	return exit
}

// runServer runs line (the action name) on sv with s's settings and s.Timeout.
func (c *Ctl) runServer(ctx context.Context, s Settings, sv Server, name, line string) ServerReport {
	r := ServerReport{Name: sv.Name, URL: sv.URL, Output: []string{}, Processes: []ProcessStatus{}, Results: []ProcessOutcome{}}
	client, err := rpc.Dial(sv.URL, sv.Username, sv.Password)
	if err != nil {
		r.Exit, r.Error = ExitInvalidArgs, err.Error()
		r.Output = append(r.Output, "ERROR ("+err.Error()+")")
		return r
	}
	defer client.Close()
	sctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	s.ServerURL, s.Username, s.Password = sv.URL, sv.Username, sv.Password
	rec := &serverRecord{processes: []ProcessStatus{}, results: []ProcessOutcome{}}
	sess := &Session{base: sctx, ctx: sctx, out: rec, errOut: rec, stdin: strings.NewReader(""), input: newInput(strings.NewReader("")), settings: s,
		client: client, commands: c.commands, rec: rec}
	sess.onecmd(line)
	r.Exit = sess.exit
	r.Output = rec.output()
	r.entries = rec.entries
	r.Error = rec.err
	r.Processes = rec.processes
	r.Results = rec.results
	if rec.cut {
		r.cut = true
		r.Exit = ExitGeneric
		if name == "status" {
			r.Exit = ExitStatusUnknown
		}
		if ctx.Err() != nil {
			r.Error = "interrupted"
		} else {
			r.TimedOut, r.Error = true, "timed out after "+s.Timeout.String()
		}
	}
	return r
}

// mergedStatus is a fleet's status: every server's lines, the server's name first; the
// process columns are aligned across servers.
func mergedStatus(reports []ServerReport) []string {
	width, maxlen := 0, 30
	for _, r := range reports {
		width = max(width, pyLen(r.Name)+3)
		for _, p := range r.Processes {
			maxlen = max(maxlen, pyLen(p.Namespec))
		}
	}
	var lines []string
	for _, r := range reports {
		for _, e := range r.entries {
			if e.infos == nil {
				lines = append(lines, pad(r.Name, width)+e.text)
				continue
			}
			lines = append(lines, statusLines(e.infos, r.Name, width, maxlen)...)
		}
		if r.cut {
			lines = append(lines, pad(r.Name, width)+"ERROR ("+r.Error+")")
		}
	}
	return lines
}

// serverRecord is one server's part of a fleet command: the session writes its output
// into it (as lines), and the actions record the statuses and results they show.
type serverRecord struct {
	entries   []recordEntry
	partial   []byte // output after the last newline
	processes []ProcessStatus
	results   []ProcessOutcome
	err       string // what kept the action from running: an escaping error, an unreachable server
	cut       bool   // the action failed because the timeout ended (or the user interrupted)
}

// recordEntry is one output line, or a status table (infos not nil).
type recordEntry struct {
	text  string
	infos []rpc.ProcessInfo
}

func (r *serverRecord) Write(p []byte) (int, error) {
	r.partial = append(r.partial, p...)
	for {
		i := strings.IndexByte(string(r.partial), '\n')
		if i < 0 {
			return len(p), nil
		}
		r.entries = append(r.entries, recordEntry{text: string(r.partial[:i])})
		r.partial = r.partial[i+1:]
	}
}

// flush ends a partial output line.
func (r *serverRecord) flush() {
	if len(r.partial) > 0 {
		r.entries = append(r.entries, recordEntry{text: string(r.partial)})
		r.partial = nil
	}
}

// addStatuses records the status table status shows.
func (r *serverRecord) addStatuses(infos []rpc.ProcessInfo) {
	r.flush()
	r.entries = append(r.entries, recordEntry{infos: infos})
	for _, info := range infos {
		r.processes = append(r.processes, processStatus(info))
	}
}

// addResult records the outcome of action for one process; nil-safe.
func (r *serverRecord) addResult(action string, res rpc.ProcessResult, line string, ok bool) {
	if r == nil {
		return
	}
	r.results = append(r.results, ProcessOutcome{Action: action, Name: res.Name, Group: res.Group,
		Namespec: res.Namespec(), Status: res.Status, OK: ok, Description: res.Description, Message: line})
}

// fail records what kept the action from running; nil-safe.
func (r *serverRecord) fail(msg string) {
	if r != nil {
		r.err = msg
	}
}

// output returns the lines the session printed, a status table as supervisorctl prints it.
func (r *serverRecord) output() []string {
	r.flush()
	lines := []string{}
	for _, e := range r.entries {
		if e.infos == nil {
			lines = append(lines, e.text)
			continue
		}
		lines = append(lines, statusLines(e.infos, "", 0, statusWidth(e.infos))...)
	}
	return lines
}
