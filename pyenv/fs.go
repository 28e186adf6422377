package pyenv

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The helpers below reproduce bash's file tests and its logical `cd`, which
// pyenv's scripts are written in. A relative path is always taken against
// the resolution's directory (the tools' working directory), never against
// this process's working directory.

// fsys answers file questions relative to a working directory.
type fsys struct {
	cwd string // absolute; the tools' working directory
}

// abs joins a relative p to the working directory by plain concatenation,
// so that the kernel (not a lexical Clean) resolves "..", as it would for
// the tools.
func (f fsys) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	if p == "" {
		return f.cwd
	}
	return joinSlash(f.cwd, p)
}

// joinSlash joins a and b with one "/" unless a already ends with one
// (bash's sh_makepath).
func joinSlash(a, b string) string {
	if a == "" || strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

// isDir is bash `[ -d p ]`: a directory after following symlinks.
func (f fsys) isDir(p string) bool {
	st, err := os.Stat(f.abs(p))
	return err == nil && st.IsDir()
}

// isFile is bash `[ -f p ]`: a regular file after following symlinks.
func (f fsys) isFile(p string) bool {
	st, err := os.Stat(f.abs(p))
	return err == nil && st.Mode().IsRegular()
}

// nonEmpty is bash `[ -s p ]`: exists with a size greater than zero.
func (f fsys) nonEmpty(p string) bool {
	st, err := os.Stat(f.abs(p))
	return err == nil && st.Size() > 0
}

// isExec is bash `[ -x p ]`: exists and is executable (a directory counts).
func (f fsys) isExec(p string) bool {
	if p == "" {
		return false
	}
	return syscall.Access(f.abs(p), 1) == nil
}

// isExecFile is what `command -v` accepts: executable and not a directory.
func (f fsys) isExecFile(p string) bool {
	st, err := os.Stat(f.abs(p))
	if err != nil || st.IsDir() {
		return false
	}
	return syscall.Access(f.abs(p), 1) == nil
}

// canChdir reports whether chdir(p) would succeed.
func (f fsys) canChdir(p string) bool {
	return f.isDir(p) && syscall.Access(f.abs(p), 1) == nil
}

// canonPath is bash's sh_canonpath(p, PATH_CHECKDOTDOT|PATH_CHECKEXISTS) for
// an absolute p: "." and ".." are removed lexically (each ".." only if what
// precedes it is a directory), repeated slashes are collapsed (a leading
// "//" is kept), and the result must be a directory. ok is false when a
// check fails.
func (f fsys) canonPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	lead := "/"
	if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
		lead = "//"
	}
	var parts []string
	build := func() string { return lead + strings.Join(parts, "/") }
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if !f.isDir(build()) {
				return "", false
			}
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, c)
		}
	}
	out := build()
	if !f.isDir(out) {
		return "", false
	}
	return out, true
}

// cd is bash's logical `cd dir` (no CDPATH) from the working directory; it
// returns the new $PWD, or ok=false when the cd fails.
func (f fsys) cd(dir string) (string, bool) {
	t := dir
	if !strings.HasPrefix(t, "/") {
		t = joinSlash(f.cwd, dir)
	}
	if canon, ok := f.canonPath(t); ok {
		if f.canChdir(canon) {
			return canon, true
		}
	} else if f.canChdir(t) {
		// canonicalisation failed but the directory exists: bash resets
		// $PWD from getcwd(), the physical path.
		if phys, err := filepath.EvalSymlinks(f.abs(t)); err == nil {
			return phys, true
		}
	}
	// bash's last resort: chdir to what was given verbatim.
	if f.canChdir(dir) {
		if phys, err := filepath.EvalSymlinks(f.abs(dir)); err == nil {
			return phys, true
		}
	}
	return "", false
}
