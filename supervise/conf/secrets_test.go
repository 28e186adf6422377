package conf

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A configuration error never quotes a server's password, whatever else is wrong in its
// section or around it. (A malformed environment= line is quoted in its error, as supervisord
// quotes it: see SECURITY.md.)
func TestPasswordNotInErrors(t *testing.T) {
	const secret = "S3CRET-PW"
	for name, text := range map[string]string{
		"password without username": "[inet_http_server]\nport=127.0.0.1:9001\npassword=" + secret + "\n",
		"bad port":                  "[inet_http_server]\nport=nope:x\nusername=u\npassword=" + secret + "\n",
		"no port":                   "[inet_http_server]\nusername=u\npassword=" + secret + "\n",
		"unix bad chmod":            "[unix_http_server]\nfile=/tmp/x.sock\nchmod=999\nusername=u\npassword=" + secret + "\n",
		"unix bad chown":            "[unix_http_server]\nfile=/tmp/x.sock\nchown=no-such-user-x\nusername=u\npassword=" + secret + "\n",
		"unix password alone":       "[unix_http_server]\nfile=/tmp/x.sock\npassword=" + secret + "\n",
		"bad interpolation":         "[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=" + secret + "%(nope)s\n",
		"bad format":                "[unix_http_server]\nfile=/tmp/x.sock\nusername=u\npassword=" + secret + "%(x\n",
		"ctl bad interpolation":     "[supervisorctl]\nusername=u\npassword=" + secret + "%(nope)s\n",
		"ctl bad url":               "[supervisorctl]\nserverurl=ftp://x\nusername=u\npassword=" + secret + "\n",
		"program error after":       "[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=" + secret + "\n[program:x]\n",
		"duplicate key":             "[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=" + secret + "\npassword=" + secret + "2\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadData("/etc/supervisord.conf", []byte("[supervisord]\n"+text), Options{})
			if err == nil {
				for _, w := range cfg.Warnings {
					assert.NotContains(t, w, secret)
				}
				return
			}
			assert.False(t, strings.Contains(err.Error(), secret), "error: %v", err)
		})
	}
}
