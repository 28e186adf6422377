package supervise

import "sort"

// ProcessStats is one process as monitoring sees it (supervise/metrics): its status plus
// counters the status does not carry.
type ProcessStats struct {
	ProcessInfo
	// Starts is how many times the process was spawned since its program was added.
	Starts uint64
	// Ready is the program's Checks.Ready ("" = none).
	Ready string
	// HealthChecked reports that the program has a health check; HealthFailures is how many
	// of the current process's checks failed in a row.
	HealthChecked  bool
	HealthFailures int
	// CheckRestarts is how many times a failed check (health, memory, watchdog) restarted
	// the process since its program was added.
	CheckRestarts uint64
	// MemoryLimit is the program's Checks.MemoryLimit in bytes (0 = none).
	MemoryLimit int64
	// LogDropped is how many bytes of output did not reach the log files (disk errors,
	// logrotate.Writer.Dropped) since the program was added.
	LogDropped int64
}

// Stats returns every process's ProcessStats, ordered as Status orders them. It reads the
// published snapshots only: it never waits for a process.
func (s *Supervisor) Stats() []ProcessStats {
	s.mu.Lock()
	var procs []*process
	for _, g := range s.groups {
		procs = append(procs, g.procs...)
	}
	s.mu.Unlock()
	now := s.clock.Now()
	out := make([]ProcessStats, 0, len(procs))
	for _, p := range procs {
		sn := p.snap.Load()
		st := ProcessStats{ProcessInfo: sn.info, Starts: sn.spawns, Ready: p.prog.Checks.Ready,
			HealthChecked: p.prog.Checks.health(), HealthFailures: sn.checks.failures,
			CheckRestarts: sn.checks.restarts, MemoryLimit: p.prog.Checks.MemoryLimit}
		st.Now = now
		for _, w := range p.out.files() {
			st.LogDropped += w.Dropped()
		}
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Name < out[j].Name
	})
	return out
}
