package gunicorn

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLocalURL(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
		ok   bool
	}{
		{Config{}, "http://127.0.0.1:8000/", true},
		{Config{Bind: []string{"0.0.0.0:8080"}}, "http://127.0.0.1:8080/", true},
		{Config{Bind: []string{"unix:/run/app.sock", "[::]:443"}, CertFile: "c.pem"}, "https://[::1]:443/", true},
		{Config{Bind: []string{"10.0.0.5:9000"}, CertFile: "c.pem", CACerts: "ca.pem", CertReqs: CertRequired}, "tcp://10.0.0.5:9000", true},
		{Config{Bind: []string{"unix:/run/app.sock"}}, "", false},
		{Config{Bind: []string{"fd://3"}}, "", false},
		{Config{Bind: []string{"::1:80"}}, "", false},
	} {
		got, ok := tc.cfg.LocalURL()
		assert.Equal(t, tc.want, got, "%v", tc.cfg.Bind)
		assert.Equal(t, tc.ok, ok, "%v", tc.cfg.Bind)
	}
}
