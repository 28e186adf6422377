package pyapp

import (
	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// gunicornChecks gives a [gunicorn:x] process the checks gunicorn makes sensible unless the
// section sets them: ready = notify (gunicorn's master sends READY=1 once it listens), and a
// health check of its first TCP bind (gunicorn.Config.LocalURL) that passes on any HTTP answer,
// so a master whose workers all hang is restarted. `ready =` and `healthcheck_url =` with
// an empty value turn them off.
func gunicornChecks(p *conf.Process, gc gunicorn.Config, vals map[string]conf.SectionValue) {
	if _, set := vals["ready"]; !set {
		p.Checks.Ready = supervise.ReadyNotify
	}
	_, url := vals["healthcheck_url"]
	_, cmd := vals["healthcheck_command"]
	if !url && !cmd {
		if u, ok := gc.LocalURL(); ok {
			p.Checks.HealthURL, p.Checks.HealthAnyStatus = u, true
		}
	}
}
