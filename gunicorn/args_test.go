package gunicorn

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestArgs(t *testing.T) {
	dw := strconv.Itoa(DefaultWorkers())
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"zero config still pins bind and workers", Config{},
			[]string{"--bind", DefaultBind, "--workers", dw}},
		{"seed https", Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 3,
			CertFile: "/a/cert.pem", KeyFile: "/a/key.pem", Chdir: "/a"},
			[]string{"--bind", "127.0.0.1:5001", "--workers", "3", "--certfile", "/a/cert.pem",
				"--keyfile", "/a/key.pem", "--chdir", "/a", "wsgi:app"}},
		{"several binds in order", Config{App: "m:a", Bind: []string{"unix:/run/a.sock", "[::1]:80", "fd://3"}, Workers: 1},
			[]string{"--bind", "unix:/run/a.sock", "--bind", "[::1]:80", "--bind", "fd://3", "--workers", "1", "m:a"}},
		{"durations in whole seconds, rounded up", Config{Workers: 1, Timeout: 90 * time.Second,
			GracefulTimeout: 1500 * time.Millisecond, KeepAlive: 5 * time.Second},
			[]string{"--bind", DefaultBind, "--workers", "1", "--timeout", "90", "--graceful-timeout", "2", "--keep-alive", "5"}},
		{"Disabled and Unlimited write 0", Config{Workers: 1, Timeout: Disabled, GracefulTimeout: Disabled, KeepAlive: Disabled,
			LimitRequestLine: Unlimited, LimitRequestFields: Unlimited, LimitRequestFieldSize: Unlimited},
			[]string{"--bind", DefaultBind, "--workers", "1", "--timeout", "0", "--graceful-timeout", "0", "--keep-alive", "0",
				"--limit-request-line", "0", "--limit-request-fields", "0", "--limit-request-field_size", "0"}},
		{"negative values pass through for gunicorn to refuse", Config{Workers: -1, Threads: -2, Timeout: -5 * time.Second},
			[]string{"--bind", DefaultBind, "--workers=-1", "--threads=-2", "--timeout=-5"}},
		{"lists are joined, repeated flags repeat", Config{Workers: 2, PythonPath: []string{"/a", "b"},
			Env: []string{"A=1", "B=x y"}, ForwardedAllowIPs: []string{"10.0.0.1", "10.0.0.2"}},
			[]string{"--bind", DefaultBind, "--workers", "2", "--pythonpath", "/a,b", "--env", "A=1", "--env", "B=x y",
				"--forwarded-allow-ips", "10.0.0.1,10.0.0.2"}},
		{"booleans and identity", Config{Workers: 2, CaptureOutput: true, PreloadApp: true, ProxyProtocol: true,
			User: "nobody", Group: "nogroup", Umask: 0o22, Name: "web", Reload: true, Daemon: true},
			[]string{"--bind", DefaultBind, "--workers", "2", "--capture-output", "--preload", "--proxy-protocol",
				"--user", "nobody", "--group", "nogroup", "--umask", "0o22", "--name", "web", "--reload", "--daemon"}},
		{"logs; '-' stays a separate value, other leading dashes attach", Config{Workers: 2, AccessLog: "-", ErrorLog: "-",
			LogLevel: "debug", AccessLogFormat: "-%(h)s"},
			[]string{"--bind", DefaultBind, "--workers", "2", "--access-logfile", "-", "--error-logfile", "-",
				"--log-level", "debug", "--access-logformat=-%(h)s"}},
		{"tls extras and worker tuning", Config{Workers: 2, WorkerClass: "gthread", Threads: 4, WorkerConnections: 50,
			MaxRequests: 1000, MaxRequestsJitter: 50, CACerts: "/ca.pem", CertReqs: CertRequired, Ciphers: "ECDHE+AESGCM"},
			[]string{"--bind", DefaultBind, "--workers", "2", "--worker-class", "gthread", "--threads", "4",
				"--worker-connections", "50", "--max-requests", "1000", "--max-requests-jitter", "50",
				"--ca-certs", "/ca.pem", "--cert-reqs", "2", "--ciphers", "ECDHE+AESGCM"}},
		{"config, pid, then Extra, then App", Config{App: "a:b", Workers: 2, ConfigFile: "g.py", PidFile: "/run/g.pid",
			Extra: []string{"--backlog", "64"}},
			[]string{"--bind", DefaultBind, "--workers", "2", "--config", "g.py", "--pid", "/run/g.pid", "--backlog", "64", "a:b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Args()
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, tt.cfg.Args(), "Args must be deterministic")
		})
	}
}

func TestDefaultWorkers(t *testing.T) {
	n := DefaultWorkers()
	assert.GreaterOrEqual(t, n, 3)
	assert.Equal(t, 1, n%2, "2*cores+1 is odd")
}

func TestStopWait(t *testing.T) {
	tests := []struct {
		graceful time.Duration
		want     time.Duration
	}{
		{0, 30*time.Second + StopMargin},
		{Disabled, StopMargin},
		{10 * time.Second, 10*time.Second + StopMargin},
		{2500 * time.Millisecond, 3*time.Second + StopMargin},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Config{GracefulTimeout: tt.graceful}.StopWait(), "GracefulTimeout %v", tt.graceful)
	}
}

func TestSignalsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Signals {
		assert.NotEmpty(t, s.Meaning, s.Name)
		assert.False(t, seen[s.Signal.String()], "signal %v listed twice", s.Signal)
		seen[s.Signal.String()] = true
	}
	assert.Len(t, Signals, 8)
}
