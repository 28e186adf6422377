package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// liteOptionNames are supervisord-lite's own options of a [program:x] section (none is in
// supervisord): conf's check options, depends_on, environment_file and the time-based log
// options of both streams.
func liteOptionNames() []string {
	names := append([]string{"depends_on", "environment_file"}, conf.CheckKeys...)
	for _, stream := range []string{"stdout", "stderr"} {
		for _, o := range []string{"rotate", "compress", "maxage", "timestamps"} {
			names = append(names, stream+"_logfile_"+o)
		}
	}
	return names
}

// switchedOn reports whether a written value turns its option on (not empty, false, never, 0).
func switchedOn(raw string) bool {
	v := strings.TrimSpace(raw)
	return v != "" && !isFalse(v) && !strings.EqualFold(v, "never")
}

// writtenLiteOptions are the lite options written in each program section of cfg, with the
// raw value, by section.
func writtenLiteOptions(t *testing.T, cfg *conf.Config) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, sec := range cfg.INI.Sections() {
		if !strings.HasPrefix(sec.Name, "program:") {
			continue
		}
		out[sec.Name] = map[string]string{}
		for _, o := range liteOptionNames() {
			if v, ok := sec.Get(o); ok {
				out[sec.Name][o] = v.Raw
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

func warned(ws []Warning, section, option string) bool {
	for _, w := range ws {
		if w.Section == section && w.Option == option {
			return true
		}
	}
	return false
}

// mustBeMapped reports whether an option written as raw must be found in the export: not when
// it is switched off (then there must be no warning about it either) or warned about. It counts
// the options switched on in checked.
func mustBeMapped(t *testing.T, warns []Warning, section, option, raw string, checked *int) bool {
	t.Helper()
	if !switchedOn(raw) {
		assert.False(t, warned(warns, section, option), "[%s] %s=%s is off: no warning", section, option, raw)
		return false
	}
	*checked++
	return !warned(warns, section, option)
}

// TestLiteOptionsSystemd: every supervisord-lite option written in testdata/lite_options is
// either in the program's units (with the value written) or a warning naming its section and
// option; one switched off is neither.
func TestLiteOptionsSystemd(t *testing.T) {
	cfg, _ := loadCase(t, "lite_options")
	written := writtenLiteOptions(t, cfg)
	files, warns, err := Systemd(cfg, SystemdOptions{})
	require.NoError(t, err)
	// The directive an option maps to and the value it must have there.
	directive := map[string]func(raw string) string{
		"ready":            func(string) string { return "Type=notify" },
		"ready_timeout":    func(raw string) string { return "TimeoutStartSec=" + raw },
		"watchdog_secs":    func(raw string) string { return "WatchdogSec=" + raw },
		"memory_limit":     func(raw string) string { return "MemoryMax=" + byteSize(t, raw) },
		"depends_on":       func(string) string { return "Requires=" },
		"environment_file": func(string) string { return "EnvironmentFile=" },
	}
	checked := 0
	for section, opts := range written {
		var units strings.Builder
		for _, f := range files {
			if strings.Contains(string(f.Data), "["+section+"]") && strings.HasSuffix(f.Name, ".service") {
				units.Write(f.Data)
			}
		}
		require.NotEmpty(t, units.String(), "units of [%s]", section)
		for option, raw := range opts {
			if !mustBeMapped(t, warns, section, option, raw, &checked) || logAccepted(units.String(), option) {
				continue
			}
			d, ok := directive[option]
			if !assert.True(t, ok, "[%s] %s=%s is neither mapped nor warned about", section, option, raw) {
				continue
			}
			want := d(raw)
			if option == "ready" && raw != "notify" {
				want = "Type=simple"
			}
			assert.Contains(t, units.String(), "\n"+want, "[%s] %s=%s", section, option, raw)
		}
	}
	assert.Greater(t, checked, 20, "the case writes most options")
}

// TestLiteOptionsNomad: as TestLiteOptionsSystemd, for the Nomad job: a mapped option is in the
// tasks of its section's groups with the value written.
func TestLiteOptionsNomad(t *testing.T) {
	cfg, _ := loadCase(t, "lite_options")
	written := writtenLiteOptions(t, cfg)
	data, warns, err := Nomad(cfg, NomadOptions{})
	require.NoError(t, err)
	var doc struct{ Job *api.Job }
	require.NoError(t, json.Unmarshal(data, &doc))
	tasks := map[string][]*api.Task{}
	for _, tg := range doc.Job.TaskGroups {
		tasks[tg.Meta["supervisord_section"]] = append(tasks[tg.Meta["supervisord_section"]], tg.Tasks...)
	}
	check := func(task *api.Task) *api.ServiceCheck {
		if len(task.Services) != 1 || len(task.Services[0].Checks) != 1 {
			return nil
		}
		return &task.Services[0].Checks[0]
	}
	seconds := func(raw string) time.Duration {
		n, err := strconv.Atoi(raw)
		require.NoError(t, err)
		return time.Duration(n) * time.Second
	}
	// Whether a task carries the option with the value written.
	mapped := map[string]func(task *api.Task, raw string) bool{
		"healthcheck_url": func(task *api.Task, raw string) bool { return check(task) != nil },
		"healthcheck_interval": func(task *api.Task, raw string) bool {
			return check(task) != nil && check(task).Interval == seconds(raw)
		},
		"healthcheck_timeout": func(task *api.Task, raw string) bool {
			return check(task) != nil && check(task).Timeout == seconds(raw)
		},
		"healthcheck_retries": func(task *api.Task, raw string) bool {
			return check(task) != nil && strconv.Itoa(check(task).CheckRestart.Limit) == raw
		},
		"memory_limit": func(task *api.Task, raw string) bool {
			n, err := strconv.ParseInt(byteSize(t, raw), 10, 64)
			require.NoError(t, err)
			return task.Resources != nil && int64(*task.Resources.MemoryMB) == (n+1<<20-1)>>20
		},
		"environment_file": func(task *api.Task, raw string) bool {
			// the path as expanded: %(here)s is the config's directory
			return len(task.Templates) == 1 && strings.HasSuffix(*task.Templates[0].EmbeddedTmpl, strings.TrimPrefix(raw, "%(here)s")+`" }}`)
		},
	}
	checked := 0
	for section, opts := range written {
		require.NotEmpty(t, tasks[section], "tasks of [%s]", section)
		for option, raw := range opts {
			if !mustBeMapped(t, warns, section, option, raw, &checked) {
				continue
			}
			m, ok := mapped[option]
			if !assert.True(t, ok, "[%s] %s=%s is neither mapped nor warned about", section, option, raw) {
				continue
			}
			for _, task := range tasks[section] {
				assert.True(t, m(task, raw), "[%s] %s=%s in task %s", section, option, raw, task.Name)
			}
		}
	}
	assert.Greater(t, checked, 20, "the case writes most options")
}

// logAccepted reports whether a unit takes a time-based log option as it is without a word:
// its stream goes nowhere (null), or to the journal, which stamps each line with its time and
// compresses by itself.
func logAccepted(unit, option string) bool {
	key := map[string]string{"stdout": "StandardOutput=", "stderr": "StandardError="}[strings.SplitN(option, "_", 2)[0]]
	if key == "" || !strings.Contains(option, "_logfile_") {
		return false
	}
	if strings.Contains(unit, "\n"+key+"null\n") {
		return true
	}
	stampsOrCompress := strings.HasSuffix(option, "_timestamps") || strings.HasSuffix(option, "_compress")
	return stampsOrCompress && strings.Contains(unit, "\n"+key+"journal\n")
}

// byteSize is a size as supervisord writes it (512MB) in bytes, as a decimal string.
func byteSize(t *testing.T, raw string) string {
	t.Helper()
	n, err := conf.ParseByteSize(raw)
	require.NoError(t, err)
	return fmt.Sprint(n)
}

// TestSystemdDependsOn: depends_on names a group (all of its units: a template's instances) or
// group:process (one unit); it wins over priority where they disagree (no ordering cycle); a
// name that is not exported ([fcgi-program:php]) and one whose unit systemd would start
// although it has autostart=false are warned about, at the option's line.
func TestSystemdDependsOn(t *testing.T) {
	cfg, _ := loadCase(t, "lite_options")
	files, warns, err := Systemd(cfg, SystemdOptions{Prefix: "app-"})
	require.NoError(t, err)
	units := map[string]string{}
	for _, f := range files {
		units[f.Name] = string(f.Data)
	}
	assert.Contains(t, units["app-worker.service"], "\nRequires=app-api@0.service app-db.service app-plain.service\n")
	// after what it depends on, then after the previous priority step (api, priority=100)
	assert.Contains(t, units["app-worker.service"], "\nAfter=app-api@0.service app-db.service app-plain.service app-api@1.service\n")
	assert.Contains(t, units["app-api@.service"], "\nRequires=app-db.service\nAfter=app-db.service\n")
	// db comes after api by priority, but api depends on db: depends_on wins, no cycle
	assert.NotContains(t, units["app-db.service"], "Requires=")
	assert.NotContains(t, units["app-db.service"], "After=")
	line := 0
	for _, sec := range cfg.INI.Sections() {
		if v, ok := sec.Get("depends_on"); ok && sec.Name == "program:worker" {
			line = v.Line
		}
	}
	require.NotZero(t, line)
	var msgs []string
	for _, w := range warns {
		if w.Section == "program:worker" && w.Option == "depends_on" {
			assert.Equal(t, line, w.Line)
			msgs = append(msgs, w.Msg)
		}
	}
	require.Len(t, msgs, 2, "%q", msgs)
	assert.Contains(t, msgs[0]+msgs[1], "names php, which is not exported")
	assert.Contains(t, msgs[0]+msgs[1], "names plain, whose app-plain.service has autostart=false")
}

// TestOrderAfterAcyclic: the start order of the units (After=) holds every depends_on and
// has no cycle, for every case and for priorities that disagree with depends_on across a
// chain (a, priority 1, depends on c, priority 3; b, priority 2, comes between).
func TestOrderAfterAcyclic(t *testing.T) {
	chain := filepath.Join(t.TempDir(), "supervisord.conf")
	require.NoError(t, os.WriteFile(chain, []byte(`[supervisord]
logfile=/dev/null
[program:a]
command=/bin/sleep 1
priority=1
depends_on=c
[program:b]
command=/bin/sleep 1
priority=2
[program:c]
command=/bin/sleep 1
priority=3
`), 0o644))
	cfgs := map[string]*conf.Config{}
	for _, name := range cases(t) {
		cfgs[name], _ = loadCase(t, name)
	}
	var err error
	cfgs["chain"], err = conf.Load(chain, conf.Options{Environ: []string{}})
	require.NoError(t, err)
	for name, cfg := range cfgs {
		m, err := load(cfg, nil)
		require.NoError(t, err, name)
		units := unitNames(m.programs, "")
		requires := m.dependencyUnits(units)
		after := orderAfter(m.programs, units, priorityOrder(m.programs, units), requires)
		for u, deps := range requires {
			assert.Subset(t, after[u], deps, "%s: %s starts after what it depends on", name, u)
		}
		// a depth-first search finds no unit on its own path
		const (
			unseen = iota
			onPath
			done
		)
		state := map[string]int{}
		var visit func(u string) bool
		visit = func(u string) bool {
			state[u] = onPath
			for _, x := range after[u] {
				if state[x] == onPath || state[x] == unseen && !visit(x) {
					return false
				}
			}
			state[u] = done
			return true
		}
		for u := range after {
			if state[u] == unseen {
				assert.True(t, visit(u), "%s: an ordering cycle through %s: %v", name, u, after)
			}
		}
	}
	chainAfter := func(unit string) []string {
		m, err := load(cfgs["chain"], nil)
		require.NoError(t, err)
		units := unitNames(m.programs, "")
		return orderAfter(m.programs, units, priorityOrder(m.programs, units), m.dependencyUnits(units))[unit]
	}
	assert.Equal(t, []string{"c.service"}, chainAfter("a.service"))
	assert.Equal(t, []string{"a.service"}, chainAfter("b.service"), "priority kept where it agrees")
	assert.Empty(t, chainAfter("c.service"), "priority dropped where it would close a cycle")
}
