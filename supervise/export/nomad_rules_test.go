package export

import (
	"encoding/json"
	"path/filepath"
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
// one log file of at least 1 MB, an absolute command, a non-negative count and kill_timeout.
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
			}
		})
	}
}
