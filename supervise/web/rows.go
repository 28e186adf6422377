package web

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// certWarn is how close a certificate's expiry must be for its badge to turn to a warning.
const certWarn = 14 * 24 * time.Hour

// row is what the page shows of one process.
type row struct {
	ID        string // the <tr>'s id: "p-" + namespec
	Spec      string // "group:name", what actions and tails name
	Namespec  string // what supervisorctl shows
	Group     string
	State     string // "RUNNING"
	Class     string // "running": the CSS class of the state
	Pid       int
	Up        bool   // RUNNING: the description is pid and a live uptime
	Uptime    string // "0:00:03" at render time
	StartUnix int64  // when it started (s since the epoch), for the live uptime
	Desc      string // the description when not Up: reason, exit, stop time
	Note      string // extra text after the uptime (the backend's ProcessInfo.Note)
	RetryUnix int64  // FATAL with a pending retry: when (s since the epoch), else 0
	RetryLeft string // "4m59s" at render time
	Cert      string // "cert 81d" when the backend knows a certificate, else ""
	CertTitle string // "certificate expires 2027-02-23"
	CertWarn  bool   // the certificate expires within certWarn (or has expired)
	CanStart  bool
	CanStop   bool
	Stdout    bool // has a stdout log file
	Stderr    bool // has a stderr log file
}

// group is a group header with its rows.
type group struct {
	Name   string
	ID     string // "g-" + name
	Header bool   // shown: the group has several processes or its process has another name
	Rows   []row
}

// newRow makes the row of info; expiry is the certificate lookup (nil = none).
func newRow(info supervise.ProcessInfo, expiry func(string) (time.Time, bool)) row {
	spec := info.Group + ":" + info.Name
	r := row{ID: "p-" + spec, Spec: spec, Namespec: info.Namespec(), Group: info.Group,
		State: info.State.String(), Class: strings.ToLower(info.State.String()), Pid: info.Pid,
		CanStart: !info.State.IsRunning() && info.State != supervise.Stopping,
		CanStop:  info.State.IsRunning(),
		Stdout:   info.StdoutLogfile != "", Stderr: info.StderrLogfile != ""}
	switch info.State {
	case supervise.Running:
		r.Up, r.StartUnix, r.Note = true, info.Start.Unix(), info.Note
		up := info.Now.Unix() - info.Start.Unix()
		r.Uptime = supervise.FormatUptime(time.Duration(up) * time.Second)
	case supervise.Exited:
		r.Desc = exitText(info)
	default:
		plain := info
		plain.RetryAt = time.Time{}
		r.Desc = plain.Description()
		if info.State == supervise.Fatal && !info.RetryAt.IsZero() {
			r.RetryUnix = info.RetryAt.Unix()
			left := info.RetryAt.Sub(info.Now).Truncate(time.Second)
			if left < 0 {
				left = 0
			}
			r.RetryLeft = left.String()
		}
	}
	if expiry != nil {
		if t, ok := expiry(spec); ok {
			left := t.Sub(info.Now)
			r.Cert = "cert " + strconv.Itoa(int(left.Hours()/24)) + "d"
			if left <= 0 {
				r.Cert = "cert expired"
			}
			r.CertTitle = "certificate expires " + t.UTC().Format("2006-01-02 15:04 MST")
			r.CertWarn = left < certWarn
		}
	}
	return r
}

// exitText is the description of an EXITED process: the exit status and when.
func exitText(info supervise.ProcessInfo) string {
	when := info.Description()
	switch {
	case info.Start.IsZero():
		return when
	case info.ExitStatus == -1:
		return "killed by a signal, " + when
	}
	return "exit status " + strconv.Itoa(info.ExitStatus) + ", " + when
}

// groupRows groups infos (sorted by group, as Status returns them) and drops the rows whose
// namespec does not contain filter (case-insensitive; "" keeps all).
func groupRows(infos []supervise.ProcessInfo, filter string, expiry func(string) (time.Time, bool)) []group {
	filter = strings.ToLower(filter)
	var out []group
	for _, info := range infos {
		if filter != "" && !strings.Contains(strings.ToLower(info.Namespec()), filter) {
			continue
		}
		if n := len(out); n == 0 || out[n-1].Name != info.Group {
			out = append(out, group{Name: info.Group, ID: "g-" + info.Group})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, newRow(info, expiry))
		g.Header = len(g.Rows) > 1 || info.Name != info.Group
	}
	return out
}

// version is a digest of what the rows of infos show apart from the passing of time, so that
// a page and the event stream can tell whether the page is current.
func version(infos []supervise.ProcessInfo, expiry func(string) (time.Time, bool)) string {
	h := fnv.New64a()
	var b []byte
	for _, i := range infos {
		b = b[:0]
		b = append(b, i.Group...)
		b = append(b, 0)
		b = append(b, i.Name...)
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(i.State), 10)
		b = strconv.AppendInt(b, int64(i.Pid), 10)
		b = strconv.AppendInt(b, i.Start.Unix(), 10)
		b = strconv.AppendInt(b, i.Stop.Unix(), 10)
		b = strconv.AppendInt(b, i.RetryAt.Unix(), 10)
		b = strconv.AppendInt(b, int64(i.ExitStatus), 10)
		b = append(b, i.SpawnErr...)
		b = append(b, 0)
		b = append(b, i.Note...)
		b = append(b, 0)
		b = append(b, i.StdoutLogfile...)
		b = append(b, 0)
		b = append(b, i.StderrLogfile...)
		if expiry != nil {
			if t, ok := expiry(i.Group + ":" + i.Name); ok {
				b = strconv.AppendInt(b, t.Unix(), 10)
			}
		}
		b = append(b, '\n')
		_, _ = h.Write(b)
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
