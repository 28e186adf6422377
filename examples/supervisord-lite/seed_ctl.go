package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/ctl"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// The seed stack's ctl actions, added to supervisorctl's: explain and ps. Both need the
// daemon on this host: they read its process table with gopsutil (the XML-RPC API has no
// method for it), and explain re-resolves the config file with the daemon's environment
// (pyapp.Resolve: what the daemon decides for each [gunicorn:x] and python_env program).

func explainAction() ctl.Command {
	return ctl.Command{Name: "explain", Run: doExplain, Help: []string{
		"explain <name>\t\tWhy a [gunicorn:x] or python_env program runs as it does:",
		"\t\t\tPython version and where it was set, venv, argv, environment, certificate"}}
}

func psAction() ctl.Command {
	return ctl.Command{Name: "ps", Run: doPs, Help: []string{
		"ps\t\t\tEvery program's process tree (pid, state, RSS, CPU), and processes",
		"\t\t\tstarted by supervisord-lite that belong to no running program"}}
}

// daemonProcess returns the daemon's process (supervisor.getPID) on this host.
func daemonProcess(s *ctl.Session) (*process.Process, error) {
	pid, err := s.Client().GetPID(s.Context())
	if err != nil {
		return nil, err
	}
	p, err := process.NewProcessWithContext(s.Context(), int32(pid))
	if err != nil {
		return nil, fmt.Errorf("supervisord-lite (pid %d) is not on this host: %w", pid, err)
	}
	return p, nil
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
	if dp, err := daemonProcess(s); err == nil {
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
	cfg, err := loadConfigEnv(s.Settings().ConfigFile, environ)
	if err != nil {
		s.Output("Error: " + err.Error())
		s.SetExit(ctl.ExitGeneric)
		return nil
	}
	sps, err := pyapp.Resolve(cfg, environ)
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

func explain(s *ctl.Session, sp pyapp.Resolved, envNote string, live *rpc.ProcessInfo) {
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
	out("argv", pyapp.CommandLine(sp.Argv))
	if live != nil {
		if pid := live.Pid; pid > 0 {
			if p, err := process.NewProcessWithContext(ctx, int32(pid)); err == nil {
				if cl, err := p.CmdlineSliceWithContext(ctx); err == nil && len(cl) > 0 {
					out("running", fmt.Sprintf("pid %d: %s", pid, pyapp.CommandLine(cl)))
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

// psRow is one process of `ctl ps`.
type psRow struct {
	depth int
	p     *process.Process
}

func doPs(s *ctl.Session, arg string) error {
	ctx := s.Context()
	dp, err := daemonProcess(s)
	if err != nil {
		return err
	}
	all, err := s.Client().GetAllProcessInfo(ctx)
	if err != nil {
		return err
	}
	s.Output(fmt.Sprintf("%-24s %-9s %7s %7s %9s %6s  %s", "PROGRAM", "STATE", "PID", "PPID", "RSS", "CPU%", "COMMAND"))
	owned := map[int32]bool{}
	for _, r := range all {
		spec := r.Namespec()
		pid := int32(r.Pid)
		if pid <= 0 {
			s.Output(fmt.Sprintf("%-24s %-9s %7s", spec, r.StateName, "-"))
			continue
		}
		p, err := process.NewProcessWithContext(ctx, pid)
		if err != nil {
			s.Output(fmt.Sprintf("%-24s %-9s %7d  (gone)", spec, r.StateName, pid))
			continue
		}
		for i, row := range psTree(p, 0, 64) {
			owned[row.p.Pid] = true
			label, state := "", ""
			if i == 0 {
				label, state = spec, r.StateName
			}
			s.Output(psLine(label, state, row))
		}
	}
	// Children of the daemon that no running program accounts for: orphaned workers
	// reparented to the daemon (its child subreaper role), leftovers of a stopped program.
	kids, _ := dp.ChildrenWithContext(ctx)
	var stray []psRow
	for _, k := range kids {
		if owned[k.Pid] {
			continue
		}
		if st, err := k.StatusWithContext(ctx); err == nil && len(st) > 0 && st[0] == process.Zombie {
			continue
		}
		stray = append(stray, psTree(k, 0, 64)...)
	}
	if len(stray) > 0 {
		s.Output("")
		s.Output("started by supervisord-lite, in no running program:")
		for _, row := range stray {
			s.Output(psLine("", "", row))
		}
	}
	ctl.KernelNotes(s) // kernel features the daemon lacks (CentOS 6)
	return nil
}

// psTree lists p and its descendants depth-first (at most limit processes).
func psTree(p *process.Process, depth, limit int) []psRow {
	rows := []psRow{{depth, p}}
	kids, err := p.Children()
	if err != nil {
		return rows
	}
	sort.Slice(kids, func(a, b int) bool { return kids[a].Pid < kids[b].Pid })
	for _, k := range kids {
		if len(rows) >= limit {
			break
		}
		rows = append(rows, psTree(k, depth+1, limit-len(rows))...)
	}
	return rows
}

func psLine(label, state string, row psRow) string {
	p := row.p
	ppid, _ := p.Ppid()
	rss := "-"
	if m, err := p.MemoryInfo(); err == nil {
		rss = fmt.Sprintf("%.1fM", float64(m.RSS)/(1<<20))
	}
	cpu := "-"
	if v, err := p.CPUPercent(); err == nil {
		cpu = fmt.Sprintf("%.1f", v)
	}
	cmd := psCommand(p)
	return fmt.Sprintf("%-24s %-9s %7d %7d %9s %6s  %s%s", label, state, p.Pid, ppid, rss, cpu, strings.Repeat("  ", row.depth), cmd)
}

// loadConfigEnv reads the config for explain with environ as the %(ENV_X)s names.
func loadConfigEnv(path string, environ []string) (*conf.Config, error) {
	return conf.Load(path, conf.Options{Environ: environ})
}

// psCommand is the process's command line for ps: the interpreter and the script as base
// names (python gunicorn --bind ...), cut at 160 characters; `ctl explain` has the full argv.
func psCommand(p *process.Process) string {
	argv, err := p.CmdlineSlice()
	if err != nil || len(argv) == 0 {
		name, _ := p.Name()
		return "[" + name + "]"
	}
	short := append([]string(nil), argv...)
	for i := 0; i < len(short) && i < 2; i++ {
		if filepath.IsAbs(short[i]) {
			short[i] = filepath.Base(short[i])
		}
	}
	cmd := strings.Join(short, " ")
	if len(cmd) > 160 {
		cmd = cmd[:157] + "..."
	}
	return cmd
}
