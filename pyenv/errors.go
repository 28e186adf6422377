package pyenv

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is matched (errors.Is) by every "not found" outcome: a
// version that is not installed, a command found nowhere, no Pipfile, no
// system Python.
var ErrNotFound = errors.New("not found")

// DirError is returned when the directory to resolve from (PYENV_DIR) is not
// a directory; pyenv aborts every command with this message.
type DirError struct {
	Dir string // the value of PYENV_DIR (or Options.Dir) as given
}

func (e *DirError) Error() string {
	return fmt.Sprintf("pyenv: cannot change working directory to `%s'", e.Dir)
}

// VersionError reports selected versions that are not installed, worded
// as `pyenv version-name` words it, one line per version.
type VersionError struct {
	Versions []string // the missing names, as written in the selection
	Origin   string   // the file path or "PYENV_VERSION environment variable"
}

func (e *VersionError) Error() string {
	lines := make([]string, len(e.Versions))
	for i, v := range e.Versions {
		lines[i] = fmt.Sprintf("pyenv: version `%s' is not installed (set by %s)", v, e.Origin)
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *VersionError) Unwrap() error { return ErrNotFound }

// PrefixError is `pyenv prefix`'s failure: a version without a directory,
// or system without python, python3 or python2 on PATH (Version "system").
type PrefixError struct {
	Version string // the (resolved) name that has no directory, or "system"
	System  bool   // system was selected but no Python is on PATH
}

func (e *PrefixError) Error() string {
	if e.System {
		return "pyenv: system version not found in PATH"
	}
	return fmt.Sprintf("pyenv: version `%s' not installed", e.Version)
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *PrefixError) Unwrap() error { return ErrNotFound }

// CommandError is `pyenv which`'s failure (exit status 127): the command is
// in none of the selected versions nor on PATH.
type CommandError struct {
	Command string
	// Missing are the selected versions that are not installed; Origin is
	// where the selection came from.
	Missing []string
	Origin  string
	// Elsewhere lists the installed versions (envs included) that do have
	// the command: pyenv's advice.
	Elsewhere []string
}

func (e *CommandError) Error() string {
	var b strings.Builder
	for _, v := range e.Missing {
		fmt.Fprintf(&b, "pyenv: version `%s' is not installed (set by %s)\n", v, e.Origin)
	}
	fmt.Fprintf(&b, "pyenv: %s: command not found", e.Command)
	if len(e.Elsewhere) > 0 {
		fmt.Fprintf(&b, "\n\nThe `%s' command exists in these Python versions:\n", e.Command)
		for _, v := range e.Elsewhere {
			fmt.Fprintf(&b, "  %s\n", v)
		}
		b.WriteString("\nNote: See 'pyenv help global' for tips on allowing multiple\n")
		b.WriteString("      Python versions to be found at the same time.")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *CommandError) Unwrap() error { return ErrNotFound }

// Compile-time checks that the error types are errors.
var (
	_ error = (*DirError)(nil)
	_ error = (*VersionError)(nil)
	_ error = (*PrefixError)(nil)
	_ error = (*CommandError)(nil)
	_ error = (*PipfileError)(nil)
	_ error = (*HashError)(nil)
	_ error = (*RequiresError)(nil)
)
