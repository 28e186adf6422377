package ctl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// DeployCommand is the `deploy NAME [NAME ...]` action (supervisord-lite's): each process is
// replaced as rpc.MethodDeployProcess does (the new one starts on the held sockets before the
// old one is stopped; stop-then-start without held sockets), one after the other, and the old
// and new pids are printed:
//
//	web: deployed (pid 4242 -> 4300, overlap)
//	worker: deployed (pid 4250 -> 4301, stop-then-start)
//
// A failure prints supervisorctl's start errors (web: ERROR (spawn error)) and sets the exit
// status as start does. Against a real supervisord it says the server has no deploy.
func DeployCommand() Command {
	return Command{Name: "deploy", Run: doDeploy, Help: []string{
		"deploy <name>\t\tStart a new process on the held sockets, then stop the old one",
		"deploy <name> <name>\tDeploy several processes, one after the other",
		"\t\t\t(stop-then-start for a program without sockets=)"}}
}

func doDeploy(s *Session, arg string) error {
	names := strings.Fields(arg)
	if len(names) == 0 {
		s.Output("Error: deploy requires a process name")
		s.Help("deploy")
		s.SetExit(ExitGeneric)
		return nil
	}
	for _, name := range names {
		res, err := s.Client().DeployProcess(s.Context(), name)
		var f *rpc.Fault
		switch {
		case errors.As(err, &f) && f.Code == rpc.FaultUnknownMethod:
			s.Output("ERROR: this server has no " + rpc.MethodDeployProcess + " (supervisord has no deploy)")
			s.SetExit(ExitGeneric)
			return nil
		case errors.As(err, &f):
			g, n := rpc.SplitNamespec(name)
			line, ferr := startResult(rpc.ProcessResult{Group: g, Name: n, Status: f.Code, Description: f.String})
			if ferr != nil {
				line = name + ": ERROR (" + f.String + ")"
			}
			s.Output(line)
			s.setExitFromFault(f.Code, -1)
			continue
		case err != nil:
			return err
		}
		how := "stop-then-start"
		if res.Overlap {
			how = "overlap"
		}
		s.Output(fmt.Sprintf("%s: deployed (pid %d -> %d, %s)", res.Name, res.OldPid, res.NewPid, how))
	}
	return nil
}
