package export

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// How supervisord-lite's own options become parts of a Nomad task (see lite_options.go).

const (
	// nomadMinMemoryMB is the least memory Nomad accepts for a task.
	nomadMinMemoryMB = 10
	// nomadEnvFile is where a task's environment_file is rendered, in its task directory.
	nomadEnvFile = "local/environment_file.env"
	// nomadCheckName names the check exported from healthcheck_url.
	nomadCheckName = "healthcheck"
)

// nomadLite sets on t what the process's own supervisord-lite options map to: a Nomad service
// with a check and check_restart for healthcheck_url, resources.memory for memory_limit, an
// env template for environment_file. service names the service (the program's name). The
// rest is warned about.
func (m *model) nomadLite(p conf.Process, t *api.Task, service string) error {
	ch := checks(p)
	checked, err := m.nomadHealth(p, ch, t, service)
	if err != nil {
		return err
	}
	m.nomadReady(p, ch, checked)
	if ch.Watchdog > 0 {
		m.warnUnmapped(p, "watchdog_secs", strconv.Itoa(int(ch.Watchdog.Seconds())), "raw_exec tasks get no NOTIFY_SOCKET and Nomad has no watchdog")
	}
	if ch.MemoryLimit > 0 {
		mb := int((ch.MemoryLimit + 1<<20 - 1) >> 20)
		if mb < nomadMinMemoryMB {
			mb = nomadMinMemoryMB
			m.warnValue(p, "memory_limit", fmt.Sprintf("%s raised to Nomad's least task memory, %d MB", m.shownValue(p, "memory_limit", ""), nomadMinMemoryMB))
		}
		t.Resources = &api.Resources{MemoryMB: ptr(mb)}
	}
	m.warnWritten(p, "the kernel enforces resources.memory at every allocation", "memory_check_interval")
	m.warnWritten(p, "Nomad does not order task groups (a lifecycle hook orders the tasks of one group only)", "depends_on")
	if p.EnvironmentFile != "" {
		t.Templates = []*api.Template{{
			EmbeddedTmpl: ptr("{{ file " + strconv.Quote(p.EnvironmentFile) + " }}"),
			DestPath:     ptr(nomadEnvFile),
			Envvars:      ptr(true),
			ChangeMode:   ptr("restart"),
		}}
		m.warnValue(p, "environment_file", "read by a template with env = true: every Nomad client needs the file and must let templates read outside the task (client template { disable_file_sandbox = true }); Nomad parses it with go-envparse, not as dotenv: no ${VAR} expansion, and a line without '=' or an escape other than \\n \\t \\\" \\\\ in double quotes fails the task")
		if len(p.Environment) > 0 {
			m.warnValue(p, "environment_file", "a template's variables override env: "+environmentFileOrder)
		}
	}
	for _, stream := range []struct {
		name string
		log  conf.LogConfig
	}{{"stdout", p.Stdout}, {"stderr", p.Stderr}} {
		for _, o := range logTimeOptions(stream.name, stream.log.Time) {
			m.warnWritten(p, "Nomad rotates task logs by size only (no rotation by time, compression, expiry or timestamps)", o.Option)
		}
	}
	return nil
}

// nomadHealth exports healthcheck_url as a service of the Nomad provider on the check's
// address with one http or tcp check, restarting the task after healthcheck_retries failures
// in a row; it reports whether it did. A healthcheck_command (a script check, which Nomad's
// own provider does not run) is warned about.
func (m *model) nomadHealth(p conf.Process, ch supervise.Checks, t *api.Task, service string) (bool, error) {
	if ch.HealthURL == "" {
		if ch.HealthCommand != "" {
			m.warnUnmapped(p, "healthcheck_command", ch.HealthCommand, `a script check needs Consul (provider = "nomad" runs http and tcp checks only)`)
		}
		m.warnWritten(p, "no health check is exported", "healthcheck_interval", "healthcheck_timeout", "healthcheck_retries")
		return false, nil
	}
	u, err := supervise.CheckTarget(ch.HealthURL)
	if err != nil {
		file, line := m.locate(p, "healthcheck_url")
		return false, fmt.Errorf("%s:%d: [%s] healthcheck_url: %w", file, line, p.Section, err)
	}
	port := checkPort(u)
	check := api.ServiceCheck{
		Name:         nomadCheckName,
		Type:         "http",
		Interval:     ch.HealthInterval,
		Timeout:      ch.HealthTimeout,
		CheckRestart: &api.CheckRestart{Limit: ch.HealthRetries, Grace: ptr(ch.HealthInterval)},
	}
	shown := m.shownValue(p, "healthcheck_url", ch.HealthURL)
	switch {
	case u.Scheme == "tcp":
		check.Type = "tcp"
	case ch.HealthAnyStatus:
		check.Type = "tcp"
		m.warnValue(p, "healthcheck_url", shown+" (any HTTP answer is healthy) exported as a tcp check of "+net.JoinHostPort(u.Hostname(), port)+": Nomad's http check fails on a status of 400 or more")
	default:
		// Nomad's own checker passes a status below 400, as supervisord-lite does.
		check.Path = u.RequestURI()
		if u.Scheme == "https" {
			check.Protocol = "https"
			m.warnValue(p, "healthcheck_url", shown+": Nomad's own checks cannot skip certificate verification (tls_skip_verify is Consul's only); the program's certificate must verify")
		}
	}
	t.Services = []*api.Service{{
		Name:      service,
		Provider:  "nomad",
		Address:   u.Hostname(),
		PortLabel: port,
		Checks:    []api.ServiceCheck{check},
	}}
	return true, nil
}

// nomadReady warns about ready=: Nomad starts nothing on a condition and has no sd_notify;
// checked says whether a health check was exported.
func (m *model) nomadReady(p conf.Process, ch supervise.Checks, checked bool) {
	if ch.Ready == "" {
		return
	}
	why := "Nomad has no start readiness: the task is running once started"
	switch {
	case ch.Ready == supervise.ReadyNotify:
		why = "raw_exec tasks get no NOTIFY_SOCKET; " + why
	case checked && sameAddress(ch.Ready, ch.HealthURL):
		why += " (the health check of the same address is exported: it restarts a task that stops answering, it does not hold back a start)"
	}
	m.warnUnmapped(p, "ready", ch.Ready, why)
	m.warnWritten(p, "it only bounds ready", "ready_timeout")
}

// sameAddress reports whether two check targets (tcp://, http://, https://) reach the same
// host and port.
func sameAddress(a, b string) bool {
	hostPort := func(s string) string {
		u, err := supervise.CheckTarget(s)
		if err != nil {
			return ""
		}
		return net.JoinHostPort(u.Hostname(), checkPort(u))
	}
	ha := hostPort(a)
	return ha != "" && ha == hostPort(b)
}

// checkPort is the port a check target reaches: its own, else its scheme's.
func checkPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return map[string]string{"http": "80", "https": "443"}[u.Scheme]
}

// nomadServiceName makes a program name a Nomad service name (RFC 1123: lower-case letters,
// digits and '-', at most 63 characters).
func nomadServiceName(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	if s == "" {
		s = "program"
	}
	return s
}
