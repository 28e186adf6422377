package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// mix is how a soak's programs divide: crash loopers, chatty writers, programs started and
// stopped over XML-RPC, and idle ones.
type mix struct{ crash, chatty, toggle, idle int }

// mixFor divides p programs as the 1,000-program soak does: a fifth crash, a tenth write, a
// twentieth are toggled, the rest sleep.
func mixFor(p int) mix {
	m := mix{crash: p / 5, chatty: p / 10, toggle: p / 20}
	m.idle = p - m.crash - m.chatty - m.toggle
	return m
}

// chattyName is the program name of chatty writer i; its log is chattyLog(dir, i).
func chattyName(i int) string { return fmt.Sprintf("chatty_%d", i) }

func chattyLog(dir string, i int) string {
	return filepath.Join(dir, "chatty", chattyName(i)+".log")
}

func toggleName(i int) string { return fmt.Sprintf("toggle_%d", i) }

// soakConfig is the supervisord.conf of round r (a reload changes round): round r changes the
// command of idle_0 and adds the program extra when r is odd, so each reload has a config change.
type soakConfig struct {
	dir, self string // run directory, the soak binary (the chatty writers run it)
	mix       mix
	rate      int // lines a second of each chatty writer
	backups   int // stdout_logfile_backups of the chatty logs: enough to keep the whole run
}

// chattyMaxBytes is the chatty logs' stdout_logfile_maxbytes: small, so they rotate constantly.
const chattyMaxBytes = 16 * 1024

// backupsFor is how many backups keep every byte a chatty writer at rate writes in d (lines of
// about 90 bytes), with a margin, so that the files can be checked after the run.
func backupsFor(d time.Duration, rate int) int {
	return int(d.Seconds()*float64(rate)*90/chattyMaxBytes*3/2) + 20
}

func (c soakConfig) path() string   { return filepath.Join(c.dir, "supervisord.conf") }
func (c soakConfig) socket() string { return filepath.Join(c.dir, "soak.sock") }

// write writes round r's config.
func (c soakConfig) write(r int) error {
	for _, d := range []string{"logs", "chatty"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o755); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[unix_http_server]
file=%[1]s/soak.sock

[supervisord]
nodaemon=true
identifier=soak
logfile=%[1]s/supervisord.log
logfile_maxbytes=4MB
logfile_backups=2
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s/logs
minfds=16384

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`, c.dir)
	for i := 0; i < c.mix.crash; i++ {
		// Exit codes 1..5 (unexpected), lifetimes 0.5..2.5 s; a third start RUNNING at once and
		// crash-loop, the others fail their start and back off.
		startsecs := []int{0, 1, 3}[i%3]
		fmt.Fprintf(&b, `
[program:crash_%d]
command=/bin/sh -c 'sleep %d.5; exit %d'
startsecs=%d
startretries=1000000
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
`, i, i%3, 1+i%5, startsecs)
	}
	for i := 0; i < c.mix.chatty; i++ {
		fmt.Fprintf(&b, `
[program:%s]
command=%s -soak-writer %s -rate %d
startsecs=0
stdout_logfile=%s
stdout_logfile_maxbytes=%d
stdout_logfile_backups=%d
stderr_logfile=NONE
`, chattyName(i), c.self, chattyName(i), c.rate, chattyLog(c.dir, i), chattyMaxBytes, c.backups)
	}
	for i := 0; i < c.mix.toggle; i++ {
		fmt.Fprintf(&b, `
[program:%s]
command=/bin/sleep 100000
autostart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
`, toggleName(i))
	}
	for i := 0; i < c.mix.idle; i++ {
		secs := 100000
		if i == 0 {
			secs += r
		}
		fmt.Fprintf(&b, `
[program:idle_%d]
command=/bin/sleep %d
stdout_logfile=NONE
stderr_logfile=NONE
`, i, secs)
	}
	if r%2 == 1 {
		b.WriteString(`
[program:extra]
command=/bin/sleep 100000
stdout_logfile=NONE
stderr_logfile=NONE
`)
	}
	tmp := c.path() + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.path())
}
