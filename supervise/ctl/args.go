package ctl

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/getopt"
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

var optSpecs = []getopt.Spec{
	{Short: "h", Long: "help", Key: "help"},
	{Short: "?", Key: "help"},
	{Short: "c", Long: "configuration", Arg: true, Key: "configfile"},
	{Short: "i", Long: "interactive", Key: "interactive"},
	{Short: "s", Long: "serverurl", Arg: true, Key: "serverurl"},
	{Short: "u", Long: "username", Arg: true, Key: "username"},
	{Short: "p", Long: "password", Arg: true, Key: "password"},
	{Short: "r", Long: "history_file", Arg: true, Key: "history"},
	// supervisord-lite's own: many servers at once, results for scripts.
	{Long: "fleet", Arg: true, Key: "fleet"},
	{Long: "json", Key: "json"},
	{Long: "timeout", Arg: true, Key: "timeout"},
}

// Settings are supervisorctl's options after the command line and the [supervisorctl]
// section are merged: the command line wins.
type Settings struct {
	ServerURL          string // -s, serverurl=; default DefaultServerURL
	Username, Password string // -u, -p, username=, password=; "" = no authentication
	Interactive        bool   // -i
	ConfigFile         string // the config file read, "" when none was given or found
	Prompt             string // the shell's prompt without "> ": prompt=, default "supervisor"
	// HistoryFile keeps the shell's history between runs: -r/--history_file, or
	// history_file=; an absolute path, "" for none.
	HistoryFile string

	// Servers are the servers of a fleet command, in order: those of --fleet, then each -s.
	// It is empty for a command on one server (ServerURL, Username, Password). In an action
	// that runs on every server, ServerURL, Username and Password are that server's.
	Servers []Server
	// FleetFile is --fleet, "" when not given.
	FleetFile string
	// JSON is --json: print a Report instead of supervisorctl's texts.
	JSON bool
	// Timeout bounds each server's part of a fleet or --json command (--timeout SECONDS);
	// default DefaultTimeout. A command on one server without --json has none, as
	// supervisorctl has none.
	Timeout time.Duration
}

// fleetMode reports whether the command runs through the fleet path (several servers, or
// --json) rather than supervisorctl's.
func (s Settings) fleetMode() bool { return len(s.Servers) > 1 || s.JSON }

// UsageError is a command-line or config-file problem: Run prints "Error: ..." and the hint
// to -h on stderr and returns ExitInvalidArgs.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// parseArgs applies supervisorctl's rules: options (Python getopt), then the config file
// (-c, or the first of the search paths that exists, or none), command line first.
func parseArgs(argv0 string, args []string) (s Settings, rest []string, help bool, err error) {
	opts, rest, err := getopt.Parse(args, optSpecs)
	if err != nil {
		return s, nil, false, &UsageError{err.Error()}
	}
	set := map[string]string{}
	var urls []string // every -s: more than one makes a fleet
	for _, o := range opts {
		if o.Key == "help" {
			return s, nil, true, nil
		}
		if o.Key == "serverurl" {
			if u, perr := url.Parse(o.Value); perr != nil || u.Scheme == "" || (u.Host == "" && u.Path == "") {
				return s, nil, false, &UsageError{fmt.Sprintf("invalid value for %s %s: value %s is not a URL",
					o.Opt, ini.Repr(o.Value), ini.Repr(o.Value))}
			}
			urls = append(urls, o.Value)
		}
		if _, dup := set[o.Key]; dup && o.Key != "serverurl" {
			return s, nil, false, &UsageError{fmt.Sprintf("conflicting command line option %s", ini.Repr(o.Opt))}
		}
		set[o.Key] = o.Value
	}
	file, given := set["configfile"]
	if !given {
		for _, p := range conf.SearchPaths(argv0) {
			if _, serr := os.Stat(p); serr == nil {
				file = p
				break
			}
		}
	}
	section := conf.Ctl{ServerURL: DefaultServerURL, Prompt: "supervisor"}
	if file != "" {
		c, lerr := loadSection(file)
		if lerr != nil {
			return s, nil, false, lerr
		}
		section = c
	}
	s.ServerURL = section.ServerURL
	s.ConfigFile = file
	s.Username = section.Username
	s.Password = section.Password
	if v, ok := set["serverurl"]; ok {
		s.ServerURL = v
	}
	if v, ok := set["username"]; ok {
		s.Username = v
	}
	if v, ok := set["password"]; ok {
		s.Password = v
	}
	_, s.Interactive = set["interactive"]
	s.Prompt, s.HistoryFile = section.Prompt, section.HistoryFile
	if v, ok := set["history"]; ok {
		s.HistoryFile = absPath(v)
	}
	if err := s.applyFleet(set, urls); err != nil {
		return s, nil, false, err
	}
	return s, rest, false, nil
}

// applyFleet sets the fleet settings: --json, --timeout, and the servers of --fleet and of
// the -s options (urls) when there are several. -s servers are named by their URL and use
// the merged -u/-p; a --fleet server without username= uses them too.
func (s *Settings) applyFleet(set map[string]string, urls []string) error {
	_, s.JSON = set["json"]
	s.Timeout = DefaultTimeout
	if v, ok := set["timeout"]; ok {
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil || !(sec > 0) || sec > maxTimeoutSeconds {
			return &UsageError{fmt.Sprintf("invalid value for --timeout %s: want seconds, more than 0 and at most %d", ini.Repr(v), maxTimeoutSeconds)}
		}
		s.Timeout = time.Duration(sec * float64(time.Second))
	}
	var servers []Server
	if file, ok := set["fleet"]; ok {
		fleet, err := ReadFleet(file)
		if err != nil {
			return &UsageError{err.Error()}
		}
		s.FleetFile = file
		servers = fleet
	}
	switch {
	case len(servers) == 0 && len(urls) < 2 && !s.JSON:
		return nil // one server: supervisorctl's settings
	case len(servers) == 0 && len(urls) < 2:
		servers = []Server{{Name: s.ServerURL, URL: s.ServerURL, Username: s.Username, Password: s.Password}}
	default:
		for _, u := range urls {
			servers = append(servers, Server{Name: u, URL: u})
		}
	}
	seen := map[string]bool{}
	for i, sv := range servers {
		if seen[sv.Name] {
			return &UsageError{fmt.Sprintf("server %s is given twice", ini.Repr(sv.Name))}
		}
		seen[sv.Name] = true
		if sv.Username == "" {
			servers[i].Username, servers[i].Password = s.Username, s.Password
		}
	}
	if len(servers) == 1 { // one server, from --fleet: supervisorctl's path with its settings
		s.ServerURL, s.Username, s.Password = servers[0].URL, servers[0].Username, servers[0].Password
		if !s.JSON {
			return nil
		}
	}
	s.Servers = servers
	return nil
}

// loadSection reads [supervisorctl] from file the way supervisorctl does: only that section
// of the main file matters (no includes; a broken [program:x] does not stop supervisorctl).
// The other sections are blanked out, line numbers kept, and the section is read by
// supervise/conf so that values, %(here)s and %(ENV_X)s expand exactly as they do for the
// daemon.
func loadSection(file string) (conf.Ctl, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return conf.Ctl{}, &UsageError{"could not find config file " + file}
		}
		return conf.Ctl{}, &UsageError{"could not read config file " + file}
	}
	kept, found := sectionOnly(data)
	if !found {
		return conf.Ctl{}, &UsageError{".ini file does not include supervisorctl section"}
	}
	cfg, err := conf.LoadData(file, kept, conf.Options{})
	if err != nil {
		return conf.Ctl{}, &UsageError{fmt.Sprintf("%s: %v", file, strings.TrimSpace(err.Error()))}
	}
	return cfg.Ctl, nil
}

// sectionOnly keeps the lines of every [supervisorctl] section of data, replaces the others
// with empty lines (so line numbers stay), and appends an empty [supervisord] section, which
// supervise/conf requires. found reports whether there was such a section.
func sectionOnly(data []byte) (kept []byte, found bool) {
	lines := strings.SplitAfter(string(data), "\n")
	var b strings.Builder
	in := false
	for _, l := range lines {
		if strings.HasPrefix(l, "[") {
			end := strings.LastIndex(l, "]")
			in = end > 0 && l[1:end] == "supervisorctl"
			found = found || in
		}
		if in {
			b.WriteString(l)
			if !strings.HasSuffix(l, "\n") {
				b.WriteString("\n")
			}
		} else if strings.HasSuffix(l, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n[supervisord]\n")
	return []byte(b.String()), found
}

// absPath is supervisord's normalize_path: ~ expanded, made absolute, cleaned.
func absPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}
