package difftest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// whoami prints what a child runs as: ids, supplementary groups, capabilities and the
// environment user= sets, then "end".
const whoami = `/bin/sh -c 'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb):" /proc/self/status; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME"; echo end'`

// daemonGroups are supplementary groups the supervisor itself runs with in the test, which
// its children must not keep (adm and dialout: any groups other than the user's would do).
var daemonGroups = []uint32{4, 20}

// engineUserEnv, when set, makes the test binary (see TestMain) run whoami under supervise
// with User=$DIFFTEST_ENGINE_USER, its stdout to $DIFFTEST_ENGINE_OUT, and exit.
const engineUserEnv, engineOutEnv = "DIFFTEST_ENGINE_USER", "DIFFTEST_ENGINE_OUT"

// runEngineAs runs whoami under supervise with User=name until it has written "end" to out.
func runEngineAs(name, out string) error {
	sv := supervise.New(supervise.Options{ChildLogDir: filepath.Dir(out), Identifier: "priv"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	err := sv.Add(ctx, supervise.Group{Name: "who", Programs: []supervise.Program{{Name: "who", CommandLine: whoami,
		User: name, StartRetries: -1, AutoRestart: supervise.RestartNever, Stdout: supervise.Log{Path: out}}}})
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(out); strings.Contains(string(b), "end\n") {
			return nil
		}
	}
	return fmt.Errorf("no output from the child in %s", out)
}

// privUser is a user to switch to: one with a supplementary group when /etc/group names one
// (so that the test sees those groups set), else nobody.
func privUser(t *testing.T) *user.User {
	f, err := os.Open("/etc/group")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || fields[3] == "" {
			continue
		}
		for _, m := range strings.Split(fields[3], ",") {
			if u, err := user.Lookup(m); err == nil && u.Uid != "0" {
				return u
			}
		}
	}
	u, err := user.Lookup("nobody")
	require.NoError(t, err)
	return u
}

// user= switches uid, gid and the supplementary groups to exactly the user's (none of the
// supervisor's own stay) and leaves no capability, as Debian's supervisord does: both
// supervisors run as root with extra supplementary groups and print what their child runs as.
func TestUserDropsPrivilegesLikeSupervisord(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root (user= needs it)")
	}
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	u := privUser(t)
	asDaemon := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: daemonGroups}}

	// Debian's supervisord.
	dir := t.TempDir()
	sup, _ := testenv.Supervisord(t, bin, fmt.Sprintf(`[supervisord]
nodaemon=true
user=root
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s

[program:who]
command=%[2]s
user=%[3]s
startsecs=0
autorestart=false
stdout_logfile=%[1]s/who.out
`, dir, whoami, u.Username), asDaemon)
	var theirs string
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "who.out"))
		theirs = string(b)
		return strings.Contains(theirs, "end\n")
	}, 30*time.Second, 50*time.Millisecond)
	require.NoError(t, sup.Process.Signal(syscall.SIGTERM))

	// supervise, in this test binary run as a child with the same groups.
	exe, err := os.Executable()
	require.NoError(t, err)
	outPath := filepath.Join(t.TempDir(), "who.out")
	eng := exec.Command(exe)
	eng.Env = append(os.Environ(), engineUserEnv+"="+u.Username, engineOutEnv+"="+outPath)
	eng.SysProcAttr = asDaemon
	out, err := eng.CombinedOutput()
	require.NoError(t, err, "%s", out)
	b, err := os.ReadFile(outPath)
	require.NoError(t, err)
	ours := string(b)

	// The ids, groups and capabilities are supervisord's exactly; the environment differs on
	// purpose (Program.User: supervise also sets HOME, USER and LOGNAME, which supervisord
	// 4.2.5 leaves as the daemon's).
	ids := func(s string) string { return s[:strings.Index(s, "HOME=")] }
	assert.Equal(t, ids(theirs), ids(ours))
	fields := map[string]string{}
	for _, l := range strings.Split(ours, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	gid := u.Gid
	assert.Equal(t, strings.Repeat(u.Uid+" ", 3)+u.Uid, fields["Uid"], "real, effective, saved and fs uid")
	assert.Equal(t, strings.Repeat(gid+" ", 3)+gid, fields["Gid"])
	want, err := u.GroupIds()
	require.NoError(t, err)
	got := strings.Fields(fields["Groups"])
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got, "supplementary groups are exactly the user's")
	for _, g := range daemonGroups {
		assert.NotContains(t, got, fmt.Sprint(g), "a group of the supervisor stayed")
	}
	for _, c := range []string{"CapPrm", "CapEff", "CapAmb"} {
		assert.Equal(t, "0000000000000000", fields[c], c)
	}
	assert.Contains(t, ours, "USER="+u.Username+" LOGNAME="+u.Username)
}
