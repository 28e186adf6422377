package testenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// capSysResource is CAP_SYS_RESOURCE's bit in /proc/PID/status's CapEff.
const capSysResource = 24

// CanRaiseHardLimits reports whether this process may raise its hard resource limits
// (CAP_SYS_RESOURCE). Root usually may; root in a container may not.
func CanRaiseHardLimits(t testing.TB) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("testenv: CapEff %q: %v", v, err)
			}
			return caps&(1<<capSysResource) != 0
		}
	}
	return false
}
