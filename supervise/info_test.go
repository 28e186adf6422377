package supervise

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDescription(t *testing.T) {
	start := time.Date(2026, 11, 25, 23, 24, 0, 0, time.Local)
	stop := start.Add(90 * time.Second)
	cases := []struct {
		name string
		info ProcessInfo
		want string
	}{
		{"running", ProcessInfo{State: Running, Pid: 22033, Start: start, Now: start.Add(3 * time.Second)}, "pid 22033, uptime 0:00:03"},
		{"running a day", ProcessInfo{State: Running, Pid: 7, Start: start, Now: start.Add(26*time.Hour + 3*time.Minute + 4*time.Second)}, "pid 7, uptime 1 day, 2:03:04"},
		{"running days", ProcessInfo{State: Running, Pid: 7, Start: start, Now: start.Add(72 * time.Hour)}, "pid 7, uptime 3 days, 0:00:00"},
		{"clock set back", ProcessInfo{State: Running, Pid: 7, Start: start, Now: start.Add(-time.Hour)}, "pid 7, uptime 0:00:00"},
		{"running with note", ProcessInfo{State: Running, Pid: 9, Start: start, Now: start.Add(time.Minute), Note: "cert expires 2027-02-23"}, "pid 9, uptime 0:01:00, cert expires 2027-02-23"},
		{"note only when running", ProcessInfo{State: Starting, Note: "cert expires 2027-02-23"}, ""},
		{"backoff", ProcessInfo{State: Backoff, SpawnErr: "Exited too quickly (process log may have details)"}, "Exited too quickly (process log may have details)"},
		{"fatal without spawnerr", ProcessInfo{Name: "web", State: Fatal}, `unknown error (try "tail web")`},
		{"never started", ProcessInfo{State: Stopped}, "Not started"},
		{"exited", ProcessInfo{State: Exited, Start: start, Stop: stop}, "Nov 25 11:25 PM"},
		{"stopping", ProcessInfo{State: Stopping, Pid: 3}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.info.Description())
		})
	}
}

func TestNamespec(t *testing.T) {
	assert.Equal(t, "web", ProcessInfo{Name: "web", Group: "web"}.Namespec())
	assert.Equal(t, "grp:web", ProcessInfo{Name: "web", Group: "grp"}.Namespec())
}
