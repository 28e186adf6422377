package supervise

import (
	"bufio"
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syslogStamp matches glibc's syslog(3) header for facility user, priority info: "<14>" and
// the local time as "%h %e %T".
var syslogStamp = regexp.MustCompile(`^<14>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] `)

// syslogSocket listens on a unix datagram socket standing in for /dev/log and returns its
// path and a function that reads the next n messages (headers checked and removed).
func syslogSocket(t *testing.T) (string, func(n int) []string) {
	path := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return path, func(n int) []string {
		t.Helper()
		var out []string
		buf := make([]byte, 65536)
		for len(out) < n {
			conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			k, err := conn.Read(buf)
			require.NoError(t, err, "after %q", out)
			msg := buf[:k]
			loc := syslogStamp.FindIndex(msg)
			require.NotNil(t, loc, "header of %q", msg)
			out = append(out, string(msg[loc[1]:]))
		}
		return out
	}
}

func TestRealSyslogOutput(t *testing.T) {
	path, read := syslogSocket(t)
	h := newRealOpts(t, Options{SyslogPath: path})
	p := helperProg(t, "talker", "print", "2")
	p.StartSecs = -1
	p.AutoRestart = RestartNever
	p.Stdout.Syslog = true
	p.Stderr.Syslog = true
	p.Stderr.Path = LogNone // syslog without a log file, as stderr_logfile=NONE + stderr_syslog
	h.add(p)
	got := read(3)
	// One message per line, "<name> <line>", tagged as supervisord's: the two streams arrive
	// through separate pipes, so only each stream's own order is fixed.
	assert.ElementsMatch(t, []string{"supervisord: talker out 0", "supervisord: talker out 1", "supervisord: talker err 2"}, got)
	assert.Less(t, position(got, "supervisord: talker out 0"), position(got, "supervisord: talker out 1"))
}

func position(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestSyslogSenderLines(t *testing.T) {
	path, read := syslogSocket(t)
	s := &syslogSender{path: path, tag: "supervisord", clock: realClock{}}
	defer s.close()
	s.send("app", []byte("one\n\nthree\n\n"))
	s.send("app", []byte("partial"))
	s.send("app", []byte("a\r\nb"))
	// supervisord: message.rstrip('\n').split('\n'), each line "%(name)s %(message)s"
	assert.Equal(t, []string{"supervisord: app one", "supervisord: app ", "supervisord: app three",
		"supervisord: app partial", "supervisord: app a\r", "supervisord: app b"}, read(6))

	w := &SyslogWriter{Path: path, Tag: "custom"}
	defer w.Close()
	n, err := w.Write([]byte("2026-11-25 23:23:54,305 DEBG 'x' stdout output:\nhello\n"))
	require.NoError(t, err)
	assert.Equal(t, 54, n)
	// supervisord's main log through syslog: every line of a record gets the record's time
	// and level and the format's trailing newline.
	assert.Equal(t, []string{"custom: 2026-11-25 23:23:54,305 DEBG 'x' stdout output:\n",
		"custom: 2026-11-25 23:23:54,305 DEBG hello\n"}, read(2))
}

func TestSyslogSenderStreamAndMissing(t *testing.T) {
	dir := t.TempDir()
	// No socket at all: messages are dropped, nothing blocks or fails.
	missing := &syslogSender{path: filepath.Join(dir, "none"), tag: "t", clock: realClock{}}
	missing.send("x", []byte("lost\n"))
	missing.close()

	// A stream socket (some syslog daemons): glibc's fallback, each message NUL-terminated.
	path := filepath.Join(dir, "stream")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		var all []byte
		for i := 0; i < 2; i++ {
			b, err := r.ReadBytes(0)
			if err != nil {
				break
			}
			all = append(all, b...)
		}
		got <- all
	}()
	s := &syslogSender{path: path, tag: "supervisord", clock: realClock{}}
	s.send("app", []byte("x\ny\n"))
	s.close()
	all := <-got
	parts := bytes.Split(bytes.TrimSuffix(all, []byte{0}), []byte{0})
	require.Len(t, parts, 2, "%q", all)
	for i, want := range []string{"supervisord: app x", "supervisord: app y"} {
		loc := syslogStamp.FindIndex(parts[i])
		require.NotNil(t, loc, "%q", parts[i])
		assert.Equal(t, want, string(parts[i][loc[1]:]))
	}
}
