package supervise

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuUser() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano())
}

// captureRun runs the helper once under a Supervisor writing into rotating files and returns
// the wall time and the supervisor's CPU time.
func captureRun(b *testing.B, helper string, arg int) (wall, cpu, user time.Duration) {
	dir := b.TempDir()
	sv, events, stop := benchSupervisor(b)
	defer stop()
	exe, _ := os.Executable()
	p := Program{Name: "w", Command: exe, Args: []string{strconv.Itoa(arg)}, Env: []string{helperEnv + "=" + helper},
		StartSecs: -1, AutoRestart: RestartNever,
		Stdout: Log{Path: filepath.Join(dir, "w.log"), Backups: 2}, Stderr: Log{Path: LogNone}}
	cpu0, user0, t0 := cpuSelf(), cpuUser(), time.Now()
	if err := sv.Add(context.Background(), Group{Name: "w", Programs: []Program{p}}); err != nil {
		b.Fatal(err)
	}
	waitEvent(b, events, func(e Event) bool { return e.To == Exited })
	return time.Since(t0), cpuSelf() - cpu0, cpuUser() - user0
}

// directRun runs the same helper with stdout going straight to a file (the `cat > file`
// baseline: the same producer, no supervisor in between).
func directRun(b *testing.B, helper string, arg int) time.Duration {
	f, err := os.Create(filepath.Join(b.TempDir(), "direct.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	exe, _ := os.Executable()
	t0 := time.Now()
	proc, err := os.StartProcess(exe, []string{exe, strconv.Itoa(arg)}, &os.ProcAttr{
		Env: append(os.Environ(), helperEnv+"="+helper), Files: []*os.File{nil, f, nil}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := proc.Wait(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// catRun runs the same helper piped into cat(1) writing the file (`helper | cat > file`, the
// issue's baseline: the same pipe, a minimal copier) and returns the wall time and cat's CPU.
func catRun(b *testing.B, helper string, arg int) (wall, cpu time.Duration) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	f, err := os.Create(filepath.Join(b.TempDir(), "cat.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	exe, _ := os.Executable()
	t0 := time.Now()
	copier, err := os.StartProcess(cat, []string{"cat"}, &os.ProcAttr{Files: []*os.File{r, f, nil}})
	if err != nil {
		b.Fatal(err)
	}
	proc, err := os.StartProcess(exe, []string{exe, strconv.Itoa(arg)}, &os.ProcAttr{
		Env: append(os.Environ(), helperEnv+"="+helper), Files: []*os.File{nil, w, nil}})
	r.Close()
	w.Close()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := proc.Wait(); err != nil {
		b.Fatal(err)
	}
	st, err := copier.Wait()
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(t0), st.UserTime() + st.SystemTime()
}

func benchThroughput(b *testing.B, helper string, arg int, bytes int64) {
	var wall, cpu, user, direct, catWall, catCPU time.Duration
	for i := 0; i < b.N; i++ {
		d := directRun(b, helper, arg)
		cw, cc := catRun(b, helper, arg)
		w, c, u := captureRun(b, helper, arg)
		direct, wall, cpu, user = direct+d, wall+w, cpu+c, user+u
		catWall, catCPU = catWall+cw, catCPU+cc
	}
	gib := float64(bytes*int64(b.N)) / (1 << 30)
	b.ReportMetric(float64(bytes*int64(b.N))/wall.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(bytes*int64(b.N))/catWall.Seconds()/1e6, "cat-MB/s")
	b.ReportMetric(direct.Seconds()/wall.Seconds()*100, "%-of-direct")
	b.ReportMetric(catWall.Seconds()/wall.Seconds()*100, "%-of-cat")
	b.ReportMetric(cpu.Seconds()/gib, "cpu-s/GiB")
	b.ReportMetric(user.Seconds()/gib, "user-cpu-s/GiB")
	b.ReportMetric(catCPU.Seconds()/gib, "cat-cpu-s/GiB")
}

// BenchmarkCapture1GiB: 1 GiB of 64 KiB writes through capture into rotating files (50 MB, 2
// backups), against the same child writing to a file directly.
func BenchmarkCapture1GiB(b *testing.B) {
	benchThroughput(b, "blast", 1<<30, 1<<30)
}

// BenchmarkCaptureMillionLines: one million 100-byte lines.
func BenchmarkCaptureMillionLines(b *testing.B) {
	benchThroughput(b, "lines", 1_000_000, 100_000_000)
}
