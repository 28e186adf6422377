// Package proctree finds and signals process trees on Linux through gopsutil's /proc readers:
// the descendants of a pid, the members of a process group, and whether a pid still names
// the process we recorded (pid + start time, so a recycled pid is not mistaken for ours).
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
	"syscall"

	"github.com/shirou/gopsutil/v3/process"
)

// parents maps every live pid to its parent pid.
func parents() (map[int]int, error) {
	pids, err := process.Pids()
	if err != nil {
		return nil, fmt.Errorf("proctree: list processes: %w", err)
	}
	out := make(map[int]int, len(pids))
	for _, pid := range pids {
		p := &process.Process{Pid: pid}
		ppid, err := p.Ppid()
		if err != nil {
			continue // gone meanwhile
		}
		out[int(pid)] = int(ppid)
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
	kids := map[int][]int{}
	for c, p := range pp {
		kids[p] = append(kids[p], c)
	}
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
	return out, nil
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

// stat returns the state letter and the parent pid from /proc/pid/stat; ok is false when the
// process is gone.
func stat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, false
	}
	fields := strings.Fields(string(b[i+2:]))
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	if err != nil {
		return 0, 0, false
	}
	return fields[0][0], ppid, true
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

// ID names one process instance: its pid and its start time (milliseconds since the epoch, as
// gopsutil reports it).
type ID struct {
	Pid        int
	CreateTime int64
}

// Identify returns the ID of the live process pid.
func Identify(pid int) (ID, error) {
	if pid <= 0 {
		return ID{}, fmt.Errorf("proctree: bad pid %d", pid)
	}
	// Not process.NewProcess: its existence check costs as much again, and reading the start
	// time fails for a missing process anyway.
	p := &process.Process{Pid: int32(pid)}
	ct, err := p.CreateTime()
	if err != nil {
		return ID{}, fmt.Errorf("proctree: pid %d start time: %w", pid, err)
	}
	return ID{Pid: pid, CreateTime: ct}, nil
}

// Alive reports whether id's process still runs: the pid exists, is not a zombie, and started
// at the recorded time (so a recycled pid is not ours).
func (id ID) Alive() bool {
	p, err := process.NewProcess(int32(id.Pid))
	if err != nil {
		return false
	}
	ct, err := p.CreateTime()
	if err != nil || ct != id.CreateTime {
		return false
	}
	st, err := p.Status()
	if err != nil {
		return false
	}
	for _, s := range st {
		if s == process.Zombie {
			return false
		}
	}
	return true
}
