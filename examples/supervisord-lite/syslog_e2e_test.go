package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The syslog test runs both daemons in a private mount namespace whose /dev is a tmpfs with
// /dev/log a link to a unix datagram socket of the test, so that what each sends to syslog
// (logfile=syslog, stdout_syslog, stderr_syslog) can be read and compared byte for byte,
// timestamps and pids aside.

// slWrapper runs its arguments in a private mount namespace with /dev/null and /dev/log
// (a link to $1) only; $2 is the daemon.
const slWrapper = `#!/bin/sh
exec unshare --mount --propagation private /bin/sh -c '
set -e
log=$1; shift
touch "$0.null"
mount --bind /dev/null "$0.null"
mount -t tmpfs tmpfs /dev
touch /dev/null
mount --bind "$0.null" /dev/null
ln -s "$log" /dev/log
exec "$@"' "$0" "$@"
`

const slBody = `
[program:talker]
command=/bin/sh -c 'echo out-one; echo; echo out-three; echo err-one >&2; exec /bin/sleep 1000'
stdout_syslog=true
stderr_syslog=true
startsecs=1
`

var (
	slHeader = regexp.MustCompile(`^<14>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] `)
	slTime   = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)
	slPid    = regexp.MustCompile(`pid \d+`)
)

func TestSyslogDifferential(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root for a mount namespace with its own /dev/log")
	}
	testenv.LookPath(t, "unshare", "util-linux")
	lite, real := dtPair(t, "")
	var mu sync.Mutex
	got := map[string][]string{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		logSock := filepath.Join(d.dir, "devlog")
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: logSock, Net: "unixgram"})
		require.NoError(t, err)
		defer conn.Close()
		wrapper := filepath.Join(d.dir, "wrap")
		require.NoError(t, os.WriteFile(wrapper, []byte(slWrapper), 0o755))
		conf := strings.Replace(dtConfig(d.dir, slBody), "logfile="+d.dir+"/supervisord.log", "logfile=syslog", 1)
		require.NoError(t, os.WriteFile(d.conf, []byte(conf), 0o644))
		// the wrapper takes the socket and the daemon before the daemon's own arguments
		daemon := d.bin
		d.bin = wrapper
		d.startWith(t, logSock, daemon)
		c := d.client(t)
		d.waitFor(t, c, "talker RUNNING", allRunning("talker"))

		// Read until the three output lines and the RUNNING line have arrived.
		var msgs []string
		buf := make([]byte, 65536)
		want := func() bool {
			n := 0
			for _, m := range msgs {
				if strings.Contains(m, "talker ") && !strings.Contains(m, "INFO") || strings.Contains(m, "success: talker") {
					n++
				}
			}
			return n >= 5
		}
		deadline := time.Now().Add(20 * time.Second)
		for !want() && time.Now().Before(deadline) {
			conn.SetReadDeadline(deadline)
			k, err := conn.Read(buf)
			if err != nil {
				break
			}
			m := buf[:k]
			loc := slHeader.FindIndex(m)
			require.NotNil(t, loc, "%s: syslog header of %q", d.name, m)
			msgs = append(msgs, string(m[loc[1]:]))
		}
		require.True(t, want(), "%s: messages so far: %q", d.name, msgs)
		var keep []string
		for _, m := range msgs {
			m = slPid.ReplaceAllString(slTime.ReplaceAllString(m, "$$TIME "), "pid $$PID")
			// the child's output, and the main log lines both daemons write alike
			if strings.Contains(m, "talker") {
				keep = append(keep, m)
			}
		}
		sort.Strings(keep)
		mu.Lock()
		got[d.name] = keep
		mu.Unlock()
	}, lite, real)

	assert.Equal(t, []string{
		"supervisord: $TIME INFO spawned: 'talker' with pid $PID\n",
		"supervisord: $TIME INFO success: talker entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)\n",
		"supervisord: talker ",
		"supervisord: talker err-one",
		"supervisord: talker out-one",
		"supervisord: talker out-three",
	}, got["lite"])
	if real != nil {
		t.Logf("supervisord 4.2.5 sent: %q", got["real"])
		assert.Equal(t, got["real"], got["lite"], "what supervisord 4.2.5 sends to syslog")
	}
}

// startWith starts the daemon with args before its own (a wrapper's arguments).
func (d *dtDaemon) startWith(t *testing.T, args ...string) {
	d.startArgs(t, append(args, "-n", "-c", d.conf))
}
