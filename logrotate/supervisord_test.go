package logrotate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// childScript writes chunks of the sizes given in argv, one write(2) each. It waits for
// supervisord to have created the log file, and after each write until supervisord has logged it,
// so that supervisord reads every write separately whatever the machine's load; then it creates
// the done file and sleeps. "Logged" is: the directory changed and the files, oldest first, end
// with everything written so far (or are a suffix of it once old backups were dropped). A change
// alone is not enough: the renames of the previous write's rotation can come after the write was
// read, and a child that took them for its own write was read together with its next one.
const childScript = `import os, sys, time
done, logdir = sys.argv[1], sys.argv[2]
def snap():
    # supervisord may rename a file between the listing and its stat: list again.
    while True:
        try:
            out = []
            for name in sorted(os.listdir(logdir)):
                st = os.stat(os.path.join(logdir, name))
                out.append((name, st.st_size, st.st_ino, st.st_mtime_ns))
            return out
        except FileNotFoundError:
            continue
# supervisord creates the log file around the time it forks us: a change caused by that must not
# count as our first write being logged.
deadline = time.time() + 10
while not os.path.exists(os.path.join(logdir, "out.log")) and time.time() < deadline:
    time.sleep(0.005)
def order(name):
    # out.log.N (oldest) first, out.log last.
    tail = name[len("out.log."):] if name.startswith("out.log.") else ""
    return -int(tail) if tail.isdigit() else 0
def logged(written):
    while True:
        try:
            names = sorted((n for n in os.listdir(logdir) if n.startswith("out.log")), key=order)
            got = b"".join(open(os.path.join(logdir, n), "rb").read() for n in names)
            break
        except FileNotFoundError:
            continue
    if not got:
        return True  # rotated with no backups: the file was emptied after the write
    return got.endswith(written) or written.endswith(got)
written = b""
for i, n in enumerate(sys.argv[3:]):
    n = int(n)
    head = ("chunk%02d-" % (i + 1)).encode()
    data = (head + b"x" * n)[:max(n - 1, 0)] + b"\n" if n > 0 else b""
    before = snap()
    os.write(1, data)
    written += data
    deadline = time.time() + 10
    while (snap() == before or not logged(written)) and time.time() < deadline:
        time.sleep(0.005)
open(done, "w").close()
time.sleep(1000)
`

// rotationCase is one program run under the real supervisord and through our Writer.
type rotationCase struct {
	name     string
	maxBytes string // supervisord's syntax
	max      int64
	backups  int
	writes   []int
	pre      map[string]int // files present before the first write, name -> size
}

var supervisordCases = []rotationCase{
	{"probel", "1KB", 1024, 2, []int{300, 300, 300, 300, 300, 300, 300, 300, 300, 300}, nil},
	{"probek", "1KB", 1024, 2, []int{5271}, nil},
	{"nobackups", "1KB", 1024, 0, []int{300, 300, 300, 300, 300}, nil},
	{"norotate", "0", 0, 2, []int{300, 300, 300, 300, 300}, nil},
	{"boundary", "1000", 1000, 3, []int{999, 1, 1, 500, 499, 2000, 1, 1000, 3}, nil},
	{"onebackup", "1KB", 1024, 1, []int{250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250}, nil},
	{"dropoldest", "700", 700, 2, []int{400, 400, 400, 400, 400, 400, 400, 400}, nil},
	// Existing files, with a gap in the backup numbers: supervisord appends to the current file and
	// leaves the stale .3 where it is.
	{"gap", "1KB", 1024, 3, []int{1000, 300}, map[string]int{"out.log": 100, "out.log.1": 50, "out.log.3": 70}},
}

// chunkOf is what the child writes as its write number i (from 0) of n bytes.
func chunkOf(i, n int) string {
	return (fmt.Sprintf("chunk%02d-", i+1) + strings.Repeat("x", n))[:n-1] + "\n"
}

// writePre creates c's pre-existing files in dir, each filled with its own letter.
func writePre(t *testing.T, dir string, c rotationCase) {
	t.Helper()
	for name, n := range c.pre {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte{name[len(name)-1]}, n), 0o644))
	}
}

// The real supervisord 4.2.5 and our Writer, given the same writes, leave the same files with the
// same bytes.
func TestDifferentialAgainstSupervisord(t *testing.T) {
	testenv.Short(t)
	sv := testenv.LookPath(t, "supervisord", "supervisor")
	python := "/usr/bin/python3"
	testenv.RequireFile(t, python, "Debian package python3")
	dir := t.TempDir()
	script := filepath.Join(dir, "child.py")
	require.NoError(t, os.WriteFile(script, []byte(childScript), 0o644))

	var conf strings.Builder
	fmt.Fprintf(&conf, `[unix_http_server]
file=%[1]s/sv.sock

[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
identifier=lrtest

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`, dir)
	for _, c := range supervisordCases {
		require.NoError(t, os.Mkdir(filepath.Join(dir, c.name), 0o755))
		writePre(t, filepath.Join(dir, c.name), c)
		sizes := make([]string, len(c.writes))
		for i, n := range c.writes {
			sizes[i] = strconv.Itoa(n)
		}
		fmt.Fprintf(&conf, `
[program:%[1]s]
command=%[2]s -u %[3]s %[4]s/%[1]s.done %[4]s/%[1]s %[5]s
startsecs=0
autorestart=false
stdout_logfile=%[4]s/%[1]s/out.log
stdout_logfile_maxbytes=%[6]s
stdout_logfile_backups=%[7]d
stderr_logfile=%[4]s/%[1]s.err
`, c.name, python, script, dir, strings.Join(sizes, " "), c.maxBytes, c.backups)
	}
	confPath := filepath.Join(dir, "supervisord.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf.String()), 0o644))

	// Follow the probe-l log while supervisord writes and rotates it.
	followed, stopFollow := startFollow(t, filepath.Join(dir, "probel", "out.log"), 0)

	cmd := exec.Command(sv, "-c", confPath)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			t.Error("supervisord did not exit within 30 s of SIGTERM")
		}
	}
	defer stop()

	// Wait until every child has written everything and supervisord has logged it: the done
	// files exist and the log directories stop changing.
	deadline := time.Now().Add(60 * time.Second)
	snapshot := func() string {
		var b strings.Builder
		for _, c := range supervisordCases {
			if _, err := os.Stat(filepath.Join(dir, c.name+".done")); err != nil {
				return ""
			}
			fmt.Fprint(&b, fileSizes(t, filepath.Join(dir, c.name)))
		}
		return b.String()
	}
	prev, stable := "", 0
	for stable < 5 {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "supervisord.log"))
			var errs strings.Builder
			for _, c := range supervisordCases {
				b, _ := os.ReadFile(filepath.Join(dir, c.name+".err"))
				if len(b) > 0 {
					fmt.Fprintf(&errs, "%s's stderr:\n%s\n", c.name, b)
				}
			}
			t.Fatalf("children did not finish; supervisord.log:\n%s\n%s", log, errs.String())
		}
		time.Sleep(100 * time.Millisecond)
		s := snapshot()
		if s != "" && s == prev {
			stable++
		} else {
			stable = 0
		}
		prev = s
	}
	stop()

	// Follow saw every byte supervisord wrote to probe l's log once, across its rotations.
	var probeL strings.Builder
	for i, n := range supervisordCases[0].writes {
		probeL.WriteString(chunkOf(i, n))
	}
	testenv.WaitFor(t, "follower to catch up", func() bool { return len(followed.String()) >= probeL.Len() })
	require.NoError(t, stopFollow())
	assert.Equal(t, probeL.String(), followed.String(), "Follow across supervisord's rotations")

	for _, c := range supervisordCases {
		t.Run(c.name, func(t *testing.T) {
			ours := t.TempDir()
			writePre(t, ours, c)
			w := &Writer{Filename: filepath.Join(ours, "out.log"), MaxBytes: c.max, Backups: c.backups}
			for i, n := range c.writes {
				_, _ = w.Write([]byte(chunkOf(i, n)))
			}
			require.NoError(t, w.Close())
			theirsDir := filepath.Join(dir, c.name)
			want := fileSizes(t, theirsDir)
			require.NotEmpty(t, want)
			assert.Equal(t, want, fileSizes(t, ours))
			for name := range want {
				a, err := os.ReadFile(filepath.Join(theirsDir, name))
				require.NoError(t, err)
				b, err := os.ReadFile(filepath.Join(ours, name))
				if assert.NoError(t, err) {
					assert.True(t, string(a) == string(b), "%s: contents differ", name)
				}
			}
		})
	}
}
