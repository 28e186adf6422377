package supervise

import "time"

// Clock is the time source of a Supervisor. The engine reads Now when something happens and
// arms at most one Timer per process (startsecs, a backoff delay or stopwaitsecs); it never
// polls, so an idle Supervisor makes no Clock calls at all. The real clock's times carry
// Go's monotonic reading, so setting the wall clock changes no wait and no uptime. With a
// Clock whose Now can go back (no monotonic reading), a timer that fires while Now is still
// before its deadline moves the process's instants back by the difference: each wait still
// lasts its own length.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a Timer that fires once, d from now (d <= 0 fires at once).
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	// C delivers the time once when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped a pending timer.
	Stop() bool
}

// realClock is the wall clock (time.Now, time.NewTimer).
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

var _ Clock = realClock{}
