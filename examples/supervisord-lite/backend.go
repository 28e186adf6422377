package main

import (
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// backend is what the XML-RPC server drives: the Supervisor, plus what the daemon adds to its
// status (the certificate expiry of [gunicorn:x] programs).
type backend struct {
	*supervise.Supervisor
	certs *certMonitor // nil when no program has a certificate
	trim  *memTrimmer  // told about status calls (their responses are the daemon's biggest)
}

var _ rpc.Backend = backend{}

// Status is the Supervisor's, with "cert expires YYYY-MM-DD" added to the description of a
// RUNNING program that serves a certificate.
func (b backend) Status(spec string) ([]supervise.ProcessInfo, error) {
	b.trim.poke()
	infos, err := b.Supervisor.Status(spec)
	for i := range infos {
		if t, ok := b.certs.Expiry(infos[i].Group + ":" + infos[i].Name); ok {
			infos[i].Note = "cert expires " + t.Format("2006-01-02")
		}
	}
	return infos, err
}
