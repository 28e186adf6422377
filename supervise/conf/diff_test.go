package conf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"os/exec"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

const diffBase = `[unix_http_server]
file=%(here)s/s.sock
[supervisord]
logfile=%(here)s/sd.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`

const diffPrograms = `[program:a]
command=/bin/sleep 100
autostart=false
environment=X=1,Y=2
stdout_logfile=%(here)s/a.log
[program:b]
command=/bin/sleep 200
autostart=false
numprocs=2
process_name=b_%(process_num)d
[program:c]
command=/bin/sleep 300
autostart=false
stdout_logfile=AUTO
[program:d]
command=/bin/sleep 400
autostart=false
[group:g]
programs=c,d
priority=5
`

// diffCases are edits of diffPrograms: each gives the next config.
var diffCases = []struct {
	name string
	edit func(string) string
}{
	{"same", func(s string) string { return s }},
	{"command", func(s string) string { return strings.Replace(s, "sleep 100", "sleep 101", 1) }},
	{"env order", func(s string) string { return strings.Replace(s, "X=1,Y=2", "Y=2,X=1", 1) }},
	{"env value", func(s string) string { return strings.Replace(s, "X=1,Y=2", "X=1,Y=3", 1) }},
	{"auto to file", func(s string) string {
		return strings.Replace(s, "stdout_logfile=AUTO", "stdout_logfile=%(here)s/c.log", 1)
	}},
	{"file to auto", func(s string) string {
		return strings.Replace(s, "stdout_logfile=%(here)s/a.log", "stdout_logfile=AUTO", 1)
	}},
	{"numprocs", func(s string) string { return strings.Replace(s, "numprocs=2", "numprocs=3", 1) }},
	{"group priority", func(s string) string { return strings.Replace(s, "priority=5", "priority=6", 1) }},
	{"group member", func(s string) string { return strings.Replace(s, "sleep 400", "sleep 401", 1) }},
	{"group order", func(s string) string { return strings.Replace(s, "programs=c,d", "programs=d,c", 1) }},
	{"removed and added", func(s string) string {
		return strings.Replace(s, "[program:a]", "[program:z]", 1)
	}},
	{"ungrouped", func(s string) string { return strings.Replace(s, "[group:g]\nprograms=c,d\npriority=5\n", "", 1) }},
	{"program priority", func(s string) string {
		return strings.Replace(s, "[program:a]\n", "[program:a]\npriority=1\n", 1)
	}},
	{"stopsignal spelling", func(s string) string {
		return strings.Replace(s, "[program:d]\n", "[program:d]\nstopsignal=term\n", 1)
	}},
	{"user", func(s string) string { return strings.Replace(s, "[program:a]\n", "[program:a]\nuser=root\n", 1) }},
}

func loadText(t *testing.T, dir, text string) *Config {
	t.Helper()
	path := filepath.Join(dir, "supervisord.conf")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	cfg, err := Load(path, Options{})
	require.NoError(t, err)
	return cfg
}

func TestDiff(t *testing.T) {
	want := map[string][3]string{
		"same":                {"", "", ""},
		"command":             {"", "a", ""},
		"env order":           {"", "", ""},
		"env value":           {"", "a", ""},
		"auto to file":        {"", "g", ""},
		"file to auto":        {"", "", ""},
		"numprocs":            {"", "b", ""},
		"group priority":      {"", "g", ""},
		"group member":        {"", "g", ""},
		"group order":         {"", "g", ""},
		"removed and added":   {"z", "", "a"},
		"ungrouped":           {"c d", "", "g"},
		"program priority":    {"", "a", ""},
		"stopsignal spelling": {"", "", ""},
		"user":                {"", "a", ""},
	}
	for _, tc := range diffCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			prev := loadText(t, dir, diffBase+diffPrograms)
			next := loadText(t, dir, diffBase+tc.edit(diffPrograms))
			added, changed, removed := Diff(prev, next)
			w := want[tc.name]
			assert.Equal(t, w[0], strings.Join(added, " "), "added")
			assert.Equal(t, w[1], strings.Join(changed, " "), "changed")
			assert.Equal(t, w[2], strings.Join(removed, " "), "removed")
		})
	}
	added, changed, removed := Diff(nil, loadText(t, t.TempDir(), diffBase+diffPrograms))
	assert.Equal(t, []string{"g", "a", "b"}, added)
	assert.Empty(t, changed)
	assert.Empty(t, removed)
}

// TestDiffDifferential starts the real supervisord on the base config, rewrites the file and
// compares supervisor.reloadConfig's [[added, changed, removed]] with Diff.
func TestDiffDifferential(t *testing.T) {
	testenv.Short(t)
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	t.Parallel()
	sem := svSem
	t.Run("cases", func(t *testing.T) {
		for _, tc := range diffCases {
			tc := tc
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				var once sync.Once
				release := func() { once.Do(func() { <-sem }) }
				defer release()
				dir := t.TempDir()
				prev := loadText(t, dir, diffBase+diffPrograms)
				path := filepath.Join(dir, "supervisord.conf")
				sock := filepath.Join(dir, "s.sock")

				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.Command(bin, "-n", "-c", path)
				cmd.Dir = dir
				require.NoError(t, cmd.Start())
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				defer func() {
					_ = cmd.Process.Signal(syscall.SIGTERM)
					select {
					case <-done:
					case <-time.After(15 * time.Second):
						_ = cmd.Process.Kill()
						<-done
					}
				}()
				for {
					if _, err := rpcCall(ctx, sock, "supervisor.getAllConfigInfo"); err == nil {
						break
					}
					select {
					case <-ctx.Done():
						t.Fatal("supervisord did not answer")
					case err := <-done:
						done <- err
						t.Fatalf("supervisord exited: %v", err)
					case <-time.After(20 * time.Millisecond):
					}
				}
				next := loadText(t, dir, diffBase+tc.edit(diffPrograms))
				res, err := rpcCall(ctx, sock, "supervisor.reloadConfig")
				require.NoError(t, err)
				release()
				outer, ok := res.([]any)
				require.True(t, ok && len(outer) == 1, "%v", res)
				lists, ok := outer[0].([]any)
				require.True(t, ok && len(lists) == 3, "%v", res)
				added, changed, removed := Diff(prev, next)
				for i, ours := range [][]string{added, changed, removed} {
					assert.Equal(t, fmt.Sprint(lists[i]), fmt.Sprint(anySlice(ours)), "list %d", i)
				}
			})
		}
	})
}

func anySlice(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	return out
}
