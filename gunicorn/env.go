package gunicorn

import (
	"fmt"
	"strings"
)

// InheritedVars are the environment variables gunicorn 20.1 reads as settings or as state handed
// over by a parent gunicorn, and what each does. CleanEnv removes them; Validate warns about
// those present in Checker.Env.
var InheritedVars = map[string]string{
	"GUNICORN_CMD_ARGS":   "is parsed as extra command-line flags (any flag, even --daemon); our flags override those it repeats",
	"WEB_CONCURRENCY":     "sets the default worker count (Args always writes --workers, so it only matters for flags from elsewhere)",
	"PORT":                "changes the default bind to 0.0.0.0:$PORT, all interfaces (Args always writes --bind)",
	"FORWARDED_ALLOW_IPS": "sets which front ends may set X-Forwarded-* headers when ForwardedAllowIPs is empty",
	"SENDFILE":            "turns sendfile() on or off",
	"GUNICORN_FD":         "makes gunicorn take these inherited descriptors as its listeners instead of binding (state from a SIGUSR2 parent)",
	"GUNICORN_PID":        "makes the master believe it is the new master of a SIGUSR2 upgrade",
}

// CleanEnv returns a copy of env ("KEY=VALUE" entries, as os.Environ gives) without the
// variables in InheritedVars, so that gunicorn's settings come only from its command line.
// The order of the other entries is kept.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, drop := InheritedVars[k]; drop {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// checkEnv warns about inherited variables gunicorn would read.
func (v *validation) checkEnv() {
	for _, kv := range v.env {
		k, val, _ := strings.Cut(kv, "=")
		what, ok := InheritedVars[k]
		if !ok {
			continue
		}
		if k == "FORWARDED_ALLOW_IPS" && len(v.cfg.ForwardedAllowIPs) > 0 {
			what = "would read it, but ForwardedAllowIPs overrides it"
		}
		v.warn("env "+k, "", fmt.Sprintf("%s=%q in the inherited environment: gunicorn %s; CleanEnv removes it", k, val, what))
	}
}
