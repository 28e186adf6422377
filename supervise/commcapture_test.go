package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Capture mode as supervisord's record_output: tokens split across chunks, output held back
// while it is no longer than the token looked for, the capture buffer bounded as BoundIO.
func TestCommCapture(t *testing.T) {
	sv := New(Options{})
	events, cancel := sv.Subscribe(100)
	defer cancel()
	c := &capture{sv: sv, group: "g", name: "p", channel: "stdout", events: true, comm: &commCapture{maxBytes: 10}}
	for _, chunk := range []string{"short\n", "and more text to log\n<!--XSUPER", "VISOR:BEGIN-->0123456789abcdef<!--XSUPERVISOR:END-->tail of it, long enough......"} {
		c.write([]byte(chunk), 42)
	}
	cancel()
	var got []string
	for e := range events {
		switch e.Kind {
		case EventLog:
			got = append(got, "log:"+string(e.Data))
		case EventComm:
			assert.Equal(t, 42, e.Pid)
			got = append(got, "comm:"+string(e.Data))
		}
	}
	assert.Equal(t, []string{
		"log:short\nand more text to log\n", // "short\n" alone was held: not longer than the token
		"log:0123456789abcdef",              // captured output is still a log event
		"comm:0123456789abcdef",             // BoundIO(10) drops len(write) bytes of what it held: none
		"log:tail of it, long enough......",
	}, got)
}

// PyBytesRepr is Python's repr of bytes, checked against python3.
func TestPyBytesRepr(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	inputs := []string{"READY\n", "RESULT 2\nOK", "it's", `say "hi"`, `both ' and "`, "tab\tcr\r\\ \x00\x7f\xff\xc3\xa9"}
	for _, in := range inputs {
		cmd := exec.Command(py, "-c", "import sys; sys.stdout.write(repr(sys.stdin.buffer.read()))")
		cmd.Stdin = strings.NewReader(in)
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, string(out), PyBytesRepr([]byte(in)), "%q", in)
	}
}

// The log files exist from the spawn on, empty, for a program that writes nothing.
func TestLogFilesExistFromSpawn(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "mute", "sleep")
	p.Stderr.Path = filepath.Join(h.dir, "mute.err")
	h.add(p)
	h.untilState("mute", Running)
	st := h.status("mute")
	for _, path := range []string{st.StdoutLogfile, st.StderrLogfile} {
		fi, err := os.Stat(path)
		require.NoError(t, err, path)
		assert.Zero(t, fi.Size(), path)
	}
	assert.Equal(t, p.Stderr.Path, st.StderrLogfile)
}
