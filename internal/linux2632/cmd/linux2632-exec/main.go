// Command linux2632-exec runs a program under the Linux 2.6.32 profile (package linux2632):
//
//	linux2632-exec PROGRAM [ARG]...
//
// It installs the seccomp filter and execs PROGRAM (looked up in PATH when it has no slash),
// so PROGRAM and everything it starts see 2.6.32 in their static Go code. It works as
// `go test -exec linux2632-exec` and in front of the daemon. Exit status 126 when the filter
// cannot be installed or PROGRAM cannot be run, 2 for a usage error.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/linux2632"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: linux2632-exec PROGRAM [ARG]...")
		os.Exit(2)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "linux2632-exec: %v\n", err)
		os.Exit(126)
	}
	if err := linux2632.Install(); err != nil {
		fmt.Fprintf(os.Stderr, "linux2632-exec: %v\n", err)
		os.Exit(126)
	}
	err = syscall.Exec(path, os.Args[1:], append(os.Environ(), linux2632.ProfileEnv+"=1"))
	fmt.Fprintf(os.Stderr, "linux2632-exec: exec %s: %v\n", path, err)
	os.Exit(126)
}
