package export

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// SystemdOptions configure Systemd. The zero value works.
type SystemdOptions struct {
	// Expand resolves [gunicorn:x] and python_env first; nil = none. It changes the Config
	// in place, so give each export with an Expand a freshly loaded Config.
	Expand Expander
	// Journald sends every program's stdout and stderr to the journal instead of the log files
	// the config names (default false: a file stays a file, via StandardOutput=append:).
	Journald bool
	// Prefix is put before every unit name (e.g. "app-") to keep clear of the system's own
	// units; default "" (a program "cron" would then clash with the system's cron.service).
	Prefix string
	// Target is the name of the target that stands for the whole config (it wants every group
	// target and is the only unit to enable); default "supervisord.target".
	Target string
}

// DefaultSystemdTarget is the default SystemdOptions.Target.
const DefaultSystemdTarget = "supervisord.target"

// File is one generated file.
type File struct {
	// Name is the path relative to the output directory: a unit ("web.service") or a drop-in
	// ("worker@0.service.d/process.conf").
	Name string
	// Data is the file's content.
	Data []byte
}

// systemdReasons are the program options a systemd unit cannot express.
var systemdReasons = optionReasons{
	"stdout_capture_maxbytes": "capture mode (PROCESS_COMMUNICATION events) has no systemd equivalent",
	"stderr_capture_maxbytes": "capture mode (PROCESS_COMMUNICATION events) has no systemd equivalent",
	"stdout_events_enabled":   "supervisor events have no systemd equivalent",
	"stderr_events_enabled":   "supervisor events have no systemd equivalent",
	"serverurl":               "there is no supervisor to reach (SUPERVISOR_SERVER_URL is not set)",
	"fatal_retry_secs":        "systemd does not retry a unit that hit its start limit by itself",
}

// systemdSyslogReasons apply unless the export goes to the journal anyway.
var systemdSyslogReasons = optionReasons{
	"stdout_syslog": "a unit's output goes to one place: use --journald (the journal forwards to syslog)",
	"stderr_syslog": "a unit's output goes to one place: use --journald (the journal forwards to syslog)",
}

// cleanSignals are the signals systemd counts as a clean exit; supervisord's
// autorestart=unexpected restarts after a death by any signal, so they force a restart.
const cleanSignals = "SIGHUP SIGINT SIGTERM SIGPIPE"

// directive is one `Key=Value` line of a unit section.
type directive struct {
	section, key, value string
}

// Systemd exports cfg as systemd units: one service per program (a template unit name@.service
// with one instance per process for numprocs > 1, per-instance differences in drop-ins), one
// target per group wanting its autostart programs, and opts.Target wanting every group.
// Files come sorted by name. The warnings name every option that systemd cannot express.
func Systemd(cfg *conf.Config, opts SystemdOptions) ([]File, []Warning, error) {
	m, err := load(cfg, opts.Expand)
	if err != nil {
		return nil, nil, err
	}
	if opts.Target == "" {
		opts.Target = DefaultSystemdTarget
	}
	reasons := optionReasons{}
	for k, v := range systemdReasons {
		reasons[k] = v
	}
	if !opts.Journald {
		for k, v := range systemdSyslogReasons {
			reasons[k] = v
		}
	}
	m.warnOptions(reasons, "set LimitNOFILE= in the units (systemd's default soft limit is 1024)")

	units := unitNames(m.programs, opts.Prefix)
	requires := m.dependencyUnits(units)
	after := orderAfter(m.programs, units, priorityOrder(m.programs, units), requires)
	var files []File
	groupWants := map[*conf.Group][]string{}
	var groups []*conf.Group
	for _, p := range m.programs {
		if _, ok := groupWants[p.Group]; !ok {
			groups = append(groups, p.Group)
			groupWants[p.Group] = []string{}
		}
		target := groupTarget(opts.Prefix, p.Group.Name)
		var instances [][]directive
		for _, proc := range p.Procs {
			u := units[procKey(proc)]
			ds, err := m.serviceDirectives(proc, target, after[u], requires[u], opts)
			if err != nil {
				return nil, nil, err
			}
			instances = append(instances, ds)
			if proc.AutoStart {
				groupWants[p.Group] = append(groupWants[p.Group], units[procKey(proc)])
			}
		}
		files = append(files, m.programFiles(p, units, instances, opts)...)
	}
	var groupTargets []string
	for _, g := range groups {
		name := groupTarget(opts.Prefix, g.Name)
		groupTargets = append(groupTargets, name)
		ds := []directive{
			{"Unit", "Description", escapeSpecifiers("supervisord group " + g.Name)},
			{"Unit", "PartOf", opts.Target},
		}
		if w := groupWants[g]; len(w) > 0 {
			ds = append(ds, directive{"Unit", "Wants", strings.Join(w, " ")})
		}
		files = append(files, File{Name: name, Data: renderUnit(header(fmt.Sprintf("[%s] at %s:%d", g.Section, g.File, g.Line)), ds)})
	}
	files = append(files, File{Name: opts.Target, Data: renderUnit(header(cfg.File), []directive{
		{"Unit", "Description", escapeSpecifiers("supervisord programs of " + cfg.File)},
		{"Unit", "Wants", strings.Join(groupTargets, " ")},
		{"Install", "WantedBy", "multi-user.target"},
	})})
	sort.Slice(files, func(a, b int) bool { return files[a].Name < files[b].Name })
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return nil, nil, fmt.Errorf("%w: two units named %s (give a --prefix or another --target)", ErrNameClash, files[i].Name)
		}
	}
	return files, m.sortedWarnings(), nil
}

// ErrNameClash is returned when two generated units would have the same name (a group named
// like the target of the whole config, say).
var ErrNameClash = errors.New("unit name clash")

// groupTarget is the name of a group's target.
func groupTarget(prefix, group string) string { return prefix + unitEscape(group) + ".target" }

// procKey identifies a process across groups.
func procKey(p conf.Process) string { return p.Group + ":" + p.Name }

// unitNames maps every process to its service unit name.
func unitNames(programs []program, prefix string) map[string]string {
	out := map[string]string{}
	for _, p := range programs {
		for _, proc := range p.Procs {
			if p.Template() {
				out[procKey(proc)] = fmt.Sprintf("%s%s@%d.service", prefix, unitEscape(p.Name), proc.ProcessNum)
			} else {
				out[procKey(proc)] = prefix + unitEscape(proc.Name) + ".service"
			}
		}
	}
	return out
}

// priorityOrder gives each unit the units it starts after: those of the previous step in
// supervisord's start order (group priority, then process priority). Units of one step are
// not ordered against each other, as supervisord spawns them in one pass.
func priorityOrder(programs []program, units map[string]string) map[string][]string {
	type entry struct {
		unit         string
		gPrio, pPrio int
	}
	var all []entry
	for _, p := range programs {
		for _, proc := range p.Procs {
			all = append(all, entry{units[procKey(proc)], p.Group.Priority, proc.Priority})
		}
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].gPrio != all[b].gPrio {
			return all[a].gPrio < all[b].gPrio
		}
		return all[a].pPrio < all[b].pPrio
	})
	out := map[string][]string{}
	var prev, cur []string
	for i, e := range all {
		if i > 0 && (e.gPrio != all[i-1].gPrio || e.pPrio != all[i-1].pPrio) {
			prev, cur = cur, nil
		}
		cur = append(cur, e.unit)
		out[e.unit] = prev
	}
	return out
}

// serviceDirectives are the lines of one process's service (without Description): after are
// the units it starts after, requires those its depends_on names.
func (m *model) serviceDirectives(p conf.Process, target string, after, requires []string, opts SystemdOptions) ([]directive, error) {
	args, err := argv(p)
	if err != nil {
		return nil, err
	}
	ds := []directive{{"Unit", "PartOf", target}}
	if len(requires) > 0 {
		ds = append(ds, directive{"Unit", "Requires", strings.Join(requires, " ")})
	}
	if len(after) > 0 {
		ds = append(ds, directive{"Unit", "After", strings.Join(after, " ")})
	}
	if burst, interval := startLimit(p); interval == 0 {
		ds = append(ds, directive{"Unit", "StartLimitIntervalSec", "0"})
	} else {
		ds = append(ds, directive{"Unit", "StartLimitIntervalSec", strconv.Itoa(interval)},
			directive{"Unit", "StartLimitBurst", strconv.Itoa(burst)})
	}
	svc := func(k, v string) { ds = append(ds, directive{"Service", k, v}) }
	svc("Type", m.serviceType(p))
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = execWord(a)
	}
	if strings.ContainsAny(words[0][:1], "@-:+!|") {
		words[0] = `"` + words[0] + `"` // a leading prefix character would change its meaning
	}
	svc("ExecStart", strings.Join(words, " "))
	if p.Directory != nil {
		svc("WorkingDirectory", escapeSpecifiers(*p.Directory))
	}
	if u := m.user(p); u != "" {
		svc("User", escapeSpecifiers(u))
	}
	svc("UMask", fmt.Sprintf("%04o", m.umask(p)))
	for _, e := range p.Environment {
		svc("Environment", quoteValue(e.Key+"="+e.Value))
	}
	ds = append(ds, m.environmentFile(p)...)
	switch p.AutoRestart {
	case supervise.RestartAlways:
		svc("Restart", "always")
	case supervise.RestartNever:
		if checks(p).Watchdog > 0 {
			svc("Restart", "on-watchdog") // supervisord-lite restarts after a watchdog timeout whatever autorestart says
		} else {
			svc("Restart", "no")
		}
		if p.StartSecs > 0 && p.StartRetries > 0 {
			m.warnValue(p, "autorestart", "false: a start that fails within startsecs is not retried (supervisord retries it startretries times)")
		}
	default:
		svc("Restart", "on-failure")
	}
	svc("RestartSec", "1")
	var success []string
	zeroExpected := false
	for _, c := range p.ExitCodes {
		if c == 0 {
			zeroExpected = true
			continue
		}
		success = append(success, strconv.Itoa(c))
	}
	if len(success) > 0 {
		svc("SuccessExitStatus", strings.Join(success, " "))
	}
	if p.AutoRestart == supervise.RestartUnexpected {
		force := cleanSignals
		if !zeroExpected {
			force = "0 " + force
		}
		svc("RestartForceExitStatus", force)
	}
	killMode := "process"
	switch {
	case p.StopAsGroup:
		killMode = "control-group"
	case p.KillAsGroup:
		killMode = "mixed"
	}
	svc("KillMode", killMode)
	if killMode == "process" && m.written(p, "cleanup_group") {
		m.warnValue(p, "cleanup_group", "with KillMode=process systemd leaves the rest of the group alone (set stopasgroup or killasgroup to have it killed)")
	}
	killSignal := "SIGTERM"
	if p.StopSignal > 0 {
		killSignal = supervise.SignalName(syscall.Signal(p.StopSignal))
		svc("KillSignal", killSignal)
	} else {
		m.warnValue(p, "stopsignal", "0 (supervisord then sends nothing) exported as systemd's default SIGTERM")
	}
	stopTimeout := "1ms" // 0 would mean no timeout to systemd
	if p.StopWaitSecs > 0 {
		stopTimeout = strconv.Itoa(p.StopWaitSecs)
	}
	svc("TimeoutStopSec", stopTimeout)
	ds = append(ds, m.liteDirectives(p, killSignal, stopTimeout)...)
	stdout, stderr := logTarget(p.Stdout, opts.Journald), logTarget(p.Stderr, opts.Journald)
	if p.RedirectStderr {
		stderr = "inherit"
	}
	svc("StandardOutput", stdout)
	svc("StandardError", stderr)
	for _, st := range []struct {
		stream, target string
		log            conf.LogConfig
	}{{"stdout", stdout, p.Stdout}, {"stderr", stderr, p.Stderr}} {
		stream := st.stream
		m.warnLogTime(p, stream, st.target, st.log.Time)
		if !strings.HasPrefix(st.target, "append:") || st.log.MaxBytes <= 0 {
			continue // the journal rotates by itself, null and inherit have nothing to rotate, maxbytes=0 never rotates
		}
		for _, o := range []string{stream + "_logfile_maxbytes", stream + "_logfile_backups"} {
			if v, ok := m.rawValue(p, o); ok {
				m.warnValue(p, o, fmt.Sprintf("%q not mapped: systemd appends to the log file and never rotates it (rotate it with logrotate's copytruncate, or use --journald)", v))
			}
		}
	}
	svc("SyslogIdentifier", escapeSpecifiers(p.Name))
	return ds, nil
}

// logTarget maps one stream's logfile option to StandardOutput=/StandardError=.
func logTarget(l conf.LogConfig, journald bool) string {
	switch {
	case journald:
		return "journal"
	case l.Mode == conf.LogNothing:
		return "null"
	case l.Mode == conf.LogFile && l.Path != "":
		return "append:" + escapeSpecifiers(l.Path)
	}
	return "journal" // AUTO: a temporary file under supervisord; the journal under systemd
}

// programFiles renders one program: a plain service, or a template with drop-ins holding the
// lines that differ between its processes.
func (m *model) programFiles(p program, units map[string]string, instances [][]directive, opts SystemdOptions) []File {
	proc := p.Procs[0]
	if !p.Template() {
		ds := append([]directive{{"Unit", "Description", escapeSpecifiers(fmt.Sprintf("supervisord program %s (group %s)", proc.Name, proc.Group))}}, instances[0]...)
		return []File{{Name: units[procKey(proc)], Data: renderUnit(header(sectionRef(proc)), ds)}}
	}
	type keyID struct{ section, key string }
	var order []keyID
	values := map[keyID][][]string{}
	for i, ds := range instances {
		for _, d := range ds {
			id := keyID{d.section, d.key}
			vs, ok := values[id]
			if !ok {
				order = append(order, id)
				vs = make([][]string, len(instances))
				values[id] = vs
			}
			vs[i] = append(vs[i], d.value)
		}
	}
	same := func(vs [][]string) bool {
		for _, v := range vs[1:] {
			if strings.Join(v, "\x00") != strings.Join(vs[0], "\x00") || len(v) != len(vs[0]) {
				return false
			}
		}
		return true
	}
	tmpl := []directive{{"Unit", "Description", escapeSpecifiers(fmt.Sprintf("supervisord program %s, process ", p.Name)) + "%i" + escapeSpecifiers(fmt.Sprintf(" (group %s)", proc.Group))}}
	var varying []keyID
	for _, id := range order {
		if same(values[id]) {
			for _, v := range values[id][0] {
				tmpl = append(tmpl, directive{id.section, id.key, v})
			}
		} else {
			varying = append(varying, id)
		}
	}
	files := []File{{Name: fmt.Sprintf("%s%s@.service", opts.Prefix, unitEscape(p.Name)), Data: renderUnit(header(sectionRef(proc)), tmpl)}}
	if len(varying) == 0 {
		return files
	}
	for i, pr := range p.Procs {
		var ds []directive
		for _, id := range varying {
			for _, v := range values[id][i] {
				ds = append(ds, directive{id.section, id.key, v})
			}
		}
		files = append(files, File{Name: units[procKey(pr)] + ".d/process.conf",
			Data: renderUnit(header(fmt.Sprintf("process %s of %s", pr.Name, sectionRef(pr))), ds)})
	}
	return files
}

func sectionRef(p conf.Process) string {
	return fmt.Sprintf("[%s] at %s:%d", p.Section, p.File, p.Line)
}

// header is the comment that starts every file: what it was generated from.
func header(what string) string {
	return fmt.Sprintf("# Generated by supervisord-lite export from %s.\n", what)
}

// renderUnit writes directives grouped by section, sections in Unit, Service, Install order.
func renderUnit(head string, ds []directive) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	for _, section := range []string{"Unit", "Service", "Install"} {
		first := true
		for _, d := range ds {
			if d.section != section {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n[%s]\n", section)
				first = false
			}
			fmt.Fprintf(&b, "%s=%s\n", d.key, d.value)
		}
	}
	return b.Bytes()
}

// unitEscape makes a program or group name usable in a unit name, as systemd-escape does
// for the characters a unit name cannot hold: each byte outside [A-Za-z0-9:_.-] (and a
// leading '.') becomes \xNN.
func unitEscape(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '_' || c == '-' || c == '.' && i > 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, `\x%02x`, c)
	}
	return b.String()
}

// escapeSpecifiers doubles '%' (systemd's specifier character) and turns a newline into a
// space, for a value systemd takes verbatim otherwise.
func escapeSpecifiers(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "%", "%%"), "\n", " ")
}

// quoteValue double-quotes s for Environment=: backslash, double quote and control characters
// escaped C-style, '%' doubled.
func quoteValue(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '%':
			b.WriteString("%%")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// execWord writes one argv word for ExecStart=: plain when it holds only safe characters, else
// double-quoted; '$' doubled (systemd expands $VAR there) and '%' doubled; a lone ';' escaped.
func execWord(s string) string {
	if s == ";" {
		return `\;`
	}
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-,:=+@", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return strings.ReplaceAll(quoteValue(s), "$", "$$")
}
