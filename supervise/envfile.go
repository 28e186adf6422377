package supervise

import (
	"fmt"
	"strings"
)

// withEnvFile appends the variables of Program.EnvFile, read now, to env.
func (p *process) withEnvFile(env []string) ([]string, error) {
	path := p.prog.EnvFile
	if path == "" {
		return env, nil
	}
	read := p.sv.opts.ReadEnvFile
	if read == nil {
		return nil, &spawnError{msg: fmt.Sprintf("environment_file %s: the supervisor has no Options.ReadEnvFile", path)}
	}
	vars, err := read(path, env)
	if err != nil {
		return nil, &spawnError{msg: fmt.Sprintf("environment_file: %v", err)}
	}
	for i, kv := range vars {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, &spawnError{msg: fmt.Sprintf("environment_file %s: entry %d (%q) is not KEY=VALUE", path, i, kv)}
		}
	}
	return append(env, vars...), nil
}
