package systemd_test

import (
	"bufio"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func unitPath(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "supervisord-lite.service")
}

// parseUnit reads a unit file into section -> key -> values (a key may repeat).
func parseUnit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok, "line %d: not key=value: %q", n, line)
			require.NotEmpty(t, section, "line %d outside a section", n)
			out[section][strings.TrimSpace(k)] = append(out[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// TestUnitSettings checks the settings the daemon's stop and reload semantics depend on.
func TestUnitSettings(t *testing.T) {
	u := parseUnit(t, unitPath(t))
	svc := u["Service"]
	require.NotNil(t, svc)
	cases := []struct {
		section, key, want string
	}{
		{"Service", "Type", "simple"},
		{"Service", "ExecStart", "/usr/local/bin/supervisord-lite -n -c /etc/supervisord-lite.conf"},
		{"Service", "ExecReload", "/bin/kill -HUP $MAINPID"},
		{"Service", "KillMode", "mixed"},
		{"Service", "KillSignal", "SIGTERM"},
		{"Service", "Restart", "on-failure"},
		{"Install", "WantedBy", "multi-user.target"},
	}
	for _, tc := range cases {
		assert.Equal(t, []string{tc.want}, u[tc.section][tc.key], "[%s] %s", tc.section, tc.key)
	}
	assert.NotContains(t, svc, "PIDFile", "Type=simple needs no pidfile")
	assert.NotEmpty(t, u["Unit"]["Description"])
	assert.Contains(t, u["Unit"]["After"][0], "network-online.target")
}

// TestUnitVerifies runs systemd's own checker on the unit, with ExecStart pointed at a binary
// that exists here; any warning (an unknown key, a bad value) fails the test.
func TestUnitVerifies(t *testing.T) {
	sa := testenv.LookPath(t, "systemd-analyze", "systemd")
	b, err := os.ReadFile(unitPath(t))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(b), "/usr/local/bin/supervisord-lite", "/bin/sleep")
	dir := t.TempDir()
	p := filepath.Join(dir, "supervisord-lite.service")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	cmd := exec.Command(sa, "verify", p)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_LOG_LEVEL=warning"}
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)))

	// The checker does catch mistakes, so the empty output above means something.
	bad := strings.Replace(text, "\nKillMode=mixed\n", "\nKillMode=mixd\n", 1)
	require.NotEqual(t, text, bad)
	require.NoError(t, os.WriteFile(p, []byte(bad), 0o644))
	cmd = exec.Command(sa, "verify", p)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_LOG_LEVEL=warning"}
	out, _ = cmd.CombinedOutput()
	assert.Contains(t, string(out), "kill mode")
}
