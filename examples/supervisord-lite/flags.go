package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// daemonFlags are supervisord's command-line options; each overrides its [supervisord] key.
type daemonFlags struct {
	help, version bool
	configFile    string
	set           map[string]string // [supervisord] key -> value given on the command line
}

var daemonOpts = []optSpec{
	{"h", "help", false, "help"},
	{"?", "", false, "help"},
	{"v", "version", false, "version"},
	{"c", "configuration", true, "configfile"},
	{"n", "nodaemon", false, "nodaemon"},
	{"s", "silent", false, "silent"},
	{"u", "user", true, "user"},
	{"m", "umask", true, "umask"},
	{"d", "directory", true, "directory"},
	{"l", "logfile", true, "logfile"},
	{"y", "logfile_maxbytes", true, "logfile_maxbytes"},
	{"z", "logfile_backups", true, "logfile_backups"},
	{"e", "loglevel", true, "loglevel"},
	{"j", "pidfile", true, "pidfile"},
	{"i", "identifier", true, "identifier"},
	{"q", "childlogdir", true, "childlogdir"},
	{"k", "nocleanup", false, "nocleanup"},
	{"a", "minfds", true, "minfds"},
	{"t", "strip_ansi", false, "strip_ansi"},
	{"", "minprocs", true, "minprocs"},
	{"", "profile_options", true, "profile_options"},
}

func parseDaemonFlags(args []string) (daemonFlags, error) {
	f := daemonFlags{set: map[string]string{}}
	opts, rest, err := getopt(args, daemonOpts)
	if err != nil {
		return f, err
	}
	if len(rest) > 0 {
		return f, fmt.Errorf("positional arguments are not supported: %q", rest)
	}
	for _, o := range opts {
		switch o.key {
		case "help":
			f.help = true
		case "version":
			f.version = true
		case "configfile":
			f.configFile = o.value
		case "nodaemon", "silent", "nocleanup", "strip_ansi":
			f.set[o.key] = "true"
		case "profile_options":
			// accepted for compatibility; there is no Python profiler to run
		default:
			f.set[o.key] = o.value
		}
	}
	return f, nil
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
			var n uint64
			n, err = strconv.ParseUint(v, 8, 32)
			if err != nil {
				err = fmt.Errorf("%s can not be converted to an octal type", v)
			}
			s.Umask = int(n)
		case "directory":
			s.Directory = v
		case "logfile":
			s.Logfile = v
		case "logfile_maxbytes":
			s.LogfileMaxBytes, err = byteSize(v)
		case "logfile_backups":
			s.LogfileBackups, err = strconv.Atoi(v)
		case "loglevel":
			s.LogLevel = strings.ToLower(v)
		case "pidfile":
			s.Pidfile = v
		case "identifier":
			s.Identifier = v
		case "childlogdir":
			s.Childlogdir = v
		case "minfds":
			s.Minfds, err = strconv.Atoi(v)
		case "minprocs":
			s.Minprocs, err = strconv.Atoi(v)
		}
		if err != nil {
			return fmt.Errorf("option %s: %w", key, err)
		}
	}
	return nil
}

// byteSize parses supervisord's byte sizes: an integer with an optional KB, MB or GB suffix.
func byteSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for suf, m := range map[string]int64{"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value '%s' is not a valid byte size", v)
	}
	return n * mult, nil
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
