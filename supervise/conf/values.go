package conf

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// This file holds supervisord's value types (datatypes.py) with their accepted forms and their
// exact error texts.

// valueError is a message worded as supervisord words it.
type valueError string

func (e valueError) Error() string { return string(e) }

func errorf(format string, args ...any) error { return valueError(fmt.Sprintf(format, args...)) }

// ParseInt is Python's int(s) in base 10, as supervisord reads integer options and
// command-line values: surrounding whitespace, one sign, digits with single underscores
// between them. The error reads as Python's ("invalid literal for int() with base 10: 'x'").
func ParseInt(s string) (int, error) {
	n, ok := parseInt(ini.Strip(s), 10)
	if !ok {
		return 0, errorf("invalid literal for int() with base 10: %s", ini.Repr(s))
	}
	return n, nil
}

func parseInt(t string, base int) (int, bool) {
	if t == "" {
		return 0, false
	}
	neg := false
	switch t[0] {
	case '+':
		t = t[1:]
	case '-':
		neg = true
		t = t[1:]
	}
	if base == 8 && len(t) > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O') {
		t = t[2:]
		if strings.HasPrefix(t, "_") {
			t = t[1:]
		}
	}
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, false
	}
	t = strings.ReplaceAll(t, "_", "")
	u, err := strconv.ParseUint(t, base, 63)
	if err != nil {
		return 0, false
	}
	if neg {
		return -int(u), true
	}
	return int(u), true
}

var (
	truthy = map[string]bool{"yes": true, "true": true, "on": true, "1": true}
	falsy  = map[string]bool{"no": true, "false": true, "off": true, "0": true}
)

// ParseBool is supervisord's boolean (datatypes.boolean): yes/true/on/1 and no/false/off/0,
// in any case. The error reads as supervisord's ("not a valid boolean value: 'x'").
func ParseBool(s string) (bool, error) {
	l := strings.ToLower(s)
	switch {
	case truthy[l]:
		return true, nil
	case falsy[l]:
		return false, nil
	}
	return false, errorf("not a valid boolean value: %s", ini.Repr(s))
}

// ParseByteSize is supervisord's byte_size (datatypes.byte_size): an integer in bytes with
// an optional KB, MB or GB suffix (any case; 1024, 1024² or 1024³ bytes). The error is
// ParseInt's for the number without its suffix.
func ParseByteSize(s string) (int64, error) {
	v := strings.ToLower(s)
	mult := int64(1)
	if len(v) >= 2 {
		switch v[len(v)-2:] {
		case "kb":
			mult, v = 1024, v[:len(v)-2]
		case "mb":
			mult, v = 1024*1024, v[:len(v)-2]
		case "gb":
			mult, v = 1024*1024*1024, v[:len(v)-2]
		}
	}
	n, err := ParseInt(v)
	if err != nil {
		return 0, err
	}
	return int64(n) * mult, nil
}

// pySignalConstants are the attributes of Python's signal module that getattr(signal,
// 'SIG'+NAME) finds besides the signals (supervise.SignalNumber has those): supervisord
// accepts stopsignal=_DFL and the like.
var pySignalConstants = map[string]int{"SIG_BLOCK": 0, "SIG_DFL": 0, "SIG_IGN": 1, "SIG_SETMASK": 2, "SIG_UNBLOCK": 1}

// validSignal is supervisord's SIGNUMS: every value above (0..31, 34 and 64).
func validSignal(n int) bool {
	return (n >= 0 && n <= 31) || n == 34 || n == 64
}

// signalNumber is datatypes.signal_number.
func signalNumber(s string) (int, error) {
	n, ok := parseInt(ini.Strip(s), 10)
	if !ok {
		name := strings.ToUpper(ini.Strip(s))
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		v, ok := pySignalConstants[name]
		if sig, found := supervise.SignalNumber(name); found {
			v, ok = int(sig), true
		}
		if !ok {
			return 0, errorf("value %s is not a valid signal name", ini.Repr(s))
		}
		n = v
	}
	if !validSignal(n) {
		return 0, errorf("value %s is not a valid signal number", ini.Repr(s))
	}
	return n, nil
}

// exitCodes is datatypes.list_of_exitcodes.
func exitCodes(s string) ([]int, error) {
	if s == "" {
		return []int{}, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := ParseInt(p)
		if err != nil || n < 0 || n > 255 {
			return nil, errorf("not a valid list of exit codes: %s", ini.Repr(s))
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseOctal is supervisord's octal_type (Python's int(s, 8): an optional 0o prefix). The
// error reads as supervisord's ("x can not be converted to an octal type").
func ParseOctal(s string) (int, error) {
	n, ok := parseInt(ini.Strip(s), 8)
	if !ok {
		return 0, errorf("%s can not be converted to an octal type", s)
	}
	return n, nil
}

// autoRestart is datatypes.auto_restart.
func autoRestart(s string) (string, error) {
	l := strings.ToLower(s)
	switch {
	case truthy[l]:
		return "true", nil
	case falsy[l]:
		return "false", nil
	case l == "unexpected":
		return "unexpected", nil
	}
	return "", errorf("invalid 'autorestart' value %s", ini.Repr(l))
}

// expandUser is Python's os.path.expanduser.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = os.Getenv("HOME")
		if home == "" {
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			}
		}
	} else {
		u, err := user.Lookup(p[1:i])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if home == "" {
		return p
	}
	home = strings.TrimRight(home, "/")
	if home == "" {
		home = "/"
	}
	return home + p[i:]
}

// pyDirname is os.path.dirname.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// existingDirpath is datatypes.existing_dirpath.
func existingDirpath(v string) (string, error) {
	nv := expandUser(v)
	dir := pyDirname(nv)
	if dir == "" || isDir(dir) {
		return nv, nil
	}
	return "", errorf("The directory named as part of the path %s does not exist", v)
}

// existingDirectory is datatypes.existing_directory.
func existingDirectory(v string) (string, error) {
	nv := expandUser(v)
	if isDir(nv) {
		return nv, nil
	}
	return "", errorf("%s is not an existing directory", v)
}

// normalizePath is options.normalize_path: expanduser, abspath, normpath.
func normalizePath(v string) string {
	p := expandUser(v)
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err == nil {
			p = filepath.Join(wd, p)
		}
	}
	c := filepath.Clean(p)
	if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
		c = "/" + c // POSIX keeps exactly two leading slashes
	}
	return c
}

// LogMode says what a logfile option names.
type LogMode int8

const (
	// LogFile is a path (Logfile; possibly "" for an empty value, which supervisord treats as
	// no file).
	LogFile LogMode = iota
	// LogAutomatic is AUTO: a file supervisord creates in childlogdir.
	LogAutomatic
	// LogNothing is NONE or OFF (and the stderr of a redirect_stderr program).
	LogNothing
	// logSyslog is the deprecated "syslog" name, rewritten at once to LogNothing + syslog.
	logSyslog
)

// logfileName is datatypes.logfile_name.
func logfileName(s string) (LogMode, string, error) {
	switch strings.ToLower(s) {
	case "none", "off":
		return LogNothing, "", nil
	case "auto":
		return LogAutomatic, "", nil
	case "syslog":
		return logSyslog, "", nil
	}
	p, err := existingDirpath(s)
	return LogFile, p, err
}

// logLevels are supervisord's level names and their numbers.
var logLevels = map[string]int{
	"critical": 50, "error": 40, "warn": 30, "info": 20, "debug": 10, "trace": 5, "blather": 3,
}

func loggingLevel(s string) (string, error) {
	l := strings.ToLower(s)
	if _, ok := logLevels[l]; ok {
		return l, nil
	}
	return "", errorf("bad logging level name %s", ini.Repr(s))
}

// nameToUID is datatypes.name_to_uid.
func nameToUID(name string) (int, error) {
	if n, ok := parseInt(ini.Strip(name), 10); ok {
		if _, err := user.LookupId(strconv.Itoa(n)); err != nil {
			return 0, errorf("Invalid user id %s", name)
		}
		return n, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, errorf("Invalid user name %s", name)
	}
	n, _ := strconv.Atoi(u.Uid)
	return n, nil
}

func nameToGID(name string) (int, error) {
	if n, ok := parseInt(ini.Strip(name), 10); ok {
		if _, err := user.LookupGroupId(strconv.Itoa(n)); err != nil {
			return 0, errorf("Invalid group id %s", name)
		}
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, errorf("Invalid group name %s", name)
	}
	n, _ := strconv.Atoi(g.Gid)
	return n, nil
}

func gidForUID(uid int) int {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(u.Gid)
	return n
}

// colonUserGroup is datatypes.colon_separated_user_group: "user" or "user:group" to
// (uid, gid), gid -1 when absent.
func colonUserGroup(s string) ([2]int, error) {
	u, g, hasGroup := strings.Cut(s, ":")
	uid, err := nameToUID(u)
	if err != nil {
		return [2]int{}, errorf("Invalid user:group definition %s", s)
	}
	gid := -1
	if hasGroup {
		if gid, err = nameToGID(g); err != nil {
			return [2]int{}, errorf("Invalid user:group definition %s", s)
		}
	}
	return [2]int{uid, gid}, nil
}

// portNumber is datatypes.port_number.
func portNumber(s string) (int, error) {
	n, err := ParseInt(s)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, errorf("%d is below lower bound (1)", n)
	}
	if n > 0xffff {
		return 0, errorf("%d is above upper bound (65535)", n)
	}
	return n, nil
}

// inetAddress is datatypes.inet_address: "host:port", "*:port" or "port"; host "" = all.
func inetAddress(s string) (string, int, error) {
	host := ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, s = s[:i], s[i+1:]
		if s == "" {
			return "", 0, errorf("no port number specified in %s", ini.Repr(s))
		}
		port, err := portNumber(s)
		if err != nil {
			return "", 0, err
		}
		host = strings.ToLower(host)
		if host == "*" {
			host = ""
		}
		return host, port, nil
	}
	port, err := portNumber(s)
	if err != nil {
		return "", 0, errorf("not a valid port number: %s ", ini.Repr(s))
	}
	return host, port, nil
}

// processOrGroupName is datatypes.process_or_group_name.
func processOrGroupName(name string) (string, error) {
	s := ini.Strip(name)
	for _, c := range " :/" {
		if strings.ContainsRune(s, c) {
			return "", errorf("Invalid name: %s because of character: %s", ini.Repr(name), ini.Repr(string(c)))
		}
	}
	return s, nil
}

// listOfStrings is datatypes.list_of_strings.
func listOfStrings(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = ini.Strip(p)
	}
	return parts
}

// eventTypeNames are supervisord's EventTypes names, sorted.
const eventTypeNames = `EVENT PROCESS_COMMUNICATION PROCESS_COMMUNICATION_STDERR
	PROCESS_COMMUNICATION_STDOUT PROCESS_GROUP PROCESS_GROUP_ADDED PROCESS_GROUP_REMOVED
	PROCESS_LOG PROCESS_LOG_STDERR PROCESS_LOG_STDOUT PROCESS_STATE PROCESS_STATE_BACKOFF
	PROCESS_STATE_EXITED PROCESS_STATE_FATAL PROCESS_STATE_RUNNING PROCESS_STATE_STARTING
	PROCESS_STATE_STOPPED PROCESS_STATE_STOPPING PROCESS_STATE_UNKNOWN REMOTE_COMMUNICATION
	SUPERVISOR_STATE_CHANGE SUPERVISOR_STATE_CHANGE_RUNNING SUPERVISOR_STATE_CHANGE_STOPPING
	TICK TICK_3600 TICK_5 TICK_60`

// isEventType reports whether name is one of supervisord's event type names.
func isEventType(name string) bool {
	for _, n := range strings.Fields(eventTypeNames) {
		if n == name {
			return true
		}
	}
	return false
}

// EventTypes returns the event type names an [eventlistener:x] events= line may use, sorted.
func EventTypes() []string {
	out := strings.Fields(eventTypeNames)
	sort.Strings(out)
	return out
}

// pySplit is Python's str.split() with no argument.
func pySplit(s string) []string { return strings.FieldsFunc(s, ini.IsSpace) }

var errNotAbs = errors.New("not absolute")
