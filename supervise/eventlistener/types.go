package eventlistener

import "sort"

// parent maps each event type name of supervisord 4.2.5 to the type it derives from ("" for
// EVENT, the root). The abstract types are EVENT, PROCESS_STATE, PROCESS_LOG,
// PROCESS_COMMUNICATION, SUPERVISOR_STATE_CHANGE, TICK and PROCESS_GROUP.
var parent = map[string]string{
	"EVENT":                            "",
	"PROCESS_STATE":                    "EVENT",
	"PROCESS_STATE_STOPPED":            "PROCESS_STATE",
	"PROCESS_STATE_EXITED":             "PROCESS_STATE",
	"PROCESS_STATE_STARTING":           "PROCESS_STATE",
	"PROCESS_STATE_STOPPING":           "PROCESS_STATE",
	"PROCESS_STATE_BACKOFF":            "PROCESS_STATE",
	"PROCESS_STATE_FATAL":              "PROCESS_STATE",
	"PROCESS_STATE_RUNNING":            "PROCESS_STATE",
	"PROCESS_STATE_UNKNOWN":            "PROCESS_STATE",
	"PROCESS_COMMUNICATION":            "EVENT",
	"PROCESS_COMMUNICATION_STDOUT":     "PROCESS_COMMUNICATION",
	"PROCESS_COMMUNICATION_STDERR":     "PROCESS_COMMUNICATION",
	"PROCESS_LOG":                      "EVENT",
	"PROCESS_LOG_STDOUT":               "PROCESS_LOG",
	"PROCESS_LOG_STDERR":               "PROCESS_LOG",
	"REMOTE_COMMUNICATION":             "EVENT",
	"SUPERVISOR_STATE_CHANGE":          "EVENT",
	"SUPERVISOR_STATE_CHANGE_RUNNING":  "SUPERVISOR_STATE_CHANGE",
	"SUPERVISOR_STATE_CHANGE_STOPPING": "SUPERVISOR_STATE_CHANGE",
	"TICK":                             "EVENT",
	"TICK_5":                           "TICK",
	"TICK_60":                          "TICK",
	"TICK_3600":                        "TICK",
	"PROCESS_GROUP":                    "EVENT",
	"PROCESS_GROUP_ADDED":              "PROCESS_GROUP",
	"PROCESS_GROUP_REMOVED":            "PROCESS_GROUP",
}

// Types returns every event type name of supervisord 4.2.5 (abstract ones included), sorted.
func Types() []string {
	out := make([]string, 0, len(parent))
	for t := range parent {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// KnownType reports whether name is an event type name of supervisord 4.2.5.
func KnownType(name string) bool {
	_, ok := parent[name]
	return ok
}

// Is reports whether an event of type name is delivered to a subscriber of typ: typ is name
// or one of its abstract ancestors (PROCESS_STATE for PROCESS_STATE_RUNNING; EVENT for all).
func Is(name, typ string) bool {
	for t, ok := name, true; ok && t != ""; t, ok = parent[t] {
		if t == typ {
			return true
		}
	}
	return false
}

// ticks are the TICK_* types with their periods in seconds, in supervisord's order.
var ticks = []struct {
	name   string
	period int64
}{{"TICK_5", 5}, {"TICK_60", 60}, {"TICK_3600", 3600}}
