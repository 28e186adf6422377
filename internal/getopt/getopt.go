// Package getopt parses command-line options with the rules of Python's getopt module, which
// supervisord and supervisorctl use, so that supervisord-lite accepts the same spellings
// (grouped short options, abbreviated long options) and reports the same errors.
package getopt

import (
	"fmt"
	"strings"
)

// Spec describes one option the way Python's getopt (which supervisord and supervisorctl use)
// takes it: a one-letter short name, a long name, and whether it takes a value.
type Spec struct {
	Short string // "c", or "" for long-only options
	Long  string // "configuration", or ""
	Arg   bool   // takes an argument: -cFILE, -c FILE, --configuration=FILE, --configuration FILE
	Key   string // what the caller receives in Value.Key
}

// Value is one option found on the command line.
type Value struct {
	Key   string // Spec.Key of the option
	Value string // its argument, "" for an option without one
	Opt   string // as Python's getopt names it: "-c", or "--configuration" (unabbreviated)
}

// Parse parses args with Python getopt's rules: short options may be grouped (-nk) and take
// their value attached or as the next argument; long options may be abbreviated to any unique
// prefix and take their value after '=' or as the next argument; "--" ends the options. It
// returns the options in order and the remaining arguments.
func Parse(args []string, specs []Spec) ([]Value, []string, error) {
	var out []Value
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return out, args[i+1:], nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec, err := longSpec(specs, name)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case spec.Arg && !hasVal:
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("option --%s requires argument", spec.Long)
				}
				i++
				val = args[i]
			case !spec.Arg && hasVal:
				return nil, nil, fmt.Errorf("option --%s must not have an argument", spec.Long)
			}
			out = append(out, Value{spec.Key, val, "--" + spec.Long})
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				spec, ok := shortSpec(specs, a[j:j+1])
				if !ok {
					return nil, nil, fmt.Errorf("option -%s not recognized", a[j:j+1])
				}
				if !spec.Arg {
					out = append(out, Value{spec.Key, "", "-" + spec.Short})
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("option -%s requires argument", spec.Short)
					}
					i++
					val = args[i]
				}
				out = append(out, Value{spec.Key, val, "-" + spec.Short})
				break
			}
		default:
			return out, args[i:], nil
		}
	}
	return out, nil, nil
}

func shortSpec(specs []Spec, s string) (Spec, bool) {
	for _, sp := range specs {
		if sp.Short == s {
			return sp, true
		}
	}
	return Spec{}, false
}

func longSpec(specs []Spec, name string) (Spec, error) {
	var found []Spec
	for _, sp := range specs {
		if sp.Long == "" {
			continue
		}
		if sp.Long == name {
			return sp, nil
		}
		if strings.HasPrefix(sp.Long, name) {
			found = append(found, sp)
		}
	}
	switch len(found) {
	case 0:
		return Spec{}, fmt.Errorf("option --%s not recognized", name)
	case 1:
		return found[0], nil
	}
	return Spec{}, fmt.Errorf("option --%s not a unique prefix", name)
}
