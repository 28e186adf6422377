package ctl

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shirou/gopsutil/v3/process"
)

// PsCommand is the `ps` action: every program's process tree (pid, parent, RSS, CPU, command
// line), then the daemon's children that no running program accounts for (orphaned workers
// reparented to the daemon as child subreaper, leftovers of a stopped program). It needs the
// daemon on this host: it reads the process table (the XML-RPC API has no method for it).
func PsCommand() Command {
	return Command{Name: "ps", Run: doPs, Help: []string{
		"ps\t\t\tEvery program's process tree (pid, state, RSS, CPU), and processes",
		"\t\t\tstarted by supervisord-lite that belong to no running program"}}
}

// DaemonProcess returns the daemon's process (supervisor.getPID) on this host, or an error
// saying the daemon runs elsewhere.
func DaemonProcess(s *Session) (*process.Process, error) {
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

// psRow is one process of `ctl ps`.
type psRow struct {
	depth int
	p     *process.Process
}

func doPs(s *Session, arg string) error {
	ctx := s.Context()
	dp, err := DaemonProcess(s)
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
	KernelNotes(s) // kernel features the daemon lacks (CentOS 6)
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
