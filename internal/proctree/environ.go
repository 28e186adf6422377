package proctree

import (
	"bytes"
	"os"
	"sort"
	"strconv"
)

// Marked is a process found by FindByEnv.
type Marked struct {
	ID
	// Pgid is the process's process group, Ppid its parent.
	Pgid, Ppid int
	// Env holds the values of the keys FindByEnv was asked for ("" when absent).
	Env map[string]string
}

// FindByEnv returns the live processes other than the caller whose initial environment
// (/proc/PID/environ: what the process was exec'd with, inherited across fork and exec unless a
// program clears it) holds the entry kv ("NAME=value") exactly, sorted by pid, each with the
// values of keys. Processes whose environment cannot be read (another user's, when not root)
// are not found; kernel threads have none. It costs one read of /proc/PID/environ per process
// on the machine, and one of /proc/PID/stat per process found.
func FindByEnv(kv string, keys ...string) ([]Marked, error) {
	boot, err := BootID()
	if err != nil {
		return nil, err
	}
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	want := []byte(kv)
	var out []Marked
	for _, pid := range pids {
		if pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil || !hasEntry(env, want) {
			continue
		}
		st, ok := readStat(pid)
		if !ok || st.state == 'Z' || st.state == 'X' {
			continue
		}
		m := Marked{ID: ID{Pid: pid, StartTicks: st.startTicks, BootID: boot}, Pgid: st.pgid, Ppid: st.ppid, Env: map[string]string{}}
		for _, k := range keys {
			m.Env[k] = entryValue(env, k)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out, nil
}

// hasEntry reports whether the NUL-separated environment block env holds entry.
func hasEntry(env, entry []byte) bool {
	for len(env) > 0 {
		e, rest, _ := bytes.Cut(env, []byte{0})
		if bytes.Equal(e, entry) {
			return true
		}
		env = rest
	}
	return false
}

// entryValue returns the value of key in the environment block env (the last one wins, as in
// a dedup'd environment), "" when absent.
func entryValue(env []byte, key string) string {
	prefix := []byte(key + "=")
	v := ""
	for len(env) > 0 {
		e, rest, _ := bytes.Cut(env, []byte{0})
		if bytes.HasPrefix(e, prefix) {
			v = string(e[len(prefix):])
		}
		env = rest
	}
	return v
}
