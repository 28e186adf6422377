package conf

import (
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// keySockets is supervisord-lite's sockets = tcp://HOST:PORT, unix:///PATH option of
// [program:x] sections (and every section parsed like one): listening sockets the daemon
// creates and holds, passed to the program as systemd's socket activation does
// (supervise.Program.Sockets; each value as supervise.ParseSocketURL reads it).
const keySockets = "sockets"

// readSockets reads sockets of section c with the expansions vars; a bad value is an error at
// its line.
func readSockets(c *sectx, vars map[string]any) []supervise.Socket {
	s, line, present, ok := c.get(keySockets, "", vars)
	if !present || !ok {
		return nil
	}
	var out []supervise.Socket
	for _, v := range listOfStrings(ini.Strip(s)) {
		sock, err := supervise.ParseSocketURL(v)
		if err != nil {
			c.fail(line, errorf("%s: %v", keySockets, err))
			continue
		}
		out = append(out, sock)
	}
	return out
}
