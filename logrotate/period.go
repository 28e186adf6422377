package logrotate

import (
	"fmt"
	"time"
)

// Period selects time-based rotation for [Writer.Every].
type Period int

const (
	// Never is the zero Period: no time-based rotation (supervisord's behaviour).
	Never Period = iota
	// Hourly rotates at the first write after each full hour of local time (hh:00:00).
	Hourly
	// Daily rotates at the first write after each local midnight.
	Daily
)

// String returns "never", "hourly" or "daily".
func (p Period) String() string {
	switch p {
	case Never:
		return "never"
	case Hourly:
		return "hourly"
	case Daily:
		return "daily"
	}
	return fmt.Sprintf("Period(%d)", int(p))
}

// start returns the beginning of the period that contains t, in t's location.
// Periods of unknown value behave like Never and return the zero time.
func (p Period) start(t time.Time) time.Time {
	switch p {
	case Hourly:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, t.Location())
	case Daily:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	}
	return time.Time{}
}

// next returns the beginning of the period after the one that contains t.
func (p Period) next(t time.Time) time.Time {
	switch p {
	case Hourly:
		// time.Date normalises hour 24 and copes with DST gaps; adding an hour to the start
		// would skip or repeat local hours on DST changes.
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
	case Daily:
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
	}
	return time.Time{}
}
