package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/supervisord-lite/supervisord-lite/internal/rlimit"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// DaemonizedEnv is set (to "1") in the environment of the detached copy that Daemonize
// starts; Main reads and removes it, and sets Options.Daemonized.
const DaemonizedEnv = "SUPERVISORD_LITE_DAEMONIZED"

// Daemonize re-executes this program with args, detached from the terminal (Go cannot fork
// without exec): a new session (setsid), stdio on /dev/null, DaemonizedEnv set. It returns
// once the copy is started, without waiting for it, as supervisord's parent does.
func Daemonize(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot daemonize: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("cannot daemonize: %w", err)
	}
	defer devnull.Close()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), DaemonizedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot daemonize: %w", err)
	}
	return cmd.Process.Release()
}

// applyDaemonSettings does what supervisord does only when it daemonizes: chdir to directory=
// and set umask=.
func applyDaemonSettings(s conf.Supervisord) error {
	if s.Directory != "" {
		if err := os.Chdir(s.Directory); err != nil {
			return fmt.Errorf("can't chdir into %q: %v", s.Directory, err)
		}
	}
	syscall.Umask(s.Umask)
	return nil
}

// setRlimits raises RLIMIT_NOFILE and RLIMIT_NPROC to minfds and minprocs as supervisord does,
// with its error texts when the hard limit is too low.
func setRlimits(s conf.Supervisord) error {
	limits := []struct {
		res  int
		min  int
		name string
		msg  string
	}{
		{rlimit.NOFILE, s.Minfds, "minfds", `The minimum number of file descriptors required to run this process is %d as per the "minfds" command-line argument or config file setting. The current environment will only allow you to open %d file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start.`},
		{rlimit.NPROC, s.Minprocs, "minprocs", `The minimum number of available processes required to run this program is %d as per the "minprocs" command-line argument or config file setting. The current environment will only allow you to open %d processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start.`},
	}
	for _, l := range limits {
		// getrlimit/setrlimit themselves: Go's syscall package uses prlimit64, missing before
		// Linux 2.6.36 (CentOS 6), where the limits were silently skipped.
		before, _, err := rlimit.Raise(l.res, uint64(l.min))
		if errors.Is(err, rlimit.ErrHardLimit) {
			return fmt.Errorf(l.msg, l.min, before.Max)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
	}
	return nil
}

// dropPrivileges switches to user= as supervisord does: only as root, with the user's groups.
func dropPrivileges(name string) error {
	if name == "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
		if err != nil {
			return fmt.Errorf("Can't find user %q", name)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Getuid() == uid {
		return nil
	}
	if os.Getuid() != 0 {
		return errors.New("Can't drop privilege as nonroot user")
	}
	gids := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.Atoi(s); err == nil && n != gid {
				gids = append(gids, n)
			}
		}
	}
	if err := syscall.Setgroups(gids); err != nil {
		return fmt.Errorf("Could not set groups of effective user: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("Could not set group id of effective user: %v", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("Could not set user id of effective user: %v", err)
	}
	return nil
}

// pidfileOwner returns the pid named by the pidfile when it is a live supervisord-lite (the same
// executable as this one), or 0.
func pidfileOwner(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return 0
	}
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return 0
	}
	exe, err := p.Exe()
	if err != nil {
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		return 0
	}
	if filepath.Base(strings.TrimSuffix(exe, " (deleted)")) == filepath.Base(self) {
		return pid
	}
	return 0
}

// writePidfile writes "pid\n" as supervisord does.
func writePidfile(path string) error {
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// StateFile is where the engine records the children it started (supervise.Options.StateFile):
// next to the pidfile, so that a supervisord-lite started after a crash of the previous one
// (kill -9, OOM) finds that one's children and ends them before it autostarts.
func StateFile(pidfile string) string {
	if pidfile == "" {
		return ""
	}
	return strings.TrimSuffix(pidfile, ".pid") + ".children"
}
