package pyapp

import (
	"sort"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// envMap turns KEY=VALUE entries into a map (the last one wins).
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func envStrings(vars []conf.EnvVar) []string {
	if len(vars) == 0 {
		return nil
	}
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Key + "=" + v.Value
	}
	return out
}

// envDelta returns the environment= entries that turn base into want: changed or new keys,
// and removed keys set empty (an empty PYTHONHOME, VIRTUAL_ENV or GUNICORN_CMD_ARGS is the
// same as none for Python and gunicorn). Sorted by key for a stable program spec.
func envDelta(base, want []string) (set []string, cleared []string) {
	b, w := envMap(base), envMap(want)
	for k, v := range w {
		if old, ok := b[k]; !ok || old != v {
			set = append(set, k+"="+v)
		}
	}
	for k, v := range b {
		if _, ok := w[k]; !ok && v != "" {
			set = append(set, k+"=")
			cleared = append(cleared, k)
		}
	}
	sort.Strings(set)
	sort.Strings(cleared)
	return set, cleared
}

// appendEnv adds KEY=VALUE entries to vars, replacing a key already there.
func appendEnv(vars []conf.EnvVar, entries []string) []conf.EnvVar {
	out := append([]conf.EnvVar(nil), vars...)
	for _, kv := range entries {
		k, v, _ := strings.Cut(kv, "=")
		replaced := false
		for i := range out {
			if out[i].Key == k {
				out[i].Value, replaced = v, true
			}
		}
		if !replaced {
			out = append(out, conf.EnvVar{Key: k, Value: v})
		}
	}
	return out
}

// CommandLine shows argv as a command= line, for getAllConfigInfo (supervisorctl avail) and
// `ctl explain`; nothing splits it again: each word quoted for a POSIX shell when it needs to be.
func CommandLine(argv []string) string {
	q := make([]string, len(argv))
	for i, s := range argv {
		if s != "" && strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@%", r))
		}) < 0 {
			q[i] = s
			continue
		}
		q[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
