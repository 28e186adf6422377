package pyapp

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/process"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/ctl"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// ExplainCommand is the ctl action `explain <name>`: why a [gunicorn:x] or python_env program
// runs as it does (Python version and the file that set it, venv, argv, environment,
// certificate). It re-reads the config file (-c) and resolves it as the daemon does, with the
// daemon's own environment when this host lets it read it (PYENV_ROOT, PATH, HOME), and shows
// the running process's command line beside the resolved one.
func ExplainCommand() ctl.Command {
	return ctl.Command{Name: "explain", Run: doExplain, Help: []string{
		"explain <name>\t\tWhy a [gunicorn:x] or python_env program runs as it does:",
		"\t\t\tPython version and where it was set, venv, argv, environment, certificate"}}
}

func doExplain(s *ctl.Session, arg string) error {
	ctx := s.Context()
	name := strings.TrimSpace(arg)
	if name == "" || strings.ContainsAny(name, " \t") {
		s.Output("Error: explain requires exactly one process name")
		s.Help("explain")
		s.SetExit(ctl.ExitInvalidArgs)
		return nil
	}
	if s.Settings().ConfigFile == "" {
		s.Output("Error: explain needs the config file (-c)")
		s.SetExit(ctl.ExitInvalidArgs)
		return nil
	}
	// The daemon's own environment gives the same resolution as the daemon's (PYENV_ROOT,
	// PATH, HOME); when it cannot be read (another user's process), this shell's is used.
	environ, envNote := os.Environ(), "this shell's environment (the daemon's is not readable)"
	var running map[string]*rpc.ProcessInfo
	if dp, err := ctl.DaemonProcess(s); err == nil {
		if env, eerr := dp.EnvironWithContext(ctx); eerr == nil {
			environ, envNote = env, fmt.Sprintf("the daemon's environment (pid %d)", dp.Pid)
		}
		if all, rerr := s.Client().GetAllProcessInfo(ctx); rerr == nil {
			running = map[string]*rpc.ProcessInfo{}
			for i := range all {
				running[all[i].Namespec()] = &all[i]
			}
		}
	}
	cfg, err := conf.Load(s.Settings().ConfigFile, conf.Options{Environ: environ})
	if err != nil {
		s.Output("Error: " + err.Error())
		s.SetExit(ctl.ExitGeneric)
		return nil
	}
	sps, err := Resolve(cfg, environ)
	if err != nil {
		s.Output("Error: " + err.Error())
		s.SetExit(ctl.ExitGeneric)
		return nil
	}
	group, proc := rpc.SplitNamespec(name)
	for _, sp := range sps {
		if (proc == "" && (sp.Group == group && sp.Name == group)) || (sp.Group == group && sp.Name == proc) || (proc == "" && sp.Name == group) {
			explain(s, sp, envNote, running[rpc.Namespec(sp.Group, sp.Name)])
			ctl.KernelNotes(s) // kernel features the daemon lacks (CentOS 6)
			return nil
		}
	}
	s.Output(name + ": ERROR (no [gunicorn:x] or python_env program of that name in " + s.Settings().ConfigFile + ")")
	s.SetExit(ctl.ExitGeneric)
	return nil
}

func explain(s *ctl.Session, sp Resolved, envNote string, live *rpc.ProcessInfo) {
	ctx := s.Context()
	out := func(k, v string) { s.Output(fmt.Sprintf("  %-12s %s", k+":", v)) }
	s.Output(fmt.Sprintf("%s  [%s]", rpc.Namespec(sp.Group, sp.Name), sp.Section))
	if live != nil {
		desc := live.StateName
		if d := live.Description; d != "" {
			desc += "  " + d
		}
		out("state", desc)
	}
	out("directory", sp.Dir)
	out("resolved by", envNote)
	if sp.Err != nil {
		out("python", "NOT RESOLVED: "+sp.Err.Error())
		out("command", strings.Join(sp.Argv, " ")+"  (cannot run: the program goes FATAL with the message above)")
		return
	}
	out("python", strings.Join(sp.Versions, ":")+"  (set by "+sp.Origin+")")
	if sp.Pipenv != "" {
		out("pipenv", sp.Pipenv)
	}
	venv := sp.Venv
	if venv == "" {
		venv = "(none: not a virtualenv)"
	}
	out("venv", venv)
	out("argv", CommandLine(sp.Argv))
	if live != nil {
		if pid := live.Pid; pid > 0 {
			if p, err := process.NewProcessWithContext(ctx, int32(pid)); err == nil {
				if cl, err := p.CmdlineSliceWithContext(ctx); err == nil && len(cl) > 0 {
					out("running", fmt.Sprintf("pid %d: %s", pid, CommandLine(cl)))
				}
			}
		}
	}
	s.Output("  environment (set on top of the daemon's):")
	for _, kv := range sp.Env {
		s.Output("    " + kv)
	}
	if len(sp.Cleared) > 0 {
		out("cleared", strings.Join(sp.Cleared, " ")+" (inherited, emptied)")
	}
	if sp.CertFile != "" {
		info, err := gunicorn.ReadCertInfo(sp.CertFile)
		if err != nil {
			out("certificate", "UNUSABLE: "+err.Error())
		} else {
			days := int(info.ExpiresIn(time.Now()).Hours() / 24)
			state := fmt.Sprintf("expires %s (in %d days)", info.NotAfter.Format("2006-01-02"), days)
			if days < 0 {
				state = fmt.Sprintf("EXPIRED on %s", info.NotAfter.Format("2006-01-02"))
			}
			out("certificate", sp.CertFile)
			s.Output("               " + state + "; " + info.String())
		}
		if sp.KeyFile != "" {
			out("key", sp.KeyFile)
		}
	}
	for _, w := range sp.Warnings {
		out("warning", w)
	}
}
