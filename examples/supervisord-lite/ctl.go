package main

import (
	"context"
	"fmt"
	"github.com/supervisord-lite/supervisord-lite/internal/getopt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// LSB init-script exit statuses, as supervisorctl returns them.
const (
	exitSuccess        = 0
	exitGeneric        = 1
	exitInvalidArgs    = 2
	exitUnimplemented  = 3 // also "status": some shown process is stopped
	exitNoPrivileges   = 4 // also "status": unknown name or server unreachable
	exitNotInstalled   = 5
	exitNotRunning     = 7
	exitStatusNotRun   = 3
	exitStatusUnknown  = 4
	defaultServerURL   = "http://localhost:9001"
	ctlDefaultTailSize = 1600 // bytes shown by tail and maintail without -N
)

// ctlUsage is supervisorctl's -h text; %s is the program name.
const ctlUsage = `%s -- control applications run by supervisord-lite from the cmd line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
     (not supported by supervisord-lite ctl: give an action)
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (accepted and ignored)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  Use the action "help" to find out
about available actions.
`

var ctlOptSpecs = []getopt.Spec{
	{Short: "h", Long: "help", Key: "help"},
	{Short: "?", Key: "help"},
	{Short: "c", Long: "configuration", Arg: true, Key: "configfile"},
	{Short: "i", Long: "interactive", Key: "interactive"},
	{Short: "s", Long: "serverurl", Arg: true, Key: "serverurl"},
	{Short: "u", Long: "username", Arg: true, Key: "username"},
	{Short: "p", Long: "password", Arg: true, Key: "password"},
	{Short: "r", Long: "history_file", Arg: true, Key: "history"},
}

// ctlSettings are supervisorctl's options after the command line and [supervisorctl] are
// merged: the command line wins.
type ctlSettings struct {
	serverURL, username, password string
	interactive                   bool
	configFile                    string // the config file read ("" = none), for ctl explain
}

// usageError is a command-line or configuration problem: "Error: ..." on stderr, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// runCtl is `supervisord-lite ctl`: supervisorctl's one-shot mode. It returns the exit status.
func runCtl(argv0 string, args []string, stdout, stderr io.Writer) int {
	s, cmdArgs, help, err := parseCtlArgs(argv0, args)
	if help {
		fmt.Fprintf(stdout, ctlUsage+"\n", argv0, argv0)
		return exitSuccess
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\nFor help, use %s -h\n", err, argv0)
		return exitInvalidArgs
	}
	if len(cmdArgs) == 0 || s.interactive {
		fmt.Fprintf(stderr, "Error: the interactive shell is not supported; give an action (try %s help)\n", argv0)
		return exitInvalidArgs
	}
	client, err := rpc.Dial(s.serverURL, s.username, s.password)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\nFor help, use %s -h\n", err, argv0)
		return exitInvalidArgs
	}
	defer client.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &controller{
		ctx:      ctx,
		out:      stdout,
		errOut:   stderr,
		in:       os.Stdin,
		settings: s,
		client:   client,
	}
	c.onecmd(strings.Join(cmdArgs, " "))
	return c.exit
}

// parseCtlArgs applies supervisorctl's rules: options (Python getopt), then the config file
// (-c, or the first of the search paths that exists, or none), command line first.
func parseCtlArgs(argv0 string, args []string) (s ctlSettings, rest []string, help bool, err error) {
	opts, rest, err := getopt.Parse(args, ctlOptSpecs)
	if err != nil {
		return s, nil, false, &usageError{err.Error()}
	}
	set := map[string]string{}
	for _, o := range opts {
		if o.Key == "help" {
			return s, nil, true, nil
		}
		if o.Key == "serverurl" {
			if u, perr := url.Parse(o.Value); perr != nil || u.Scheme == "" || (u.Host == "" && u.Path == "") {
				return s, nil, false, &usageError{fmt.Sprintf("invalid value for %s %s: value %s is not a URL",
					o.Opt, pyRepr(o.Value), pyRepr(o.Value))}
			}
		}
		if _, dup := set[o.Key]; dup {
			return s, nil, false, &usageError{fmt.Sprintf("conflicting command line option %s", pyRepr(o.Opt))}
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
	ctl := conf.Ctl{ServerURL: defaultServerURL}
	if file != "" {
		c, lerr := loadCtlSection(file)
		if lerr != nil {
			return s, nil, false, lerr
		}
		ctl = c
	}
	s.serverURL = ctl.ServerURL
	s.configFile = file
	s.username = ctl.Username
	s.password = ctl.Password
	if v, ok := set["serverurl"]; ok {
		s.serverURL = v
	}
	if v, ok := set["username"]; ok {
		s.username = v
	}
	if v, ok := set["password"]; ok {
		s.password = v
	}
	_, s.interactive = set["interactive"]
	return s, rest, false, nil
}

// loadCtlSection reads [supervisorctl] from file the way supervisorctl does: only that
// section of the main file matters (no includes; a broken [program:x] does not stop
// supervisorctl). The other sections are blanked out, line numbers kept, and the
// section is read by supervise/conf so that values, %(here)s and %(ENV_X)s expand exactly
// as they do for the daemon.
func loadCtlSection(file string) (conf.Ctl, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return conf.Ctl{}, &usageError{"could not find config file " + file}
		}
		return conf.Ctl{}, &usageError{"could not read config file " + file}
	}
	kept, found := ctlSectionOnly(data)
	if !found {
		return conf.Ctl{}, &usageError{".ini file does not include supervisorctl section"}
	}
	cfg, err := conf.LoadData(file, kept, conf.Options{})
	if err != nil {
		return conf.Ctl{}, &usageError{fmt.Sprintf("%s: %v", file, strings.TrimSpace(err.Error()))}
	}
	return cfg.Ctl, nil
}

// ctlSectionOnly keeps the lines of every [supervisorctl] section of data, replaces the
// others with empty lines (so line numbers stay), and appends an empty [supervisord]
// section, which supervise/conf requires. found reports whether there was such a section.
func ctlSectionOnly(data []byte) (kept []byte, found bool) {
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
