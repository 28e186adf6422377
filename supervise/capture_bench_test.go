package supervise

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
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

// supervisordRun runs the helper under the real supervisord 4.2.5 logging to a rotating file
// (the same 50 MB, 2 backups) and returns the wall time from "spawned" to "exited" in its log
// and supervisord's CPU over that span (from /proc/<pid>/stat, clock ticks of 10 ms).
func supervisordRun(b *testing.B, bin, helper string, arg int) (wall, cpu time.Duration) {
	dir := b.TempDir()
	exe, _ := os.Executable()
	conf := filepath.Join(dir, "supervisord.conf")
	mainLog := filepath.Join(dir, "supervisord.log")
	text := "[supervisord]\nnodaemon=true\nlogfile=" + mainLog + "\npidfile=" + filepath.Join(dir, "sd.pid") +
		"\nchildlogdir=" + dir + "\n\n[program:w]\ncommand=" + exe + " " + strconv.Itoa(arg) +
		"\nenvironment=" + helperEnv + "=" + helper + "\nstartsecs=0\nautorestart=false\n" +
		"stdout_logfile=" + filepath.Join(dir, "w.log") + "\nstdout_logfile_maxbytes=50MB\nstdout_logfile_backups=2\n" +
		"stderr_logfile=NONE\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	sd := exec.Command(bin, "-n", "-c", conf)
	if err := sd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { sd.Process.Signal(syscall.SIGTERM); sd.Wait() }()
	ticks := func() time.Duration {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(sd.Process.Pid) + "/stat")
		if err != nil {
			b.Fatal(err)
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
		u, _ := strconv.Atoi(f[11]) // utime, field 14
		s, _ := strconv.Atoi(f[12]) // stime, field 15
		return time.Duration(u+s) * 10 * time.Millisecond
	}
	var cpu0 time.Duration
	var t0 time.Time
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		log, _ := os.ReadFile(mainLog)
		if t0.IsZero() && strings.Contains(string(log), "spawned: 'w'") {
			cpu0, t0 = ticks(), time.Now()
		}
		if strings.Contains(string(log), "exited: w") {
			if t0.IsZero() {
				b.Fatal("supervisord: exit seen before spawn")
			}
			return time.Since(t0), ticks() - cpu0
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatal("supervisord: the helper did not exit within 5 minutes")
	return 0, 0
}

func benchSupervisord(b *testing.B, helper string, arg int, bytes int64) {
	bin := testenv.LookPath(b, "supervisord", "supervisor")
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		w, c := supervisordRun(b, bin, helper, arg)
		wall, cpu = wall+w, cpu+c
	}
	gib := float64(bytes*int64(b.N)) / (1 << 30)
	b.ReportMetric(float64(bytes*int64(b.N))/wall.Seconds()/1e6, "MB/s")
	b.ReportMetric(cpu.Seconds()/gib, "cpu-s/GiB")
}

// BenchmarkSupervisordCapture1GiB is BenchmarkCapture1GiB's workload under the real
// supervisord, for the same-machine comparison.
func BenchmarkSupervisordCapture1GiB(b *testing.B) {
	benchSupervisord(b, "blast", 1<<30, 1<<30)
}

// BenchmarkSupervisordCaptureMillionLines is BenchmarkCaptureMillionLines's workload under the
// real supervisord.
func BenchmarkSupervisordCaptureMillionLines(b *testing.B) {
	benchSupervisord(b, "lines", 1_000_000, 100_000_000)
}

// TestCaptureWritesWholeLines feeds chunks to a capture whose log file rotates after every
// write (MaxBytes 1), so each backup holds exactly one write, and checks the writes: whole
// lines only, the held unfinished line going out with the chunk that completes it, at
// maxPartial, or at the end of the stream.
func TestCaptureWritesWholeLines(t *testing.T) {
	x40k, x70k := strings.Repeat("x", 40<<10), strings.Repeat("x", 70<<10)
	tests := []struct {
		name   string
		chunks []string
		writes []string
	}{
		{"whole lines", []string{"abc\n", "de\nf\n"}, []string{"abc\n", "de\nf\n"}},
		{"split lines", []string{"a\nb", "c\nd"}, []string{"a\n", "bc\n", "d"}},
		{"held across chunks", []string{"ab", "c", "d\ne\nf"}, []string{"abcd\ne\n", "f"}},
		{"no newline until maxPartial", []string{x40k, x40k, "\n"}, []string{x40k + x40k, "\n"}},
		{"long unfinished end", []string{"a\n" + x70k, "\n"}, []string{"a\n" + x70k, "\n"}},
		{"held line then long end", []string{"ab", "c\n" + x70k}, []string{"abc\n" + x70k}},
		{"empty chunk", []string{"a", "", "b\n"}, []string{"ab\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sv := New(Options{ChildLogDir: dir})
			c := &capture{sv: sv, name: "w", channel: "stdout",
				file: &logrotate.Writer{Filename: filepath.Join(dir, "w.log"), MaxBytes: 1, Backups: 20}}
			var all string
			for _, ch := range tt.chunks {
				n, err := c.Write([]byte(ch))
				require.NoError(t, err)
				assert.Equal(t, len(ch), n)
				all += ch
			}
			c.endOfStream()
			require.NoError(t, c.file.Close())
			var got []string
			for i := 20; i >= 1; i-- {
				b, err := os.ReadFile(filepath.Join(dir, "w.log."+strconv.Itoa(i)))
				if os.IsNotExist(err) {
					continue
				}
				require.NoError(t, err)
				got = append(got, string(b))
			}
			assert.Equal(t, tt.writes, got)
			assert.Equal(t, all, strings.Join(got, ""))
			want := all
			if len(want) > TailBytes {
				want = want[len(want)-TailBytes:]
			}
			assert.Equal(t, want, string(c.last()))
		})
	}
}

// TestCaptureAllocatesNothingPerChunk: a steady stream of chunks ending mid-line (the usual
// shape of a block-buffered child's output) costs no allocation.
func TestCaptureAllocatesNothingPerChunk(t *testing.T) {
	dir := t.TempDir()
	c := &capture{sv: New(Options{ChildLogDir: dir}), name: "w", channel: "stdout",
		file: &logrotate.Writer{Filename: filepath.Join(dir, "w.log"), MaxBytes: 1 << 20, Backups: 1}}
	defer c.file.Close()
	chunk := []byte(strings.Repeat("y", 99) + "\n" + strings.Repeat("z", 40))
	c.Write(chunk) // first use: the tail ring and the held-line buffer
	allocs := testing.AllocsPerRun(200, func() { c.Write(chunk) })
	assert.Zero(t, allocs)
}
