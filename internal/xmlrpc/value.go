package xmlrpc

import (
	"fmt"
	"math"
	"sort"
)

// Member is one named value of a Struct.
type Member struct {
	Name  string
	Value any
}

// Struct is an XML-RPC struct whose members keep their order, as Python dicts do: supervisord's
// getProcessInfo fields come out in a fixed order that clients may show.
type Struct []Member

// Get returns the value of the first member called name, and whether there is one.
func (s Struct) Get(name string) (any, bool) {
	for _, m := range s {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// Map returns the members as a map (a later member of the same name wins).
func (s Struct) Map() map[string]any {
	m := make(map[string]any, len(s))
	for _, mb := range s {
		m[mb.Name] = mb.Value
	}
	return m
}

// StructOf returns the members of m sorted by name.
func StructOf(m map[string]any) Struct {
	s := make(Struct, 0, len(m))
	for k, v := range m {
		s = append(s, Member{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}

// Fault codes of supervisord (xmlrpc.py's Faults). SUCCESS only appears as the status of an
// entry in the result array of a group operation.
const (
	UnknownMethod        = 1
	IncorrectParameters  = 2
	BadArguments         = 3
	SignatureUnsupported = 4
	ShutdownState        = 6
	BadName              = 10
	BadSignal            = 11
	NoFile               = 20
	NotExecutable        = 21
	Failed               = 30
	AbnormalTermination  = 40
	SpawnError           = 50
	AlreadyStarted       = 60
	NotRunning           = 70
	Success              = 80
	AlreadyAdded         = 90
	StillRunning         = 91
	CantReread           = 92
)

var faultNames = map[int]string{
	UnknownMethod:        "UNKNOWN_METHOD",
	IncorrectParameters:  "INCORRECT_PARAMETERS",
	BadArguments:         "BAD_ARGUMENTS",
	SignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	ShutdownState:        "SHUTDOWN_STATE",
	BadName:              "BAD_NAME",
	BadSignal:            "BAD_SIGNAL",
	NoFile:               "NO_FILE",
	NotExecutable:        "NOT_EXECUTABLE",
	Failed:               "FAILED",
	AbnormalTermination:  "ABNORMAL_TERMINATION",
	SpawnError:           "SPAWN_ERROR",
	AlreadyStarted:       "ALREADY_STARTED",
	NotRunning:           "NOT_RUNNING",
	Success:              "SUCCESS",
	AlreadyAdded:         "ALREADY_ADDED",
	StillRunning:         "STILL_RUNNING",
	CantReread:           "CANT_REREAD",
}

// FaultName returns supervisord's name of a fault code ("BAD_NAME"), or "UNKNOWN".
func FaultName(code int) string {
	if n, ok := faultNames[code]; ok {
		return n
	}
	return "UNKNOWN"
}

// Fault is an XML-RPC fault: a method's error as the client sees it.
type Fault struct {
	Code   int    // faultCode, one of the constants above for supervisord's faults
	String string // faultString, "NAME" or "NAME: extra" for supervisord's faults
}

// NewFault returns supervisord's fault for code: String is the code's name, followed by
// ": extra" when extra is not empty (RPCError in xmlrpc.py).
func NewFault(code int, extra string) *Fault {
	s := FaultName(code)
	if extra != "" {
		s += ": " + extra
	}
	return &Fault{Code: code, String: s}
}

func (f *Fault) Error() string { return fmt.Sprintf("fault %d: %s", f.Code, f.String) }

// Is makes errors.Is(err, &Fault{Code: c}) match any fault with code c.
func (f *Fault) Is(target error) bool {
	t, ok := target.(*Fault)
	return ok && t.Code == f.Code && (t.String == "" || t.String == f.String)
}

// Capped clamps v into the 32-bit range XML-RPC ints have (supervisord's capped_int, used for
// timestamps).
func Capped(v int64) int64 {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return v
}

// OverflowError is the error of encoding an int outside the 32-bit range.
type OverflowError struct{ Value int64 }

func (e *OverflowError) Error() string {
	return fmt.Sprintf("xmlrpc: int %d exceeds XML-RPC limits", e.Value)
}

// Str is Python's str() of a decoded value, as supervisord and supervisorctl print one in a
// message: a string as it is, True/False, None for nil, numbers in decimal.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return fmt.Sprint(v)
}
