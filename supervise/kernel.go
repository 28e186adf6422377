package supervise

import (
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"unsafe"
)

// KernelFeature is a Linux feature newer than 2.6.32 (CentOS 6) that the engine uses, whether
// this kernel has it, and how the engine keeps its promise without it.
type KernelFeature struct {
	// Name is the feature as the kernel names it ("PR_SET_CHILD_SUBREAPER").
	Name string
	// Since is the first Linux version that has it ("3.4").
	Since string
	// Use says what the engine uses it for.
	Use string
	// Available is the probe's verdict on this kernel.
	Available bool
	// Without says what the engine does instead when it is missing.
	Without string
}

// String is the one-line form used in the log and by `ctl explain`:
// "PR_SET_CHILD_SUBREAPER (Linux 3.4) missing: ...".
func (f KernelFeature) String() string {
	if f.Available {
		return fmt.Sprintf("%s (Linux %s) available: %s", f.Name, f.Since, f.Use)
	}
	return fmt.Sprintf("%s (Linux %s) missing: %s; instead %s", f.Name, f.Since, f.Use, f.Without)
}

var kernelProbe struct {
	once     sync.Once
	features []KernelFeature
}

// KernelFeatures probes (once per process, the kernel does not change under it) every kernel
// feature newer than Linux 2.6.32 that the engine uses, and returns them all, available or
// not, in a fixed order.
func KernelFeatures() []KernelFeature {
	kernelProbe.once.Do(func() {
		var v int32
		_, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prGetChildSubreaper, uintptr(unsafe.Pointer(&v)), 0)
		subreaper := e == 0
		pipeSz := false
		var p [2]int
		if syscall.Pipe2(p[:], syscall.O_CLOEXEC) == nil {
			_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[0]), fGetPipeSz, 0)
			pipeSz = e == 0
			syscall.Close(p[0])
			syscall.Close(p[1])
		}
		kernelProbe.features = []KernelFeature{
			{Name: "PR_SET_CHILD_SUBREAPER", Since: "3.4", Available: subreaper,
				Use: "orphans of supervised programs are reparented to the supervisor and reaped and ended by it",
				Without: "processes that left their program's process group are found by the supervisor's token " +
					"in their environment (/proc/PID/environ) and ended when their program stops, when Serve " +
					"returns and at start-up recovery; one that clears its environment is not found"},
			{Name: "F_SETPIPE_SZ", Since: "2.6.35", Available: pipeSz,
				Use:     "a child that fills its output pipe gets a 1 MiB pipe",
				Without: "pipes stay at 64 KiB: a heavy writer blocks more often, nothing is lost"},
		}
	})
	return append([]KernelFeature(nil), kernelProbe.features...)
}

// MissingKernelFeatures returns the features of KernelFeatures that this kernel lacks; on
// Linux 3.4 and later it is empty. Serve logs each of them once at WARN when it starts.
func (s *Supervisor) MissingKernelFeatures() []KernelFeature {
	var out []KernelFeature
	for _, f := range KernelFeatures() {
		if !f.Available {
			out = append(out, f)
		}
	}
	return out
}

// warnKernel logs each missing kernel feature once, at the start of Serve.
func (s *Supervisor) warnKernel() {
	for _, f := range s.MissingKernelFeatures() {
		s.log(slog.LevelWarn, "kernel: %s", f)
	}
}

const (
	prGetChildSubreaper = 37   // PR_GET_CHILD_SUBREAPER (Linux 3.4, like PR_SET_CHILD_SUBREAPER)
	fGetPipeSz          = 1032 // F_GETPIPE_SZ (Linux 2.6.35, like F_SETPIPE_SZ)
)
