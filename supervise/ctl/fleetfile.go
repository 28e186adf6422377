package ctl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Server is one server of a fleet command.
type Server struct {
	// Name is what the output shows first: the NAME of [server:NAME] in a --fleet file, the
	// URL for a server given with -s.
	Name string
	// URL is the server's supervisorctl serverurl: "http://host:port" or "unix:///path".
	URL string
	// Username and Password authenticate to the server; "" = no authentication.
	Username, Password string
}

// FleetError is one problem of a --fleet file, located by file and line (the line of the
// value, or of the section header when a value is missing; 0 for the file as a whole).
type FleetError struct {
	File string
	Line int
	Msg  string
}

func (e *FleetError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// fleetKeys are the options a [server:NAME] section may set.
var fleetKeys = map[string]bool{"serverurl": true, "username": true, "password": true}

// ReadFleet reads a --fleet file: an INI file (supervisord.conf's syntax, read by the same
// reader) with one [server:NAME] section per server, in the order the servers are shown:
//
//	[server:web1]
//	serverurl = http://10.0.0.1:9001
//	username = admin
//	password = %(ENV_FLEET_PASSWORD)s
//
// serverurl is required (http:// or unix://); username and password are optional. Values
// expand %(here)s (the file's directory) and %(ENV_X)s (the environment); write %% for a
// literal %. A [DEFAULT] section gives values every server falls back to. Any other section,
// an unknown option, an empty NAME, a missing or bad serverurl are errors: the error is a
// *multierror.Error of *FleetError, every problem of the file, each with file:line.
func ReadFleet(path string) ([]Server, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FleetError{File: path, Msg: "cannot read fleet file: " + errText(err)}
	}
	return parseFleet(path, data, os.Environ())
}

// errText is err's text without the path os.PathError repeats.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseFleet is ReadFleet on data, with environ giving %(ENV_X)s.
func parseFleet(path string, data []byte, environ []string) ([]Server, error) {
	f, err := ini.Parse(path, data)
	if err != nil {
		var pe *ini.ParseError
		if errors.As(err, &pe) {
			var me *multierror.Error
			for _, l := range pe.Lines {
				msg := "cannot parse " + ini.Repr(strings.TrimRight(l.Text, "\r\n"))
				if pe.NoSection {
					msg = "an option before any [server:NAME] section"
				}
				me = multierror.Append(me, &FleetError{File: path, Line: l.Line, Msg: msg})
			}
			me.ErrorFormat = fleetErrorFormat
			return nil, me
		}
		return nil, &FleetError{File: path, Msg: err.Error()}
	}
	vars := map[string]any{"here": filepath.Dir(absPath(path))}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars["ENV_"+k] = v
		}
	}
	var me *multierror.Error
	fail := func(line int, format string, args ...any) {
		me = multierror.Append(me, &FleetError{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	var servers []Server
	for _, sec := range f.Sections() {
		kind, name, _ := strings.Cut(sec.Name, ":")
		name = ini.Strip(name)
		if kind != "server" || name == "" {
			fail(sec.Line, "section [%s] is not [server:NAME]", sec.Name)
			continue
		}
		sv := Server{Name: name}
		for _, k := range sec.Options() {
			v, _ := sec.Get(k)
			if !fleetKeys[k] {
				fail(v.Line, "unknown option %s in [%s] (want serverurl, username, password)", ini.Repr(k), sec.Name)
				continue
			}
			val, err := ini.Expand(v.Raw, vars)
			if err != nil {
				fail(v.Line, "%s in [%s]: cannot expand %s: %v", k, sec.Name, ini.Repr(v.Raw), err)
				continue
			}
			switch k {
			case "serverurl":
				if _, derr := rpc.Dial(val, "", ""); derr != nil {
					fail(v.Line, "serverurl in [%s]: %s is not an http:// or unix:// URL", sec.Name, ini.Repr(val))
					continue
				}
				sv.URL = val
			case "username":
				sv.Username = val
			case "password":
				sv.Password = val
			}
		}
		if _, ok := sec.Get("serverurl"); !ok {
			fail(sec.Line, "[%s] has no serverurl", sec.Name)
		}
		servers = append(servers, sv)
	}
	if len(servers) == 0 && me == nil {
		fail(0, "no [server:NAME] section")
	}
	if me != nil {
		me.ErrorFormat = fleetErrorFormat
		return nil, me
	}
	return servers, nil
}

// fleetErrorFormat prints each problem on a line of its own.
func fleetErrorFormat(errs []error) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
