package supervise

import (
	"fmt"
	"time"
)

// ProcessInfo is the status of one process, with the fields of supervisord's getProcessInfo.
type ProcessInfo struct {
	Name  string // process name
	Group string // group name
	// Start is when the process was last started; zero if never.
	Start time.Time
	// Stop is when the process last stopped or exited; zero if never.
	Stop time.Time
	// Now is when this snapshot was taken (the supervisor's clock).
	Now      time.Time
	State    State
	SpawnErr string // "" if none
	// ExitStatus is the last exit code, -1 for a death by signal, 0 if none.
	ExitStatus int
	Pid        int // 0 when not running
	// StdoutLogfile and StderrLogfile are the log paths, "" for NONE.
	StdoutLogfile string
	StderrLogfile string
	// RetryAt is when a FATAL process with Program.FatalRetry gets its next round of start
	// attempts; zero when none is pending.
	RetryAt time.Time
	// Note is extra text a caller adds to the RUNNING description after the uptime, e.g. a
	// certificate's expiry ("cert expires 2027-02-23"); the engine leaves it empty.
	Note string
	// Check is what Program.Checks have to say: the last sd_notify STATUS= and the last
	// failed health check or the reason of the last restart by a check; shown after Note in
	// the RUNNING description. "" = nothing.
	Check string
}

// Namespec returns the name supervisorctl shows: Name when Group == Name, else "Group:Name".
func (i ProcessInfo) Namespec() string {
	if i.Group == i.Name {
		return i.Name
	}
	return i.Group + ":" + i.Name
}

// Description returns supervisord's description text for the state (rpcinterface's
// _interpretProcessInfo): "pid 22033, uptime 0:00:03" when RUNNING; the spawn error (or
// `unknown error (try "tail NAME")`) for BACKOFF and FATAL, followed for FATAL by
// "; retry in 4m59s" while a Program.FatalRetry is pending; the local stop time as
// "Nov 25 11:24 PM" for STOPPED and EXITED once started, else "Not started"; "" otherwise.
// Times are truncated to whole seconds, as supervisord's integer timestamps are.
func (i ProcessInfo) Description() string {
	switch i.State {
	case Running:
		// Whole seconds as supervisord counts them (int(now) - int(start)), with the time
		// elapsed measured on the monotonic clock when both times carry it: a wall clock set
		// back or forward does not change the uptime.
		up := i.Start.Add(i.Now.Sub(i.Start)).Unix() - i.Start.Unix()
		if up < 0 {
			up = 0
		}
		d := fmt.Sprintf("pid %d, uptime %s", i.Pid, FormatUptime(time.Duration(up)*time.Second))
		if i.Note != "" {
			d += ", " + i.Note
		}
		if i.Check != "" {
			d += ", " + i.Check
		}
		return d
	case Fatal, Backoff:
		d := fmt.Sprintf("unknown error (try \"tail %s\")", i.Name)
		if i.SpawnErr != "" {
			d = i.SpawnErr
		}
		if i.State == Fatal && !i.RetryAt.IsZero() {
			left := i.RetryAt.Sub(i.Now).Truncate(time.Second)
			if left < 0 {
				left = 0
			}
			d += "; retry in " + left.String()
		}
		return d
	case Stopped, Exited:
		if i.Start.IsZero() {
			return "Not started"
		}
		return time.Unix(i.Stop.Unix(), 0).Local().Format("Jan 02 03:04 PM")
	}
	return ""
}

// FormatUptime formats d as Python's str(timedelta) of whole seconds: "0:00:03",
// "12:03:04", "1 day, 2:03:04", "3 days, 0:00:00".
func FormatUptime(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = 0
	}
	days := s / 86400
	s %= 86400
	hms := fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	switch {
	case days == 1:
		return "1 day, " + hms
	case days > 1:
		return fmt.Sprintf("%d days, %s", days, hms)
	}
	return hms
}
