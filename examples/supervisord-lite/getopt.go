package main

import (
	"fmt"
	"strings"
)

// optSpec describes one option the way Python's getopt (which supervisord and supervisorctl use)
// takes it: a one-letter short name, a long name, and whether it takes a value.
type optSpec struct {
	short string // "c", or "" for long-only options
	long  string // "configuration", or ""
	value bool   // takes an argument: -cFILE, -c FILE, --configuration=FILE, --configuration FILE
	key   string // what the caller receives
}

type optValue struct {
	key, value string
	opt        string // as Python's getopt names it: "-c", or "--configuration" (unabbreviated)
}

// getopt parses args with Python getopt's rules: short options may be grouped (-nk) and take
// their value attached or as the next argument; long options may be abbreviated to any unique
// prefix and take their value after '=' or as the next argument; "--" ends the options. It
// returns the options in order and the remaining arguments.
func getopt(args []string, specs []optSpec) ([]optValue, []string, error) {
	var out []optValue
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
			case spec.value && !hasVal:
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("option --%s requires argument", spec.long)
				}
				i++
				val = args[i]
			case !spec.value && hasVal:
				return nil, nil, fmt.Errorf("option --%s must not have an argument", spec.long)
			}
			out = append(out, optValue{spec.key, val, "--" + spec.long})
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				spec, ok := shortSpec(specs, a[j:j+1])
				if !ok {
					return nil, nil, fmt.Errorf("option -%s not recognized", a[j:j+1])
				}
				if !spec.value {
					out = append(out, optValue{spec.key, "", "-" + spec.short})
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("option -%s requires argument", spec.short)
					}
					i++
					val = args[i]
				}
				out = append(out, optValue{spec.key, val, "-" + spec.short})
				break
			}
		default:
			return out, args[i:], nil
		}
	}
	return out, nil, nil
}

func shortSpec(specs []optSpec, s string) (optSpec, bool) {
	for _, sp := range specs {
		if sp.short == s {
			return sp, true
		}
	}
	return optSpec{}, false
}

func longSpec(specs []optSpec, name string) (optSpec, error) {
	var found []optSpec
	for _, sp := range specs {
		if sp.long == "" {
			continue
		}
		if sp.long == name {
			return sp, nil
		}
		if strings.HasPrefix(sp.long, name) {
			found = append(found, sp)
		}
	}
	switch len(found) {
	case 0:
		return optSpec{}, fmt.Errorf("option --%s not recognized", name)
	case 1:
		return found[0], nil
	}
	return optSpec{}, fmt.Errorf("option --%s not a unique prefix", name)
}
