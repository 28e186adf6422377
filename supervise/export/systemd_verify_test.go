package export

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestSystemdAnalyzeVerify has systemd itself check the exported units: every service (each
// instance of a template, with its drop-in) and every target, for the configs whose commands
// exist on a Debian machine. systemd-analyze prints problems it "ignores" (a bad value) on
// stderr with exit status 0, so any stderr line fails the test too, except systemd's remark
// about User=nobody.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	for _, name := range []string{"realpaths", "lite_options", "03_group_web_worker", "05_env_quotes_commas", "08_eventlistener"} {
		for _, journald := range []bool{false, true} {
			cfg, _ := loadCase(t, name)
			files, _, err := Systemd(cfg, SystemdOptions{Journald: journald})
			require.NoError(t, err)
			dir := t.TempDir()
			require.NoError(t, writeFiles(dir, files))
			var units []string
			for _, f := range files {
				switch {
				case strings.HasSuffix(f.Name, "@.service"):
					// instances are verified through the targets' Wants= and the drop-ins
				case strings.HasSuffix(f.Name, ".service.d/process.conf"):
					units = append(units, strings.TrimSuffix(f.Name, ".d/process.conf"))
				default:
					units = append(units, f.Name)
				}
			}
			for _, u := range units {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				cmd := exec.CommandContext(ctx, analyze, "verify", u)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":", "SYSTEMD_LOG_COLOR=0")
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stderr, &stderr
				err := cmd.Run()
				cancel()
				assert.NoError(t, err, "%s (journald=%v): systemd-analyze verify %s:\n%s", name, journald, u, stderr.String())
				for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
					if line == "" || strings.Contains(line, "Special user nobody configured") {
						continue
					}
					assert.Fail(t, "systemd-analyze complained", "%s (journald=%v) %s: %s\nunit:\n%s", name, journald, u, line,
						readUnit(dir, u))
				}
			}
		}
	}
}

func readUnit(dir, unit string) string {
	b, _ := os.ReadFile(filepath.Join(dir, unit))
	return string(b)
}
