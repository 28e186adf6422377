// Package proctree finds and signals process trees on Linux through /proc: the descendants of
// a pid, the members of a process group, the processes whose environment carries a marker
// (FindByEnv), and whether a pid still names the process we recorded (pid + start tick + boot
// id, so a recycled pid is not mistaken for ours).
//
// It never runs external commands: gopsutil's Children runs pgrep, whose exit a
// wait4(-1) reaper (supervise's) would steal, so parent links are read from /proc instead.
package proctree

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// parents maps every live pid to its parent pid.
func parents() (map[int]int, error) {
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	out := make(map[int]int, len(pids))
	for _, pid := range pids {
		if st, ok := readStat(pid); ok { // else gone meanwhile
			out[pid] = st.ppid
		}
	}
	return out, nil
}

// Descendants returns the pids of every descendant of pid (children, their children ...),
// sorted. A process that exits meanwhile is simply absent.
func Descendants(pid int) ([]int, error) {
	pp, err := parents()
	if err != nil {
		return nil, err
	}
	return childrenOf(pp).descendants(pid), nil
}

// children maps a pid to the pids of its children.
type children map[int][]int

func childrenOf(parents map[int]int) children {
	kids := children{}
	for c, p := range parents {
		kids[p] = append(kids[p], c)
	}
	return kids
}

// descendants are the pids below pid, sorted.
func (kids children) descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	seen := map[int]bool{pid: true}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, c := range kids[cur] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	sort.Ints(out)
	return out
}

// GroupMembers returns the live pids whose process group is pgid, sorted. Zombies (exited,
// not yet reaped) are not members. It costs one getpgid(2) per process and one /proc read per
// member, and a single kill(-pgid, 0) when the group is empty (the common case after a
// supervised process exited), so it is cheap enough to call on every exit.
func GroupMembers(pgid int) ([]int, error) {
	if pgid <= 0 {
		return nil, fmt.Errorf("proctree: bad process group %d", pgid)
	}
	if err := syscall.Kill(-pgid, 0); err == syscall.ESRCH {
		return nil, nil // no process at all in the group: one syscall instead of a scan
	}
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, pid := range pids {
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid && !zombie(pid) {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out, nil
}

// listPids returns every pid in /proc.
func listPids() ([]int, error) {
	f, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("proctree: list processes: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("proctree: list processes: %w", err)
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out, nil
}

// procStat is what we read from /proc/PID/stat.
type procStat struct {
	state      byte   // R, S, D, Z, X ...
	ppid       int    // field 4
	pgid       int    // field 5
	startTicks uint64 // field 22: start time in clock ticks after boot
}

// readStat parses /proc/pid/stat; ok is false when the process is gone.
func readStat(pid int) (st procStat, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return st, false
	}
	// "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses; the last ')' ends it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return st, false
	}
	fields := strings.Fields(string(b[i+2:]))
	if len(fields) < 20 || fields[0] == "" { // fields[0] is field 3, fields[19] field 22
		return st, false
	}
	st.state = fields[0][0]
	st.ppid, err = strconv.Atoi(fields[1])
	if err == nil {
		st.pgid, err = strconv.Atoi(fields[2])
	}
	if err == nil {
		st.startTicks, err = strconv.ParseUint(fields[19], 10, 64)
	}
	return st, err == nil
}

// stat returns the state letter and the parent pid from /proc/pid/stat; ok is false when the
// process is gone.
func stat(pid int) (state byte, ppid int, ok bool) {
	st, ok := readStat(pid)
	return st.state, st.ppid, ok
}

func zombie(pid int) bool {
	st, _, ok := stat(pid)
	return !ok || st == 'Z' || st == 'X'
}

// Adopted returns the live children of the calling process whose process group is neither the
// caller's nor one of known, sorted: with PR_SET_CHILD_SUBREAPER these are descendants of our
// children that were orphaned after leaving their group (a daemonizing grandchild). known
// usually holds the pids of the children the caller started itself (each its own group).
func Adopted(known map[int]bool) ([]int, error) {
	self := os.Getpid()
	own := syscall.Getpgrp()
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, pid := range pids {
		st, ppid, ok := stat(pid)
		if !ok || ppid != self || st == 'Z' || st == 'X' || known[pid] {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g != own && !known[g] {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out, nil
}

// KillTree sends sig to pid and to every descendant found at the time of the call. Processes
// already gone are not an error.
func KillTree(pid int, sig syscall.Signal) error {
	desc, err := Descendants(pid)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range append([]int{pid}, desc...) {
		if err := syscall.Kill(p, sig); err != nil && err != syscall.ESRCH {
			errs = append(errs, fmt.Errorf("proctree: kill %d: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// KillGroup sends sig to the process group pgid; an empty group is not an error.
func KillGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("proctree: refusing to signal process group %d", pgid)
	}
	if err := syscall.Kill(-pgid, sig); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("proctree: kill group %d: %w", pgid, err)
	}
	return nil
}

// ID names one process instance: its pid, its start time in clock ticks after boot
// (/proc/PID/stat field 22, as the kernel keeps it: no conversion, no rounding) and the boot it
// belongs to (/proc/sys/kernel/random/boot_id), so neither a recycled pid nor a reboot makes
// another process look like this one, and no clock step or boot-time rounding makes this one
// look like another.
type ID struct {
	Pid        int
	StartTicks uint64
	BootID     string
}

// Identify returns the ID of the live process pid.
func Identify(pid int) (ID, error) {
	if pid <= 0 {
		return ID{}, fmt.Errorf("proctree: bad pid %d", pid)
	}
	boot, err := BootID()
	if err != nil {
		return ID{}, err
	}
	st, ok := readStat(pid)
	if !ok {
		return ID{}, fmt.Errorf("proctree: pid %d: %w", pid, os.ErrNotExist)
	}
	return ID{Pid: pid, StartTicks: st.startTicks, BootID: boot}, nil
}

// Alive reports whether id's process still runs: same boot, the pid exists, is not a zombie,
// and started at the recorded tick (so a recycled pid is not ours).
func (id ID) Alive() bool {
	if id.Pid <= 0 {
		return false
	}
	if boot, err := BootID(); err != nil || boot != id.BootID {
		return false
	}
	st, ok := readStat(id.Pid)
	return ok && st.startTicks == id.StartTicks && st.state != 'Z' && st.state != 'X'
}

var bootID struct {
	once sync.Once
	id   string
	err  error
}

// BootID returns this boot's id (/proc/sys/kernel/random/boot_id, Linux 2.6.x and later), read
// once per process.
func BootID() (string, error) {
	bootID.once.Do(func() {
		b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
		bootID.id, bootID.err = strings.TrimSpace(string(b)), err
		if err == nil && bootID.id == "" {
			bootID.err = errors.New("proctree: empty /proc/sys/kernel/random/boot_id")
		}
		if bootID.err != nil && !strings.HasPrefix(bootID.err.Error(), "proctree:") {
			bootID.err = fmt.Errorf("proctree: boot id: %w", bootID.err)
		}
	})
	return bootID.id, bootID.err
}
