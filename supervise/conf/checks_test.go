package conf

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestChecksOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
[program:web]
command=/bin/sleep 1
numprocs=2
process_name=web%(process_num)d
ready = tcp://127.0.0.1:80%(process_num)02d
ready_timeout = 30
watchdog_secs = 0
healthcheck_url = https://127.0.0.1:80%(process_num)02d/health
healthcheck_interval = 2
healthcheck_timeout = 1
healthcheck_retries = 5
memory_limit = 512MB
memory_check_interval = 30

[program:worker]
command=/bin/sleep 1
ready=notify
healthcheck_command = test -e /tmp/ok

[program:plain]
command=/bin/sleep 1
`), Options{Environ: []string{}})
	require.NoError(t, err)
	progs := map[string]supervise.Program{}
	for _, g := range cfg.SuperviseGroups() {
		for _, p := range g.Programs {
			progs[p.Name] = p
		}
	}
	assert.Equal(t, supervise.Checks{Ready: "tcp://127.0.0.1:8001", ReadyTimeout: 30 * time.Second, Watchdog: -1,
		HealthURL: "https://127.0.0.1:8001/health", HealthInterval: 2 * time.Second, HealthTimeout: time.Second,
		HealthRetries: 5, MemoryLimit: 512 << 20, MemoryInterval: 30 * time.Second}, progs["web1"].Checks)
	assert.Equal(t, "tcp://127.0.0.1:8000", progs["web0"].Checks.Ready)
	assert.Equal(t, supervise.Checks{Ready: "notify", HealthCommand: "test -e /tmp/ok"}, progs["worker"].Checks)
	assert.Equal(t, supervise.Checks{}, progs["plain"].Checks)
	def := progs["worker"].WithDefaults().Checks
	assert.Equal(t, 60*time.Second, def.ReadyTimeout)
	assert.Equal(t, 10*time.Second, def.HealthInterval)
	assert.Equal(t, 5*time.Second, def.HealthTimeout)
	assert.Equal(t, 3, def.HealthRetries)
	assert.Equal(t, 10*time.Second, def.MemoryInterval)
	for _, p := range progs {
		assert.NoError(t, p.Validate())
	}
}

func TestChecksOptionErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.conf")
	_, err := LoadData(path, []byte(`[supervisord]
[program:a]
command=/bin/true
ready = systemd
ready_timeout = 0
watchdog_secs = -1
healthcheck_url = ftp://x/
healthcheck_command = true
healthcheck_interval = ten
healthcheck_timeout = 0
healthcheck_retries = 0
memory_limit = lots
memory_check_interval = 0

[program:b]
command=/bin/true
ready = tcp://127.0.0.1
healthcheck_url = http:///nohost
`), Options{Environ: []string{}})
	var got []string
	for _, e := range errorsOf(t, err) {
		got = append(got, e.Error())
	}
	in := func(sec string) string { return " in section '" + sec + "' (file: '" + path + "') at line " }
	assert.Equal(t, []string{
		`ready: "systemd": the scheme must be tcp, http or https (or notify)` + in("program:a") + "4",
		"ready_timeout must be at least 1, not 0" + in("program:a") + "5",
		"watchdog_secs must be at least 0, not -1" + in("program:a") + "6",
		`healthcheck_url: "ftp://x/": the scheme must be tcp, http or https` + in("program:a") + "7",
		"healthcheck_command and healthcheck_url are both set (line 7); use one" + in("program:a") + "8",
		"invalid literal for int() with base 10: 'ten'" + in("program:a") + "9",
		"healthcheck_timeout must be at least 1, not 0" + in("program:a") + "10",
		"healthcheck_retries must be at least 1, not 0" + in("program:a") + "11",
		"invalid literal for int() with base 10: 'lots'" + in("program:a") + "12",
		"memory_check_interval must be at least 1, not 0" + in("program:a") + "13",
		`ready: "tcp://127.0.0.1": a tcp address needs HOST:PORT (or notify)` + in("program:b") + "17",
		`healthcheck_url: "http:///nohost": no host` + in("program:b") + "18",
	}, got)
}
