package pyenv

import (
	"os"
	"strings"
)

// envMap is an environment as the tools see it: the last KEY=value for a
// key wins (as os/exec does), and "set but empty" is distinct from "unset".
type envMap map[string]string

func newEnvMap(env []string) envMap {
	if env == nil {
		env = os.Environ()
	}
	m := make(envMap, len(env))
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		m[k] = v
	}
	return m
}

// get returns the value of key, "" when unset.
func (m envMap) get(key string) string { return m[key] }

// lookup reports whether key is set, and its value.
func (m envMap) lookup(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

func (m envMap) clone() envMap {
	c := make(envMap, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// setEnv returns env with key set to value: an existing entry is replaced in
// place (later duplicates are dropped), a new one is appended.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	done := false
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			if !done {
				out = append(out, key+"="+value)
				done = true
			}
			continue
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, key+"="+value)
	}
	return out
}

// unsetEnv returns env without any entry for key.
func unsetEnv(env []string, key string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// lookupEnv returns the last value of key in env.
func lookupEnv(env []string, key string) (string, bool) {
	val, found := "", false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}
