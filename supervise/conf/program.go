package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func afterColon(section string) string {
	_, name, _ := strings.Cut(section, ":")
	return name
}

func sortGroups(gs []Group) {
	sort.SliceStable(gs, func(i, j int) bool {
		if gs[i].Priority != gs[j].Priority {
			return gs[i].Priority < gs[j].Priority
		}
		return gs[i].Name < gs[j].Name
	})
}

// processGroups is options.process_groups_from_parser.
func (l *loader) processGroups() []Group {
	var groups []Group
	here := map[string]any{"here": l.here}
	exclude := map[string]bool{}
	newGroup := func(c *sectx, name string, prio int, kind GroupKind) Group {
		return Group{Name: name, Priority: prio, Kind: kind, Section: c.name, File: c.file, Line: c.headerLine()}
	}
	sections := l.f.Sections()

	// [group:x]: heterogeneous groups
	for _, sec := range sections {
		if !strings.HasPrefix(sec.Name, "group:") {
			continue
		}
		c := l.section(sec.Name, false)
		name, err := processOrGroupName(afterColon(sec.Name))
		if err != nil {
			c.fail(0, err)
			continue
		}
		progs, progLine, _, ok := c.get("programs", "", here)
		if !ok {
			continue
		}
		prio, ok := conv(c, "priority", "999", here, ParseInt)
		if !ok {
			continue
		}
		g := newGroup(c, name, prio, KindGroup)
		named := sec.Name // supervisord's message names the last member section it resolved
		for _, prog := range listOfStrings(progs) {
			ps, fs := "program:"+prog, "fcgi-program:"+prog
			hasP, hasF := l.f.Section(ps) != nil, l.f.Section(fs) != nil
			switch {
			case !hasP && !hasF:
				c.fail(progLine, errorf("[%s] names unknown program or fcgi-program %s", named, prog))
				continue
			case hasP && hasF:
				c.fail(progLine, errorf("[%s] name %s is ambiguous (exists as program and fcgi-program)", named, prog))
				continue
			}
			target := ps
			if hasF {
				target = fs
			}
			named = target
			exclude[target] = true
			procs, ok := l.processesFromSection(target, name, nil)
			if !ok {
				c.failed = true
				continue
			}
			g.Processes = append(g.Processes, procs...)
		}
		if !c.failed {
			groups = append(groups, g)
		}
	}

	// [program:x]: homogeneous groups
	for _, sec := range sections {
		if !strings.HasPrefix(sec.Name, "program:") || exclude[sec.Name] {
			continue
		}
		c := l.section(sec.Name, false)
		name, err := processOrGroupName(afterColon(sec.Name))
		if err != nil {
			c.fail(0, err)
			continue
		}
		prio, ok := conv(c, "priority", "999", here, ParseInt)
		if !ok {
			continue
		}
		procs, ok := l.processesFromSection(sec.Name, name, nil)
		if ok {
			g := newGroup(c, name, prio, KindProgram)
			g.Processes = procs
			groups = append(groups, g)
		}
	}

	// [eventlistener:x]: event listener pools
	for _, sec := range sections {
		if !strings.HasPrefix(sec.Name, "eventlistener:") {
			continue
		}
		c := l.section(sec.Name, false)
		pool := afterColon(sec.Name)
		prio, ok1 := conv(c, "priority", "-1", here, ParseInt)
		bs, bsLine, _, ok2 := c.get("buffer_size", "10", here)
		var bufferSize int
		if ok2 {
			n, err := ParseInt(bs)
			switch {
			case err != nil:
				c.fail(bsLine, err)
			case n < 1:
				c.fail(bsLine, errorf("[%s] section sets invalid buffer_size (%d)", sec.Name, n))
			default:
				bufferSize = n
			}
		}
		handler, _, _, _ := c.get("result_handler", "supervisor.dispatchers:default_handler", here)
		if handler != "supervisor.dispatchers:default_handler" && handler != "supervisor.dispatchers:reject_handler" {
			l.warn(fmt.Sprintf("[%s]: result_handler %s cannot be checked by supervisord-lite", sec.Name, handler))
		}
		evs, evLine, _, ok3 := c.get("events", "", here)
		var events []string
		if ok3 {
			set := map[string]bool{}
			for _, e := range listOfStrings(evs) {
				set[strings.ToUpper(e)] = true
			}
			for e := range set {
				events = append(events, e)
			}
			sort.Strings(events)
			if len(events) == 0 {
				c.fail(0, errorf(`[%s] section requires an "events" line`, sec.Name))
			}
			for _, e := range events {
				if !isEventType(e) {
					c.fail(evLine, errorf("Unknown event type %s in [%s] events", e, sec.Name))
				}
			}
		}
		if redirect, ok := conv(c, "redirect_stderr", "false", here, ParseBool); ok && redirect {
			v, _ := c.raw("redirect_stderr")
			c.fail(v.Line, errorf("[%s] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol", sec.Name))
		}
		procs, ok := l.processesFromSection(sec.Name, pool, nil)
		if ok && ok1 && !c.failed {
			g := newGroup(c, pool, prio, KindEventListener)
			g.Processes = procs
			g.EventListener = &EventListenerPool{Events: events, BufferSize: bufferSize, ResultHandler: handler}
			groups = append(groups, g)
		}
	}

	// [fcgi-program:x]
	for _, sec := range sections {
		if !strings.HasPrefix(sec.Name, "fcgi-program:") || exclude[sec.Name] {
			continue
		}
		c := l.section(sec.Name, false)
		name, err := processOrGroupName(afterColon(sec.Name))
		if err != nil {
			c.fail(0, err)
			continue
		}
		prio, _ := conv(c, "priority", "999", here, ParseInt)
		var procUID *int
		if u, line, present, ok := c.get("user", "", here); present && ok {
			uid, err := nameToUID(u)
			if err != nil {
				c.fail(line, err)
			}
			procUID = &uid
		}
		sock := FastCGISocket{}
		if b, line, present, ok := c.get("socket_backlog", "", here); present && ok {
			n, err := ParseInt(b)
			if err != nil {
				c.fail(line, err)
			} else if n < 1 || n > 65535 {
				c.fail(line, errorf("Invalid socket_backlog value %d", n))
			}
			sock.Backlog = n
		}
		var owner *[2]int
		if o, line, present, ok := c.get("socket_owner", "", here); present && ok {
			v, err := colonUserGroup(o)
			if err != nil {
				c.fail(line, errorf("Invalid socket_owner value %s", o))
			}
			owner = &v
		}
		var mode *int
		if m, line, present, ok := c.get("socket_mode", "", here); present && ok {
			v, err := ParseOctal(m)
			if err != nil {
				c.fail(line, errorf("Invalid socket_mode value %s", m))
			}
			mode = &v
		}
		s, line, _, ok := c.get("socket", "", map[string]any{"here": l.here, "program_name": name})
		if ok {
			if s == "" {
				c.fail(0, errorf(`[%s] section requires a "socket" line`, sec.Name))
			} else if err := parseFCGISocket(&sock, s, procUID, owner, mode); err != nil {
				c.fail(line, errorf("%s in [%s] socket", err.Error(), sec.Name))
			}
		}
		procs, ok := l.processesFromSection(sec.Name, name, nil)
		if ok && !c.failed {
			g := newGroup(c, name, prio, KindFastCGI)
			g.Processes = procs
			g.FastCGI = &sock
			groups = append(groups, g)
		}
	}
	sortGroups(groups)
	return groups
}

var tcpSocketRE = regexp.MustCompile(`^tcp://([^\s:]+):(\d+)$`)

// parseFCGISocket is options.parse_fcgi_socket.
func parseFCGISocket(s *FastCGISocket, sock string, procUID *int, owner *[2]int, mode *int) error {
	if strings.HasPrefix(sock, "unix://") {
		path := sock[len("unix://"):]
		if !filepath.IsAbs(path) {
			return errorf("('Unix socket path %%s is not an absolute path', %s)", ini.Repr(path))
		}
		s.Path = normalizePath(path)
		s.URL = "unix://" + s.Path
		if owner == nil && procUID != nil && *procUID != os.Getuid() {
			owner = &[2]int{*procUID, gidForUID(*procUID)}
		}
		s.Owner = owner
		s.Mode = 0o700
		if mode != nil {
			s.Mode = *mode
		}
		return nil
	}
	if owner != nil || mode != nil {
		return errorf("socket_owner and socket_mode params should only be used with a Unix domain socket")
	}
	if m := tcpSocketRE.FindStringSubmatch(sock); m != nil {
		port, err := portNumber(m[2])
		if err != nil {
			return err
		}
		s.Host, s.Port = strings.ToLower(m[1]), port
		s.URL = "tcp://" + s.Host + ":" + strconv.Itoa(port)
		return nil
	}
	return errorf("('Bad socket format %%s', %s)", ini.Repr(sock))
}

// ProcessesFromSection parses any section of c.INI with the options and rules of
// [program:x] (numprocs, process_name, expansions, defaults, supervisord's error texts) into
// the processes of the group named group ("" = the section's name after its ':'). defaults
// supplies raw values for options the section does not set (for example a command= the
// caller computes); they are expanded like written values. Sections of other kinds (a later
// [gunicorn:x]) reuse the program parsing this way. It is safe for concurrent use; warnings
// of the section (environment= surprises) are not reported.
func (c *Config) ProcessesFromSection(section, group string, defaults map[string]string) ([]Process, error) {
	if c.ld == nil || c.INI == nil || c.INI.Section(section) == nil {
		return nil, multierror.Append(nil, &Error{Msg: fmt.Sprintf("no section [%s]", section), File: c.File})
	}
	l := *c.ld // environ and the INI are only read; everything written is fresh
	l.errs, l.seen, l.warned = nil, map[string]bool{}, map[string]bool{}
	l.cfg = &Config{}
	if group == "" {
		group = ini.Strip(afterColon(section))
	}
	procs, ok := l.processesFromSection(section, group, defaults)
	if !ok || len(l.errs) > 0 {
		var me *multierror.Error
		for _, e := range l.errs {
			me = multierror.Append(me, e)
		}
		return nil, me
	}
	for i := range procs {
		procs[i].Environment = mergeEnv(c.Supervisord.Environment, procs[i].Environment)
	}
	return procs, nil
}

// processesFromSection is options._processes_from_section with errors suffixed by the
// section and file. ok is false when any error was recorded.
func (l *loader) processesFromSection(section, group string, defaults map[string]string) ([]Process, bool) {
	c := l.section(section, true)
	c.defaults = defaults
	progName, err := processOrGroupName(afterColon(section))
	if err != nil {
		c.fail(0, err)
		return nil, false
	}
	common := map[string]any{"here": l.here, "program_name": progName, "host_node_name": l.host, "group_name": group}
	priority, _ := conv(c, "priority", "999", common, ParseInt)
	autostart, _ := conv(c, "autostart", "true", common, ParseBool)
	autorestart, _ := conv(c, "autorestart", "unexpected", common, autoRestart)
	startsecs, _ := conv(c, "startsecs", "1", common, ParseInt)
	startretries, _ := conv(c, "startretries", "3", common, ParseInt)
	stopsignal, _ := conv(c, "stopsignal", "TERM", common, signalNumber)
	stopwaitsecs, _ := conv(c, "stopwaitsecs", "10", common, ParseInt)
	stopasgroup, _ := conv(c, "stopasgroup", "false", common, ParseBool)
	killasgroup, _ := conv(c, "killasgroup", strconv.FormatBool(stopasgroup), common, ParseBool)
	exitcodes, _ := conv(c, "exitcodes", "0", common, exitCodes)
	redirect, _ := conv(c, "redirect_stderr", "false", common, ParseBool)
	numprocs, numOK := conv(c, "numprocs", "1", common, ParseInt)
	numprocsStart, startOK := conv(c, "numprocs_start", "0", common, ParseInt)
	envRaw, envPresent := c.raw("environment")
	stdoutCap, _ := conv(c, "stdout_capture_maxbytes", "0", common, ParseByteSize)
	stdoutEvents, _ := conv(c, "stdout_events_enabled", "false", common, ParseBool)
	stderrCap, _ := conv(c, "stderr_capture_maxbytes", "0", common, ParseByteSize)
	stderrEvents, _ := conv(c, "stderr_events_enabled", "false", common, ParseBool)
	var serverURL *string
	if s, _, present, ok := c.get("serverurl", "", common); present && ok {
		if !(s != "" && strings.ToUpper(ini.Strip(s)) == "AUTO") {
			serverURL = &s
		}
	}
	var userName string
	var uid *int
	if u, line, present, ok := c.get("user", "", common); present && ok {
		userName = u
		if n, err := nameToUID(u); err != nil {
			c.fail(line, err)
		} else {
			uid = &n
		}
	}
	var umask *int
	if u, line, present, ok := c.get("umask", "", common); present && ok {
		if n, err := ParseOctal(u); err != nil {
			c.fail(line, err)
		} else {
			umask = &n
		}
	}
	pnRaw, pnPresent := c.raw("process_name")
	pnTemplate := "%(program_name)s"
	if pnPresent {
		pnTemplate = pnRaw.Raw
	}
	processName, err := processOrGroupName(pnTemplate)
	if err != nil {
		c.fail(pnRaw.Line, err)
	}
	if err == nil && numOK && numprocs > 1 && !strings.Contains(processName, "%(process_num)") {
		c.fail(pnRaw.Line, errorf("%%(process_num) must be present within process_name when numprocs > 1"))
	}
	if stopasgroup && !killasgroup {
		v, _ := c.raw("killasgroup")
		c.fail(v.Line, errorf("Cannot set stopasgroup=true and killasgroup=false"))
	}
	if !numOK || !startOK {
		return nil, false
	}
	if numprocs > maxNumprocs {
		v, _ := c.raw("numprocs")
		c.fail(v.Line, errorf("numprocs %d is larger than supervisord-lite's limit of %d", numprocs, maxNumprocs))
		return nil, false
	}
	var procs []Process
	var envKeys []string // ENV_ names the previous process's environment= added to common
	for num := numprocsStart; num < numprocs+numprocsStart; num++ {
		common["process_num"] = num
		common["numprocs"] = numprocs
		// supervisord copies its environ into common here, which resets the ENV_ names the
		// previous process's environment= set; common is looked up before environ, so
		// dropping those names from common is the same.
		for _, k := range envKeys {
			if _, ok := l.environ[k]; ok {
				delete(common, k)
			}
		}
		envKeys = envKeys[:0]
		var env []EnvVar
		if envPresent {
			s, err := expandMsg(envRaw.Raw, "environment", common, l.environ)
			if err != nil {
				c.fail(envRaw.Line, err)
			} else {
				vars, warns, err := ParseEnvironment(s)
				if err != nil {
					c.fail(envRaw.Line, err)
				}
				for _, w := range warns {
					l.warn(fmt.Sprintf("[%s] %s", section, w))
				}
				env = vars
			}
		}
		for _, v := range env {
			common["ENV_"+v.Key] = v.Value
			envKeys = append(envKeys, "ENV_"+v.Key)
		}
		var directory *string
		if d, _, present, ok := c.get("directory", "", common); present && ok {
			directory = &d
		}
		logs := [2]LogConfig{}
		for i, k := range []string{"stdout", "stderr"} {
			lc := &logs[i]
			lfKey := k + "_logfile"
			lc.Mode = LogAutomatic
			if s, line, present, ok := c.get(lfKey, "", common); present && ok {
				s2, err := expandMsg(s, lfKey, common, l.environ)
				if err != nil {
					c.fail(line, err)
				} else if mode, path, err := logfileName(s2); err != nil {
					c.fail(line, err)
				} else {
					lc.Mode, lc.Path = mode, path
				}
			}
			lc.Backups, _ = conv(c, k+"_logfile_backups", "10", common, ParseInt)
			lc.MaxBytes, _ = conv(c, k+"_logfile_maxbytes", "50MB", common, ParseByteSize)
			lc.Syslog, _ = conv(c, k+"_syslog", "false", common, ParseBool)
			lc.Time = readLogTime(c, lfKey, common, true) // logtime.go
			if lc.Mode == logSyslog {
				l.warn(fmt.Sprintf("For [%s], %s=syslog but this is deprecated and will be removed.  Use %s_syslog=true to enable syslog instead.", section, lfKey, k))
				lc.Mode, lc.Syslog = LogNothing, true
			}
			if lc.Mode == LogAutomatic && lc.MaxBytes == 0 {
				l.warn(fmt.Sprintf("For [%s], AUTO logging used for %s without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally", section, lfKey))
			}
		}
		logs[0].CaptureMaxBytes, logs[0].EventsEnabled = stdoutCap, stdoutEvents
		logs[1].CaptureMaxBytes, logs[1].EventsEnabled = stderrCap, stderrEvents
		if redirect {
			if logs[1].Mode == LogFile {
				l.warn(fmt.Sprintf("For [%s], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored", section))
			}
			logs[1].Mode, logs[1].Path = LogNothing, ""
		}
		command, _, present, ok := c.get("command", "", common)
		if ok && !present {
			c.fail(0, errorf("program section %s does not specify a command", section))
		}
		checks := readChecks(c, common)           // supervisord-lite's own options (checks.go)
		depends := readDepends(c, common)         // (depends.go)
		envFile := readEnvFile(c, common)         // (envfile.go)
		sockets := readSockets(c, common)         // (sockets.go)
		restartMode := readRestartMode(c, common) // (restartmode.go)
		name, err := expandMsg(processName, "process_name", common, l.environ)
		if err != nil {
			c.fail(pnRaw.Line, err)
		}
		if c.failed {
			continue
		}
		procs = append(procs, Process{
			Name: name, Group: group, Section: section, File: c.file, Line: c.headerLine(), ProcessNum: num,
			Command: command, Directory: directory, Umask: umask, Priority: priority,
			AutoStart: autostart, AutoRestart: restartOf(autorestart), StartSecs: startsecs,
			StartRetries: startretries, User: userName, UID: uid, Stdout: logs[0], Stderr: logs[1],
			StopSignal: stopsignal, StopWaitSecs: stopwaitsecs, StopAsGroup: stopasgroup,
			KillAsGroup: killasgroup, ExitCodes: exitcodes, RedirectStderr: redirect,
			Environment: env, ServerURL: serverURL, Checks: checks, DependsOn: depends, EnvironmentFile: envFile,
			Sockets: sockets, RestartMode: restartMode,
		})
	}
	if c.failed {
		return nil, false
	}
	sort.SliceStable(procs, func(i, j int) bool {
		if procs[i].Priority != procs[j].Priority {
			return procs[i].Priority < procs[j].Priority
		}
		return procs[i].Name < procs[j].Name
	})
	return procs, true
}

func restartOf(s string) supervise.AutoRestart {
	switch s {
	case "true":
		return supervise.RestartAlways
	case "false":
		return supervise.RestartNever
	}
	return supervise.RestartUnexpected
}
