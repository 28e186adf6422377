package export

import (
	"strconv"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// How supervisord-lite's own options become systemd directives (see lite_options.go).

// systemdEnvironmentFile is what systemd's EnvironmentFile= parser does differently from the
// dotenv format supervisord-lite reads.
const systemdEnvironmentFile = "systemd reads it with its own parser, not as dotenv: an \"export \" prefix makes the line invalid, ${VAR} is not expanded, a \" #comment\" after an unquoted value stays in the value, \\n in double quotes stays \\n"

// dependencyUnits maps each process's unit to the units its depends_on names (a group: all of
// its processes; group:process: that one), in the order written. A name that is no exported
// program (an [fcgi-program:x], say) is warned about.
func (m *model) dependencyUnits(units map[string]string) map[string][]string {
	byName := map[string][]string{}
	manual := map[string]bool{} // units of autostart=false processes
	for _, p := range m.programs {
		for _, proc := range p.Procs {
			u := units[procKey(proc)]
			byName[proc.Group] = append(byName[proc.Group], u)
			byName[procKey(proc)] = []string{u}
			manual[u] = !proc.AutoStart
		}
	}
	out := map[string][]string{}
	for _, p := range m.programs {
		for _, proc := range p.Procs {
			var deps []string
			for _, name := range proc.DependsOn {
				us, ok := byName[name]
				if !ok {
					m.warnValue(proc, "depends_on", "names "+name+", which is not exported as a unit: no Requires= on it")
					continue
				}
				for _, u := range us {
					if manual[u] {
						m.warnValue(proc, "depends_on", "names "+name+", whose "+u+" has autostart=false: Requires= starts it with this unit (supervisord-lite waits until it is started)")
						break
					}
				}
				deps = appendNew(deps, us...)
			}
			out[units[procKey(proc)]] = deps
		}
	}
	return out
}

// orderAfter gives each unit the units it starts after: those its depends_on names (requires),
// and those of the previous priority step (prio) unless that makes an ordering cycle with
// depends_on, which wins as in supervisord-lite (a program waits for what it depends on,
// whatever its priority). Priority edges are added in config order, each only when the unit
// does not already start before the other.
func orderAfter(programs []program, units map[string]string, prio, requires map[string][]string) map[string][]string {
	var order []string
	for _, p := range programs {
		for _, proc := range p.Procs {
			order = append(order, units[procKey(proc)])
		}
	}
	next := map[string][]string{} // unit -> the units that start after it
	out := map[string][]string{}
	for _, u := range order {
		for _, d := range requires[u] {
			next[d] = append(next[d], u)
			out[u] = appendNew(out[u], d)
		}
	}
	// precedes reports whether from starts before to along the edges so far.
	precedes := func(from, to string) bool {
		seen := map[string]bool{from: true}
		stack := []string{from}
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, n := range next[u] {
				if n == to {
					return true
				}
				if !seen[n] {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		return false
	}
	for _, u := range order {
		for _, x := range prio[u] {
			if precedes(u, x) {
				continue
			}
			next[x] = append(next[x], u)
			out[u] = appendNew(out[u], x)
		}
	}
	return out
}

// appendNew appends to list the items not in it yet.
func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, l := range list {
			if l == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// serviceType is Type= of the process's service: notify for ready = notify, else simple; a
// ready = tcp:// or http(s):// is warned about (systemd has no such start condition).
func (m *model) serviceType(p conf.Process) string {
	ch := checks(p)
	switch ch.Ready {
	case supervise.ReadyNotify:
		return "notify"
	case "":
	default:
		m.warnUnmapped(p, "ready", ch.Ready, "systemd has no readiness probe: the unit is active once started")
		m.warnWritten(p, "it only bounds ready", "ready_timeout")
	}
	return "simple"
}

// liteDirectives are the directives of supervisord-lite's own options of the process besides
// Type= and depends_on: the sd_notify socket, the start timeout, the watchdog, the memory
// limit. killSignal and stopTimeout are the service's KillSignal= and TimeoutStopSec=, which a
// watchdog abort uses too, as supervisord-lite stops such a process as it stops it otherwise.
// Options systemd cannot express are warned about.
func (m *model) liteDirectives(p conf.Process, killSignal, stopTimeout string) []directive {
	ch := checks(p)
	var ds []directive
	svc := func(k, v string) { ds = append(ds, directive{"Service", k, v}) }
	if ch.Ready == supervise.ReadyNotify || ch.Watchdog > 0 {
		svc("NotifyAccess", "all") // gunicorn's master notifies; the whole tree may
	}
	if ch.Ready == supervise.ReadyNotify {
		svc("TimeoutStartSec", strconv.Itoa(int(ch.ReadyTimeout.Seconds())))
	}
	if ch.Watchdog > 0 {
		svc("WatchdogSec", strconv.Itoa(int(ch.Watchdog.Seconds())))
		svc("WatchdogSignal", killSignal)
		svc("TimeoutAbortSec", stopTimeout)
	}
	if ch.MemoryLimit > 0 {
		svc("MemoryMax", strconv.FormatInt(ch.MemoryLimit, 10))
		svc("OOMPolicy", "stop") // the whole unit stops, then Restart= applies
		if p.AutoRestart == supervise.RestartNever {
			m.warnValue(p, "memory_limit", "with autorestart=false systemd does not restart the unit it stopped for memory (supervisord-lite restarts it whatever autorestart says)")
		}
	}
	m.warnWritten(p, "the kernel enforces MemoryMax= at every allocation", "memory_check_interval")
	if ch.HealthURL != "" || ch.HealthCommand != "" {
		option, value := "healthcheck_url", ch.HealthURL
		if ch.HealthCommand != "" {
			option, value = "healthcheck_command", ch.HealthCommand
		}
		m.warnUnmapped(p, option, value, "systemd has no health checks (a timer unit running the check and `systemctl restart` would be one)")
	}
	m.warnWritten(p, "systemd has no health checks", "healthcheck_interval", "healthcheck_timeout", "healthcheck_retries")
	return ds
}

// environmentFile is EnvironmentFile= for environment_file, with the warnings on how
// systemd reads it.
func (m *model) environmentFile(p conf.Process) []directive {
	if p.EnvironmentFile == "" {
		return nil
	}
	m.warnValue(p, "environment_file", systemdEnvironmentFile)
	if len(p.Environment) > 0 {
		m.warnValue(p, "environment_file", "EnvironmentFile= overrides Environment=: "+environmentFileOrder)
	}
	return []directive{{"Service", "EnvironmentFile", escapeSpecifiers(p.EnvironmentFile)}}
}

// warnLogTime warns about the time-based log options of one stream that go where target
// (StandardOutput=/StandardError=) sends it: a file gets none of them; the journal stamps
// and compresses by itself, but rotates and expires for all units at once.
func (m *model) warnLogTime(p conf.Process, stream, target string, t conf.LogTime) {
	for _, o := range logTimeOptions(stream, t) {
		raw, _ := m.rawValue(p, o.Option)
		switch {
		case strings.HasPrefix(target, "append:"):
			m.warnValue(p, o.Option, strconv.Quote(raw)+" not mapped: systemd appends to the log file as it comes (no rotation, compression, expiry or timestamps; use --journald)")
		case target == "journal" && o.Retention:
			m.warnValue(p, o.Option, strconv.Quote(raw)+" not mapped: the journal rotates and expires by journald.conf's MaxFileSec= and MaxRetentionSec=, for all units")
		}
	}
}
