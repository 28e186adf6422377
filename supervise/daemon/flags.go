package daemon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/internal/getopt"
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Flags are supervisord's command-line options (ParseFlags); each overrides its
// [supervisord] key after every load of the configuration. The zero value overrides nothing.
type Flags struct {
	// Help and Version are -h and -v: Main prints and exits.
	Help, Version bool
	// ConfigFile is -c; "" = searched as supervisord does (conf.FindConfig).
	ConfigFile string
	// set maps a [supervisord] key to the value given on the command line.
	set map[string]string
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

// ParseFlags reads supervisord's command-line options with its rules and messages: -h and -v
// end the parsing at once, a bad value or a repeated option is an error worded as
// supervisord's usage error.
func ParseFlags(args []string) (Flags, error) {
	f := Flags{set: map[string]string{}}
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
			f.Help = true
			return f, nil
		case "version":
			f.Version = true
			return f, nil
		}
		if msg := checkValue(o.Key, o.Value); msg != "" {
			return f, fmt.Errorf("invalid value for %s %s: %s", o.Opt, ini.Repr(o.Value), msg)
		}
		if _, dup := f.set[o.Key]; dup || (o.Key == "configfile" && f.ConfigFile != "") {
			return f, fmt.Errorf("conflicting command line option %s", ini.Repr(o.Opt))
		}
		switch o.Key {
		case "configfile":
			f.ConfigFile = o.Value
		case "nodaemon", "silent", "nocleanup", "strip_ansi":
			f.set[o.Key] = "true"
		default:
			f.set[o.Key] = o.Value
		}
	}
	delete(f.set, "profile_options") // accepted for compatibility; there is no Python profiler
	return f, nil
}

// checkValue is supervisord's check of a command-line value: the message it gives for a bad
// one, "" for a good one.
func checkValue(key, v string) string {
	expand := func(p string) string {
		if p == "~" || strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				return home + p[1:]
			}
		}
		return p
	}
	var err error
	switch key {
	case "umask":
		_, err = conf.ParseOctal(v)
	case "directory", "childlogdir":
		if st, serr := os.Stat(expand(v)); serr != nil || !st.IsDir() {
			return v + " is not an existing directory"
		}
	case "logfile", "pidfile":
		if dir := filepath.Dir(expand(v)); strings.Contains(expand(v), "/") {
			if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
				return "The directory named as part of the path " + v + " does not exist"
			}
		}
	case "logfile_maxbytes":
		_, err = conf.ParseByteSize(v)
	case "logfile_backups", "minfds", "minprocs":
		_, err = conf.ParseInt(v)
	case "loglevel":
		if _, ok := supervise.ParseLevel(strings.ToLower(v)); !ok {
			return "bad logging level name " + ini.Repr(v)
		}
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// Apply overrides s with the command line, with supervisord's value checks.
func (f Flags) Apply(s *conf.Supervisord) error {
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
			s.Umask, err = conf.ParseOctal(v)
		case "directory":
			s.Directory = v
		case "logfile":
			s.Logfile = v
		case "logfile_maxbytes":
			s.LogfileMaxBytes, err = conf.ParseByteSize(v)
		case "logfile_backups":
			s.LogfileBackups, err = conf.ParseInt(v)
		case "loglevel":
			s.LogLevel = strings.ToLower(v)
		case "pidfile":
			s.Pidfile = v
		case "identifier":
			s.Identifier = v
		case "childlogdir":
			s.Childlogdir = v
		case "minfds":
			s.Minfds, err = conf.ParseInt(v)
		case "minprocs":
			s.Minprocs, err = conf.ParseInt(v)
		}
		if err != nil {
			return fmt.Errorf("option %s: %w", key, err)
		}
	}
	return nil
}

const help = `supervisord-lite -- run a set of applications as daemons (supervisord-compatible).

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

// WriteHelp writes the daemon's -h text, naming the program argv0.
func WriteHelp(w io.Writer, argv0 string) {
	fmt.Fprintf(w, help, argv0, argv0)
}
