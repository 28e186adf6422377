package supervise

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// Program.DependsOn: the autostart of a process that depends on others waits for them to be
// RUNNING, and the shutdown stops dependents before what they depend on. Both read other
// processes only through their published snapshots, so no process goroutine ever waits for
// another.

// depsOf returns the processes p depends on and the DependsOn names that match none. Call
// with s.mu held.
func (s *Supervisor) depsOf(p *process) (deps []*process, missing []string) {
	for _, d := range p.prog.DependsOn {
		group, name, one := strings.Cut(d, ":")
		found := false
		if g := s.find(group); g != nil {
			for _, q := range g.procs {
				if q != p && (!one || q.prog.Name == name) {
					deps = append(deps, q)
					found = true
				}
			}
		}
		if !found {
			missing = append(missing, d)
		}
	}
	return deps, missing
}

func running(sn *snapshot) bool { return sn.info.State == Running }

// autostartAfter autostarts p once everything it depends on is RUNNING: at once when it
// already is, else from a goroutine that waits on their snapshots (no timer, no polling) and
// ends with the shutdown, when they quit.
func (s *Supervisor) autostartAfter(p *process) {
	s.mu.Lock()
	deps, missing := s.depsOf(p)
	s.mu.Unlock()
	name := p.prog.Name
	if len(missing) > 0 {
		s.log(slog.LevelWarn, "not starting %s: depends_on names %s, which is not configured", name, strings.Join(missing, ", "))
		return
	}
	allRunning := func() bool {
		for _, d := range deps {
			if !running(d.snap.Load()) {
				return false
			}
		}
		return true
	}
	bg := context.Background()
	if allRunning() {
		p.call(bg, procCmd{kind: cmdAutostart})
		return
	}
	s.log(slog.LevelInfo, "waiting: %s starts when %s are RUNNING (depends_on)", name, strings.Join(p.prog.DependsOn, ", "))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for !allRunning() {
			for _, d := range deps {
				if waitSnap(bg, d, running) != nil {
					return // it quit: removed, or the supervisor shuts down
				}
			}
		}
		p.call(bg, procCmd{kind: cmdAutostart})
	}()
}

// stopDependents is the first part of a shutdown: the processes in a depends_on relation stop
// in rounds, each round the ones no running process depends on any more, so that a process
// stops before what it depends on. The priority order stops the rest (and what a cycle left).
func (s *Supervisor) stopDependents(groups []*groupEntry) {
	dependents := map[*process][]*process{}
	var involved []*process
	seen := map[*process]bool{}
	note := func(p *process) {
		if !seen[p] {
			seen[p] = true
			involved = append(involved, p)
		}
	}
	s.mu.Lock()
	for _, g := range groups {
		for _, p := range g.procs {
			if len(p.prog.DependsOn) == 0 {
				continue
			}
			deps, _ := s.depsOf(p)
			for _, d := range deps {
				dependents[d] = append(dependents[d], p)
				note(p)
				note(d)
			}
		}
	}
	s.mu.Unlock()
	stopped := map[*process]bool{}
	bg := context.Background()
	for len(stopped) < len(involved) {
		var round []*process
		for _, p := range involved {
			free := !stopped[p]
			for _, q := range dependents[p] {
				free = free && stopped[q]
			}
			if free {
				round = append(round, p)
			}
		}
		if len(round) == 0 {
			return // a cycle
		}
		var wg sync.WaitGroup
		for _, p := range round {
			stopped[p] = true
			wg.Add(1)
			go func(p *process) {
				defer wg.Done()
				p.call(bg, procCmd{kind: cmdStopAll})
				waitSnap(bg, p, gone)
			}(p)
		}
		wg.Wait()
	}
}
