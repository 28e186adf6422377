package conf

import (
	"os"
	"path/filepath"
	"strings"
)

// SearchPaths returns where supervisord looks for its config file when -c is absent, in
// order, for a program started as argv0 (os.Args[0]): ../etc/supervisord.conf and
// ../supervisord.conf relative to the program's directory, then supervisord.conf,
// etc/supervisord.conf (relative to the working directory), /etc/supervisord.conf and
// /etc/supervisor/supervisord.conf.
func SearchPaths(argv0 string) []string {
	here := pyDirname(pyDirname(argv0))
	join := func(parts ...string) string {
		if here == "" {
			return filepath.Join(parts...)
		}
		return strings.TrimSuffix(here, "/") + "/" + filepath.Join(parts...)
	}
	return []string{
		join("etc", "supervisord.conf"),
		join("supervisord.conf"),
		"supervisord.conf",
		"etc/supervisord.conf",
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	}
}

// FindConfig returns the first of SearchPaths(argv0) that exists, or supervisord's error
// ("No config file found at default paths (...); use the -c option to specify a config file
// at a different path").
func FindConfig(argv0 string) (string, error) {
	paths := SearchPaths(argv0)
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", &Error{Msg: "No config file found at default paths (" + strings.Join(paths, ", ") +
		"); use the -c option to specify a config file at a different path"}
}
