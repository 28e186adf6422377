package supervise

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// signalTable is the one table of signal names in the module: the SIG names Python's signal
// module has on Linux, which supervisord accepts (its signal_number, supervisorctl signal)
// with or without the SIG prefix in any case. Names marked input are accepted but never
// printed (aliases, and numbers supervisord's messages show as "signal N").
var signalTable = [...]struct {
	name  string
	sig   syscall.Signal
	input bool
}{
	{"SIGHUP", 1, false}, {"SIGINT", 2, false}, {"SIGQUIT", 3, false}, {"SIGILL", 4, false},
	{"SIGTRAP", 5, false}, {"SIGABRT", 6, false}, {"SIGIOT", 6, true}, {"SIGBUS", 7, false},
	{"SIGFPE", 8, false}, {"SIGKILL", 9, false}, {"SIGUSR1", 10, false}, {"SIGSEGV", 11, false},
	{"SIGUSR2", 12, false}, {"SIGPIPE", 13, false}, {"SIGALRM", 14, false}, {"SIGTERM", 15, false},
	{"SIGSTKFLT", 16, true}, {"SIGCHLD", 17, false}, {"SIGCLD", 17, true}, {"SIGCONT", 18, false},
	{"SIGSTOP", 19, false}, {"SIGTSTP", 20, false}, {"SIGTTIN", 21, false}, {"SIGTTOU", 22, false},
	{"SIGURG", 23, false}, {"SIGXCPU", 24, false}, {"SIGXFSZ", 25, false}, {"SIGVTALRM", 26, false},
	{"SIGPROF", 27, false}, {"SIGWINCH", 28, false}, {"SIGIO", 29, false}, {"SIGPOLL", 29, true},
	{"SIGPWR", 30, true}, {"SIGSYS", 31, false}, {"SIGRTMIN", 34, true}, {"SIGRTMAX", 64, true},
}

// SignalName returns supervisord's name of sig ("SIGTERM"), or "signal N" for one it has no
// name for.
func SignalName(sig syscall.Signal) string {
	for _, e := range signalTable {
		if e.sig == sig && !e.input {
			return e.name
		}
	}
	return "signal " + strconv.Itoa(int(sig))
}

// SignalNumber returns the signal called name: a name of Python's signal module on Linux,
// with or without the SIG prefix, in any case ("TERM", "sigterm", "SIGCLD").
func SignalNumber(name string) (syscall.Signal, bool) {
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	for _, e := range signalTable {
		if e.name == up {
			return e.sig, true
		}
	}
	return 0, false
}

// IsNamedSignal reports whether sig has a name in Python's signal module (SignalNumber
// accepts one for it).
func IsNamedSignal(sig syscall.Signal) bool {
	for _, e := range signalTable {
		if e.sig == sig {
			return true
		}
	}
	return false
}

// ParseSignal accepts a signal as supervisord's signal_number does: a number ("15") or a name
// with or without the SIG prefix, in any case ("TERM", "sigterm"). Unknown names and numbers
// outside 1..64 wrap ErrBadSignal.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && strconv.Itoa(n) == s {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("%w: %s", ErrBadSignal, s)
		}
		return syscall.Signal(n), nil
	}
	if sig, ok := SignalNumber(s); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("%w: %s", ErrBadSignal, s)
}
