package pyapp

import (
	"net"
	"path/filepath"
	"strconv"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// gunicornSockets gives a [gunicorn:x] process its binds as held sockets
// (supervise.Program.Sockets) unless the section sets sockets= (`sockets =` with an empty value
// turns them off): the daemon keeps the port open across restarts and crashes, and gunicorn
// 20.1 listens on the inherited fds (LISTEN_FDS) instead of binding. gunicorn still gets its
// --bind arguments, which then only name what it serves. A relative unix path is relative to
// gunicorn's chdir. A bind on an inherited fd (fd://N) cannot be held: then nothing is.
//
// A restart of a [gunicorn:x] overlaps unless the section sets restart_mode: the new master
// starts on the held sockets and the old one gets its graceful stop once the new one is ready.
func gunicornSockets(p *conf.Process, gc gunicorn.Config, vals map[string]conf.SectionValue) {
	if _, set := vals["restart_mode"]; !set {
		p.RestartMode = supervise.RestartOverlap
	}
	if _, set := vals["sockets"]; set {
		return
	}
	binds := gc.Bind
	if len(binds) == 0 {
		binds = []string{gunicorn.DefaultBind}
	}
	var out []supervise.Socket
	for _, b := range binds {
		a, err := gunicorn.ParseBind(b)
		if err != nil || a.Kind == gunicorn.KindFD {
			return // a bad bind is the checker's error; an fd bind is gunicorn's own
		}
		if a.Kind == gunicorn.KindUnix {
			path := a.Path
			if !filepath.IsAbs(path) {
				path = filepath.Join(gc.Chdir, path)
			}
			out = append(out, supervise.Socket{Network: "unix", Address: path})
			continue
		}
		out = append(out, supervise.Socket{Network: "tcp", Address: net.JoinHostPort(a.Host, strconv.Itoa(a.Port))})
	}
	p.Sockets = out
}
