package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/internal/getopt"
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// daemonFlags are supervisord's command-line options; each overrides its [supervisord] key.
type daemonFlags struct {
	help, version bool
	configFile    string
	set           map[string]string // [supervisord] key -> value given on the command line
}

var daemonOpts = []getopt.Spec{
	{Short: "h", Long: "help", Key: "help"},
	{Short: "?", Key: "help"},
	{Short: "v", Long: "version", Key: "version"},
	{Short: "c", Long: "configuration", Arg: true, Key: "configfile"},
	{Short: "n", Long: "nodaemon", Key: "nodaemon"},
	{Short: "s", Long: "silent", Key: "silent"},
	{Short: "u", Long: "user", Arg: true, Key: "user"},
	{Short: "m", Long: "umask", Arg: true, Key: "umask"},
	{Short: "d", Long: "directory", Arg: true, Key: "directory"},
	{Short: "l", Long: "logfile", Arg: true, Key: "logfile"},
	{Short: "y", Long: "logfile_maxbytes", Arg: true, Key: "logfile_maxbytes"},
	{Short: "z", Long: "logfile_backups", Arg: true, Key: "logfile_backups"},
	{Short: "e", Long: "loglevel", Arg: true, Key: "loglevel"},
	{Short: "j", Long: "pidfile", Arg: true, Key: "pidfile"},
	{Short: "i", Long: "identifier", Arg: true, Key: "identifier"},
	{Short: "q", Long: "childlogdir", Arg: true, Key: "childlogdir"},
	{Short: "k", Long: "nocleanup", Key: "nocleanup"},
	{Short: "a", Long: "minfds", Arg: true, Key: "minfds"},
	{Short: "t", Long: "strip_ansi", Key: "strip_ansi"},
	{Long: "minprocs", Arg: true, Key: "minprocs"},
	{Long: "profile_options", Arg: true, Key: "profile_options"},
}

func parseDaemonFlags(args []string) (daemonFlags, error) {
	f := daemonFlags{set: map[string]string{}}
	opts, rest, err := getopt.Parse(args, daemonOpts)
	if err != nil {
		return f, err
	}
	if len(rest) > 0 {
		quoted := make([]string, len(rest))
		for i, r := range rest {
			quoted[i] = ini.Repr(r)
		}
		return f, fmt.Errorf("positional arguments are not supported: [%s]", strings.Join(quoted, ", "))
	}
	// supervisord handles the options in order: -h and -v print and exit at once, a bad value or
	// a repeated option is a usage error.
	for _, o := range opts {
		switch o.Key {
		case "help":
			f.help = true
			return f, nil
		case "version":
			f.version = true
			return f, nil
		}
		if msg := checkDaemonValue(o.Key, o.Value); msg != "" {
			return f, fmt.Errorf("invalid value for %s %s: %s", o.Opt, ini.Repr(o.Value), msg)
		}
		if _, dup := f.set[o.Key]; dup || (o.Key == "configfile" && f.configFile != "") {
			return f, fmt.Errorf("conflicting command line option %s", ini.Repr(o.Opt))
		}
		switch o.Key {
		case "configfile":
			f.configFile = o.Value
		case "nodaemon", "silent", "nocleanup", "strip_ansi":
			f.set[o.Key] = "true"
		default:
			f.set[o.Key] = o.Value
		}
	}
	delete(f.set, "profile_options") // accepted for compatibility; there is no Python profiler
	return f, nil
}

// checkDaemonValue is supervisord's check of a command-line value: the message it gives for a
// bad one, "" for a good one.
func checkDaemonValue(key, v string) string {
	expand := func(p string) string {
		if p == "~" || strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				return home + p[1:]
			}
		}
		return p
	}
	switch key {
	case "umask":
		if _, ok := pyOctal(v); !ok {
			return v + " can not be converted to an octal type"
		}
	case "directory", "childlogdir":
		if st, err := os.Stat(expand(v)); err != nil || !st.IsDir() {
			return v + " is not an existing directory"
		}
	case "logfile", "pidfile":
		if dir := filepath.Dir(expand(v)); strings.Contains(expand(v), "/") {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return "The directory named as part of the path " + v + " does not exist"
			}
		}
	case "logfile_maxbytes":
		if _, err := byteSize(v); err != nil {
			return err.Error()
		}
	case "logfile_backups", "minfds", "minprocs":
		if _, err := pyAtoi(v); err != nil {
			return err.Error()
		}
	case "loglevel":
		if _, ok := supervise.ParseLevel(strings.ToLower(v)); !ok {
			return "bad logging level name " + ini.Repr(v)
		}
	}
	return ""
}

// apply overrides cfg's [supervisord] settings with the command line, with supervisord's value
// checks.
func (f daemonFlags) apply(s *conf.Supervisord) error {
	for key, v := range f.set {
		var err error
		switch key {
		case "nodaemon":
			s.Nodaemon = true
		case "silent":
			s.Silent = true
		case "nocleanup":
			s.Nocleanup = true
		case "strip_ansi":
			s.StripANSI = true
		case "user":
			s.User = v
		case "umask":
			n, ok := pyOctal(v)
			if !ok {
				err = fmt.Errorf("%s can not be converted to an octal type", v)
			}
			s.Umask = n
		case "directory":
			s.Directory = v
		case "logfile":
			s.Logfile = v
		case "logfile_maxbytes":
			s.LogfileMaxBytes, err = byteSize(v)
		case "logfile_backups":
			s.LogfileBackups, err = pyAtoi(v)
		case "loglevel":
			s.LogLevel = strings.ToLower(v)
		case "pidfile":
			s.Pidfile = v
		case "identifier":
			s.Identifier = v
		case "childlogdir":
			s.Childlogdir = v
		case "minfds":
			s.Minfds, err = pyAtoi(v)
		case "minprocs":
			s.Minprocs, err = pyAtoi(v)
		}
		if err != nil {
			return fmt.Errorf("option %s: %w", key, err)
		}
	}
	return nil
}

// pyAtoi is Python's int() of a command-line value.
func pyAtoi(v string) (int, error) {
	return conf.ParseInt(v) // (was a copy in ctl; mechanical fix of the ctl move)
}

// pyOctal is Python's int(v, 8): whitespace, a sign, an optional 0o prefix, digits with single
// underscores between them.
func pyOctal(v string) (int, bool) {
	s := strings.TrimSpace(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if len(v) > 0 && len(strings.TrimSpace(v))-len(s) > 1 {
		return 0, false // more than one sign
	}
	if len(s) > 2 && (s[:2] == "0o" || s[:2] == "0O") {
		s = strings.TrimPrefix(s[2:], "_")
	}
	if s == "" || strings.Contains(s, "__") || s[0] == '_' || strings.HasSuffix(s, "_") {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 8, 31)
	if err != nil {
		return 0, false
	}
	if neg {
		return -int(n), true
	}
	return int(n), true
}

// byteSize is supervisord's byte_size: Python's int() of the value after an optional kb, mb or
// gb suffix (any case), times 1024, 1024² or 1024³.
func byteSize(v string) (int64, error) {
	s := strings.ToLower(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := conf.ParseInt(s)
	if err != nil {
		return 0, err
	}
	return int64(n) * mult, nil
}

const daemonHelp = `supervisord-lite -- run a set of applications as daemons (supervisord-compatible).

Usage: %s [options]
       %s ctl [supervisorctl options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- accepted and ignored (no Python profiler here)
`

func printDaemonHelp(w io.Writer, argv0 string) {
	fmt.Fprintf(w, daemonHelp, argv0, argv0)
}
