package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// NomadOptions configure Nomad. The zero value works.
type NomadOptions struct {
	// Expand resolves [gunicorn:x] and python_env first; nil = none. It changes the Config
	// in place, so give each export with an Expand a freshly loaded Config.
	Expand Expander
	// Job is the job's ID and name; default "supervisord".
	Job string
	// Datacenters the job may run in; default ["*"] (any).
	Datacenters []string
}

// DefaultNomadJob is the default NomadOptions.Job.
const DefaultNomadJob = "supervisord"

// nomadReasons are the program options a raw_exec task cannot express.
var nomadReasons = optionReasons{
	"priority":                "Nomad starts task groups in no particular order",
	"exitcodes":               "Nomad restarts a service task after every exit, whatever its status",
	"stdout_logfile":          "Nomad keeps task output in the allocation directory (nomad alloc logs)",
	"stderr_logfile":          "Nomad keeps task output in the allocation directory (nomad alloc logs)",
	"redirect_stderr":         "Nomad keeps stdout and stderr apart",
	"stdout_capture_maxbytes": "capture mode (PROCESS_COMMUNICATION events) has no Nomad equivalent",
	"stderr_capture_maxbytes": "capture mode (PROCESS_COMMUNICATION events) has no Nomad equivalent",
	"stdout_events_enabled":   "supervisor events have no Nomad equivalent",
	"stderr_events_enabled":   "supervisor events have no Nomad equivalent",
	"stdout_syslog":           "Nomad does not send task output to syslog",
	"stderr_syslog":           "Nomad does not send task output to syslog",
	"serverurl":               "there is no supervisor to reach (SUPERVISOR_SERVER_URL is not set)",
	"fatal_retry_secs":        "a failed task group is rescheduled by Nomad's reschedule policy instead",
}

// nomadGroupOptions are the boolean options whose false raw_exec cannot honour: it always
// stops and kills the task's whole process tree (its cgroup).
var nomadGroupOptions = []string{"stopasgroup", "killasgroup", "cleanup_group"}

// Nomad exports cfg as a Nomad job in the JSON of Nomad's HTTP API ({"Job": {...}}, as
// `nomad job run -output` prints and `nomad job run -json` reads): a service job with one
// task group per program and one raw_exec task per group. A program whose processes differ
// only in their names becomes one group with Count = numprocs; processes that differ in more
// (%(process_num)s in the command, say) become a group each. autostart=false gives Count 0
// (`nomad job scale` starts it). The warnings name every option Nomad cannot express.
func Nomad(cfg *conf.Config, opts NomadOptions) ([]byte, []Warning, error) {
	m, err := load(cfg, opts.Expand)
	if err != nil {
		return nil, nil, err
	}
	if opts.Job == "" {
		opts.Job = DefaultNomadJob
	}
	if len(opts.Datacenters) == 0 {
		opts.Datacenters = []string{"*"}
	}
	m.warnOptions(nomadReasons, "raw_exec tasks inherit the Nomad client's limits")
	job := api.NewServiceJob(opts.Job, opts.Job, "", 50)
	job.Region = nil
	job.Datacenters = opts.Datacenters
	job.Meta = map[string]string{"supervisord_conf": cfg.File}
	for _, p := range m.programs {
		tasks := make([]*api.Task, len(p.Procs))
		for i, proc := range p.Procs {
			if tasks[i], err = m.nomadTask(proc); err != nil {
				return nil, nil, err
			}
		}
		if p.Template() && sameTasks(tasks) {
			tasks[0].Name = p.Name
			job.AddTaskGroup(m.taskGroup(p.Name, p.Procs[0], len(p.Procs), tasks[0]))
			continue
		}
		for i, proc := range p.Procs {
			job.AddTaskGroup(m.taskGroup(proc.Name, proc, 1, tasks[i]))
		}
	}
	seen := map[string]bool{}
	for _, tg := range job.TaskGroups {
		if seen[*tg.Name] {
			return nil, nil, fmt.Errorf("%w: two task groups named %s (processes of one name in two groups)", ErrNameClash, *tg.Name)
		}
		seen[*tg.Name] = true
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct{ Job *api.Job }{job}); err != nil {
		return nil, nil, fmt.Errorf("export: encoding the Nomad job: %w", err)
	}
	return b.Bytes(), m.sortedWarnings(), nil
}

// taskGroup wraps one task into a group of count processes (0 when autostart=false).
func (m *model) taskGroup(name string, p conf.Process, count int, task *api.Task) *api.TaskGroup {
	if !p.AutoStart {
		count = 0
	}
	tg := api.NewTaskGroup(name, count)
	tg.Meta = map[string]string{"supervisord_group": p.Group, "supervisord_section": p.Section}
	tg.AddTask(task)
	if lc := task.LogConfig; lc != nil && *lc.MaxFiles**lc.MaxFileSizeMB >= nomadDefaultDiskMB {
		// the logs must fit in the allocation's disk: the next 100 MB above them
		tg.EphemeralDisk = &api.EphemeralDisk{SizeMB: ptr((*lc.MaxFiles**lc.MaxFileSizeMB/100 + 1) * 100)}
	}
	if p.AutoRestart == supervise.RestartNever {
		// No restart in place and no new placement: the group stays dead, as EXITED does.
		tg.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}
	}
	return tg
}

// nomadTask is one process as a raw_exec task.
func (m *model) nomadTask(p conf.Process) (*api.Task, error) {
	args, err := argv(p)
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if strings.Contains(a, "${") {
			m.warnValue(p, "command", fmt.Sprintf("argument %q: Nomad interpolates ${...} in task arguments", a))
		}
	}
	for _, o := range nomadGroupOptions {
		if v, ok := m.rawValue(p, o); ok && isFalse(v) {
			m.warnValue(p, o, fmt.Sprintf("%q not mapped: raw_exec always stops and kills the task's whole process tree", v))
		}
	}
	t := api.NewTask(p.Name, "raw_exec")
	// raw_exec has no working directory or umask setting, and wants an absolute command: a
	// shell sets them, looks a bare command name up in the task's PATH as supervisord does in
	// the program's, and execs the program with its argv untouched.
	var prelude []string
	if m.written(p, "umask") || m.cfg.Supervisord.Umask != 0o22 {
		prelude = append(prelude, fmt.Sprintf("umask %04o", m.umask(p)))
	}
	var shArgs []string
	if p.Directory != nil {
		prelude = append(prelude, `cd "$1" && shift`)
		shArgs = []string{*p.Directory}
	}
	if len(prelude) > 0 || !strings.Contains(args[0], "/") {
		script := strings.Join(append(prelude, `exec "$@"`), " && ")
		args = append(append([]string{"/bin/sh", "-c", script, "sh"}, shArgs...), args...)
	}
	t.Config = map[string]interface{}{"command": args[0]}
	if len(args) > 1 {
		t.Config["args"] = args[1:]
	}
	t.User = m.user(p)
	if len(p.Environment) > 0 {
		t.Env = map[string]string{}
		for _, e := range p.Environment {
			t.Env[e.Key] = e.Value
		}
	}
	if p.StopSignal > 0 {
		t.KillSignal = supervise.SignalName(syscall.Signal(p.StopSignal))
	} else {
		m.warnValue(p, "stopsignal", "0 (supervisord then sends nothing) exported as Nomad's default SIGINT")
	}
	t.KillTimeout = ptr(time.Duration(p.StopWaitSecs) * time.Second)
	t.RestartPolicy = restartPolicy(p)
	if p.AutoRestart == supervise.RestartUnexpected && m.written(p, "autorestart") {
		m.warnValue(p, "autorestart", "unexpected: exported as true (Nomad restarts a service task after every exit)")
	}
	t.LogConfig = logConfig(p.Stdout)
	if p.Stderr.Mode != conf.LogNothing && (p.Stderr.MaxBytes != p.Stdout.MaxBytes || p.Stderr.Backups != p.Stdout.Backups) {
		for _, o := range []string{"stderr_logfile_maxbytes", "stderr_logfile_backups"} {
			if v, ok := m.rawValue(p, o); ok {
				m.warnValue(p, o, fmt.Sprintf("%q not mapped: Nomad has one log rotation setting per task: stdout's is used", v))
			}
		}
	}
	if t.LogConfig == nil {
		m.warnValue(p, "stdout_logfile_maxbytes", "0 (never rotate) not mapped: Nomad always rotates task logs (its default: 10 files of 10 MB)")
	}
	_, program, _ := strings.Cut(p.Section, ":")
	if err := m.nomadLite(p, t, nomadServiceName(strings.TrimSpace(program))); err != nil { // nomad_lite.go
		return nil, err
	}
	return t, nil
}

// Nomad's limits on a job (its job specification and structs validation).
const (
	// nomadMinRestartInterval is the shortest restart interval Nomad accepts.
	nomadMinRestartInterval = 5 * time.Second
	// nomadDefaultDiskMB is a task group's ephemeral disk when the job names none; a task's
	// log storage (max_files * max_file_size) must be smaller.
	nomadDefaultDiskMB = 300
)

// restartPolicy maps startretries/startsecs/autorestart: startretries attempts with supervisord's
// first backoff (1 s) inside the window in which that many quick failures fall (at least
// Nomad's 5 s), then the task fails (FATAL). startsecs=0 (no crash protection) never gives up.
func restartPolicy(p conf.Process) *api.RestartPolicy {
	delay := time.Second
	if p.AutoRestart == supervise.RestartNever {
		return &api.RestartPolicy{Attempts: ptr(0), Interval: ptr(nomadMinRestartInterval), Delay: ptr(delay), Mode: ptr("fail")}
	}
	burst, interval := startLimit(p)
	if interval == 0 {
		return &api.RestartPolicy{Attempts: ptr(1), Interval: ptr(nomadMinRestartInterval), Delay: ptr(delay), Mode: ptr("delay")}
	}
	return &api.RestartPolicy{Attempts: ptr(burst - 1), Interval: ptr(max(time.Duration(interval)*time.Second, nomadMinRestartInterval)),
		Delay: ptr(delay), Mode: ptr("fail")}
}

// logConfig maps stdout's rotation: backups+1 files of maxbytes (in whole MiB, at least 1).
// maxbytes=0 (never rotate) has no equivalent: nil leaves Nomad's default.
func logConfig(l conf.LogConfig) *api.LogConfig {
	if l.MaxBytes <= 0 {
		return nil
	}
	files := l.Backups + 1
	mb := int((l.MaxBytes + (1<<20 - 1)) >> 20)
	if mb < 1 {
		mb = 1
	}
	return &api.LogConfig{MaxFiles: ptr(files), MaxFileSizeMB: ptr(mb)}
}

// sameTasks reports whether the tasks are equal but for their names.
func sameTasks(tasks []*api.Task) bool {
	enc := func(t *api.Task) string {
		c := *t
		c.Name = ""
		b, _ := json.Marshal(&c)
		return string(b)
	}
	first := enc(tasks[0])
	for _, t := range tasks[1:] {
		if enc(t) != first {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }
