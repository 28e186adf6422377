package gunicorn

import (
	"net"
	"strconv"
)

// LocalURL returns where a process on the same host reaches the first TCP entry of Bind
// (DefaultBind when empty): "http://HOST:PORT/", or "https://HOST:PORT/" when CertFile is
// set, with a wildcard host (0.0.0.0, ::, "") replaced by its loopback address. When clients
// must present a certificate (CertReqs CertRequired) an HTTP request cannot be made without
// one, and it returns "tcp://HOST:PORT". ok is false when no entry is TCP (unix: and fd://
// binds only) or an entry does not parse.
func (c Config) LocalURL() (url string, ok bool) {
	binds := c.Bind
	if len(binds) == 0 {
		binds = []string{DefaultBind}
	}
	for _, b := range binds {
		a, err := ParseBind(b)
		if err != nil {
			return "", false
		}
		if a.Kind != KindTCP {
			continue
		}
		host := a.Host
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		hostPort := net.JoinHostPort(host, strconv.Itoa(a.Port))
		switch {
		case c.CertFile != "" && c.CertReqs == CertRequired:
			return "tcp://" + hostPort, true
		case c.CertFile != "":
			return "https://" + hostPort + "/", true
		}
		return "http://" + hostPort + "/", true
	}
	return "", false
}
