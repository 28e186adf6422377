package conf

import (
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// keyRestartMode is supervisord-lite's restart_mode = stop-start | overlap option of
// [program:x] sections (and every section parsed like one): how a restart replaces a running
// process (supervise.Program.RestartMode). overlap needs sockets= to overlap.
const keyRestartMode = "restart_mode"

// readRestartMode reads restart_mode of section c with the expansions vars; a bad value is an
// error at its line.
func readRestartMode(c *sectx, vars map[string]any) supervise.RestartMode {
	s, line, present, ok := c.get(keyRestartMode, "", vars)
	if !present || !ok {
		return supervise.RestartStopStart
	}
	switch v := ini.Strip(s); v {
	case "stop-start", "":
		return supervise.RestartStopStart
	case "overlap":
		return supervise.RestartOverlap
	default:
		c.fail(line, errorf("%s: %q is not stop-start or overlap", keyRestartMode, v))
	}
	return supervise.RestartStopStart
}
