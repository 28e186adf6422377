package export

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNomadJobRules checks every exported job against the rules Nomad's server applies when
// a job is registered (job specification: restart, logs, ephemeral_disk; raw_exec driver):
// restart mode "fail" or "delay", 0 attempts only with "fail", an interval of at least 5 s
// that holds attempts*delay, log storage below the group's disk (300 MB by default), at least
// one log file of at least 1 MB, an absolute command, a non-negative count and kill_timeout;
// services of the Nomad provider with http or tcp checks only (service, check, check_restart),
// at least 10 MB of memory, env templates with data or source and change_mode restart.
func TestNomadJobRules(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			cfg, _ := loadCase(t, name)
			data, _, err := Nomad(cfg, NomadOptions{})
			require.NoError(t, err)
			var doc struct{ Job *api.Job }
			require.NoError(t, json.Unmarshal(data, &doc))
			job := doc.Job
			require.NotNil(t, job)
			assert.Equal(t, "service", *job.Type)
			require.NotEmpty(t, job.TaskGroups)
			seen := map[string]bool{}
			for _, tg := range job.TaskGroups {
				assert.False(t, seen[*tg.Name], "group names are unique: %s", *tg.Name)
				seen[*tg.Name] = true
				assert.GreaterOrEqual(t, *tg.Count, 0)
				disk := 300
				if tg.EphemeralDisk != nil {
					disk = *tg.EphemeralDisk.SizeMB
				}
				require.Len(t, tg.Tasks, 1)
				task := tg.Tasks[0]
				assert.Equal(t, "raw_exec", task.Driver)
				cmd, _ := task.Config["command"].(string)
				assert.True(t, filepath.IsAbs(cmd), "%s: command %q is absolute", *tg.Name, cmd)
				rp := task.RestartPolicy
				require.NotNil(t, rp)
				assert.Contains(t, []string{"fail", "delay"}, *rp.Mode)
				if *rp.Attempts == 0 {
					assert.Equal(t, "fail", *rp.Mode, "%s: 0 attempts only with mode fail", *tg.Name)
				}
				assert.GreaterOrEqual(t, *rp.Interval, 5*time.Second, *tg.Name)
				assert.LessOrEqual(t, time.Duration(*rp.Attempts)**rp.Delay, *rp.Interval, *tg.Name)
				require.NotNil(t, task.LogConfig)
				assert.GreaterOrEqual(t, *task.LogConfig.MaxFiles, 1)
				assert.GreaterOrEqual(t, *task.LogConfig.MaxFileSizeMB, 1)
				assert.Less(t, *task.LogConfig.MaxFiles**task.LogConfig.MaxFileSizeMB, disk, "%s: log storage fits the disk", *tg.Name)
				assert.GreaterOrEqual(t, *task.KillTimeout, time.Duration(0))
				checkNomadServices(t, *tg.Name, task)
				if r := task.Resources; r != nil && r.MemoryMB != nil {
					assert.GreaterOrEqual(t, *r.MemoryMB, 10, "%s: Nomad's least task memory", *tg.Name)
				}
				for _, tmpl := range task.Templates {
					assert.True(t, (tmpl.EmbeddedTmpl == nil) != (tmpl.SourcePath == nil), "%s: a template has data or source, not both", *tg.Name)
					require.NotNil(t, tmpl.DestPath)
					assert.False(t, filepath.IsAbs(*tmpl.DestPath), "%s: destination is relative to the task directory", *tg.Name)
					if tmpl.Envvars != nil && *tmpl.Envvars {
						assert.Equal(t, "restart", *tmpl.ChangeMode, "%s: env templates update the environment only with change_mode restart", *tg.Name)
					}
				}
			}
		})
	}
}

// serviceName is what Nomad accepts as a service name (RFC 1123 §2.1, shorter than 64).
var serviceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkNomadServices checks the task's services against Nomad's rules for provider "nomad":
// a valid name, a custom address with a numeric port (there is no network block to name a
// port label), http or tcp checks (no script) with an interval and timeout of at least 1 s,
// a path for http, and a check_restart limit of at least 1.
func checkNomadServices(t *testing.T, group string, task *api.Task) {
	t.Helper()
	for _, svc := range task.Services {
		assert.Equal(t, "nomad", svc.Provider, group)
		assert.Regexp(t, serviceName, svc.Name, group)
		assert.NotEmpty(t, svc.Address, "%s: the check's address", group)
		port, err := strconv.Atoi(svc.PortLabel)
		assert.NoError(t, err, "%s: a numeric port with a custom address", group)
		assert.True(t, port > 0 && port < 65536, "%s: port %d", group, port)
		require.NotEmpty(t, svc.Checks, group)
		for _, c := range svc.Checks {
			assert.Contains(t, []string{"http", "tcp"}, c.Type, "%s: the Nomad provider runs http and tcp checks only", group)
			assert.GreaterOrEqual(t, c.Interval, time.Second, group)
			assert.GreaterOrEqual(t, c.Timeout, time.Second, group)
			assert.False(t, c.TLSSkipVerify, "%s: tls_skip_verify is Consul's only", group)
			if c.Type == "http" {
				assert.True(t, strings.HasPrefix(c.Path, "/"), "%s: an http check has a path", group)
				assert.Contains(t, []string{"", "http", "https"}, c.Protocol, group)
			}
			if c.CheckRestart != nil {
				assert.GreaterOrEqual(t, c.CheckRestart.Limit, 1, group)
				require.NotNil(t, c.CheckRestart.Grace)
				assert.GreaterOrEqual(t, *c.CheckRestart.Grace, time.Duration(0), group)
			}
		}
	}
}
