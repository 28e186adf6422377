package benchcompare

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sizes are a scenario run's parameters; Quick shrinks them.
type sizes struct {
	kills     int           // restart: kill -9 count
	many      int           // many: programs
	idle      int           // idle: programs
	settle    time.Duration // idle: after all RUNNING
	window    time.Duration // idle: measured window
	crash     int           // crash: programs
	logBytes  int64         // log: bytes written
	allInfo   int           // many: getAllProcessInfo calls
	ctlRounds int           // many: status calls
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{kills: 3, many: 20, idle: 10, settle: time.Second, window: 3 * time.Second, crash: 5,
			logBytes: 16 << 20, allInfo: 3, ctlRounds: 2}
	}
	return sizes{kills: 30, many: 500, idle: 100, settle: 3 * time.Second, window: 30 * time.Second, crash: 50,
		logBytes: 512 << 20, allInfo: 10, ctlRounds: 5}
}

// scenario measures one side once and returns its metrics.
type scenario func(ctx context.Context, env *runEnv, side Side) ([]Metric, error)

// Scenarios are the scenario names in their run order.
var Scenarios = []string{"restart", "many", "idle", "crash", "log"}

var scenarioFuncs = map[string]scenario{
	"restart": restartScenario,
	"many":    manyScenario,
	"idle":    idleScenario,
	"crash":   crashScenario,
	"log":     logScenario,
}

// runEnv is what a scenario run gets from the run.
type runEnv struct {
	sz     sizes
	tmp    string
	tag    string
	seq    int
	random *rand.Rand
}

// sandbox returns a new directory and tag for one daemon.
func (e *runEnv) sandbox(name string) (string, string, error) {
	e.seq++
	dir, err := os.MkdirTemp(e.tmp, "benchcompare-"+name+"-")
	return dir, fmt.Sprintf("%s/%d", e.tag, e.seq), err
}

// script writes an executable /bin/sh script into dir.
func script(dir, name, body string) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755)
}

// notifySleep announces its pid on the FIFO, then sleeps.
func notifySleep(dir string) (string, error) {
	return script(dir, "notify_sleep.sh", fmt.Sprintf("echo $$ 1<>%s\nexec sleep 100000\n", filepath.Join(dir, "notify.fifo")))
}

// run launches a daemon for progs, waits until it answers, runs body, and stops it.
func (e *runEnv) run(ctx context.Context, side Side, name string, progs func(dir string) ([]program, error),
	body func(d *daemon) error) error {
	dir, tag, err := e.sandbox(name)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ps, err := progs(dir)
	if err != nil {
		return err
	}
	d, err := launch(side, dir, tag, ps)
	if err != nil {
		return err
	}
	defer d.stop(10 * time.Second) // after a failure; a no-op after the stop below
	if err := body(d); err != nil {
		return err
	}
	d.stop(120 * time.Second)
	return nil
}

func restartScenario(ctx context.Context, env *runEnv, side Side) ([]Metric, error) {
	var samples []float64
	err := env.run(ctx, side, "restart", func(dir string) ([]program, error) {
		s, err := notifySleep(dir)
		return []program{{name: "victim", command: "/bin/sh " + s, extra: "startsecs=0\nautorestart=true\n"}}, err
	}, func(d *daemon) error {
		pid, err := d.line(ctx)
		if err != nil {
			return err
		}
		for i := 0; i < env.sz.kills; i++ {
			if err := d.waitAll(ctx, 1, "RUNNING", 20*time.Millisecond); err != nil {
				return err
			}
			time.Sleep(time.Duration(300+env.random.Intn(400)) * time.Millisecond)
			n, _ := strconv.Atoi(strings.TrimSpace(pid))
			t0 := time.Now()
			if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
				return fmt.Errorf("kill %d: %w", n, err)
			}
			if pid, err = d.line(ctx); err != nil {
				return err
			}
			samples = append(samples, ms(time.Since(t0)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return []Metric{{"restart", "p50_ms", median(samples), "ms"}, {"restart", "max_ms", maxOf(samples), "ms"}}, nil
}

func manyScenario(ctx context.Context, env *runEnv, side Side) ([]Metric, error) {
	n := env.sz.many
	var out []Metric
	add := func(metric string, v float64, unit string) {
		out = append(out, Metric{"many", fmt.Sprintf("%s_n%d", metric, n), v, unit})
	}
	err := env.run(ctx, side, "many", func(dir string) ([]program, error) {
		s, err := notifySleep(dir)
		ps := make([]program, n)
		for i := range ps {
			ps[i] = program{name: fmt.Sprintf("p%03d", i), command: "/bin/sh " + s, extra: "startsecs=0\nstopwaitsecs=30\n"}
		}
		return ps, err
	}, func(d *daemon) error {
		for i := 0; i < n; i++ {
			if _, err := d.line(ctx); err != nil {
				return err
			}
		}
		add("all_spawned_ms", ms(time.Since(d.start)), "ms")
		if err := d.waitAll(ctx, n, "RUNNING", 10*time.Millisecond); err != nil {
			return err
		}
		add("all_running_ms", ms(time.Since(d.start)), "ms")
		var calls []float64
		for i := 0; i < env.sz.allInfo; i++ {
			t0 := time.Now()
			if _, _, err := d.states(ctx); err != nil {
				return err
			}
			calls = append(calls, ms(time.Since(t0)))
		}
		add("rpc_allinfo_p50_ms", median(calls), "ms")
		var status []float64
		for i := 0; i < env.sz.ctlRounds; i++ {
			t0 := time.Now()
			text, err := d.ctl(ctx, "status")
			if err != nil {
				return fmt.Errorf("%s status: %w: %s", side.Label, err, text)
			}
			status = append(status, ms(time.Since(t0)))
			if c := strings.Count(text, " RUNNING "); c != n {
				return fmt.Errorf("%s status shows %d RUNNING of %d", side.Label, c, n)
			}
		}
		add("ctl_status_p50_ms", median(status), "ms")
		t0 := time.Now()
		if _, err := d.call(ctx, "supervisor.stopAllProcesses", true); err != nil {
			return err
		}
		add("stop_all_ms", ms(time.Since(t0)), "ms")
		t0 = time.Now()
		if _, err := d.call(ctx, "supervisor.startAllProcesses", true); err != nil {
			return err
		}
		if err := d.waitAll(ctx, n, "RUNNING", 10*time.Millisecond); err != nil {
			return err
		}
		add("start_all_ms", ms(time.Since(t0)), "ms")
		add("shutdown_ms", ms(d.stop(120*time.Second)), "ms")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func idleScenario(ctx context.Context, env *runEnv, side Side) ([]Metric, error) {
	n := env.sz.idle
	var out []Metric
	err := env.run(ctx, side, "idle", func(dir string) ([]program, error) {
		ps := make([]program, n)
		for i := range ps {
			ps[i] = program{name: fmt.Sprintf("p%03d", i), command: "/bin/sleep 100000", extra: "startsecs=1\n"}
		}
		return ps, nil
	}, func(d *daemon) error {
		if err := d.ready(ctx); err != nil {
			return err
		}
		if err := d.waitAll(ctx, n, "RUNNING", 100*time.Millisecond); err != nil {
			return err
		}
		d.http.CloseIdleConnections()
		time.Sleep(env.sz.settle)
		w0, c0 := d.wakeups(), d.cpu()
		time.Sleep(env.sz.window)
		w1, c1, rss := d.wakeups(), d.cpu(), d.rssKB()
		secs := env.sz.window.Seconds()
		out = append(out,
			Metric{"idle", fmt.Sprintf("rss_kb_n%d", n), float64(rss), "kB"},
			Metric{"idle", fmt.Sprintf("wakeups_per_s_n%d", n), float64(w1-w0) / secs, "1/s"},
			Metric{"idle", fmt.Sprintf("cpu_ms_per_s_n%d", n), ms(c1-c0) / secs, "ms/s"})
		return nil
	})
	return out, err
}

func crashScenario(ctx context.Context, env *runEnv, side Side) ([]Metric, error) {
	n := env.sz.crash
	var out []Metric
	err := env.run(ctx, side, "crash", func(dir string) ([]program, error) {
		s, err := script(dir, "crash.sh", fmt.Sprintf("echo $$ 1<>%s\nexit 1\n", filepath.Join(dir, "notify.fifo")))
		ps := make([]program, n)
		for i := range ps {
			ps[i] = program{name: fmt.Sprintf("c%03d", i), command: "/bin/sh " + s,
				extra: "autostart=false\nstartsecs=1\nstartretries=3\n"}
		}
		return ps, err
	}, func(d *daemon) error {
		if err := d.ready(ctx); err != nil {
			return err
		}
		time.Sleep(time.Second)
		c0, t0 := d.cpu(), time.Now()
		if _, err := d.call(ctx, "supervisor.startAllProcesses", false); err != nil {
			return err
		}
		spawns := 0
		for spawns < 4*n {
			select {
			case <-d.pids:
				spawns++
			case <-time.After(time.Second):
				if st, _, err := d.states(ctx); err == nil && countState(st, "FATAL") == n {
					goto fatal
				}
			case <-ctx.Done():
				return fmt.Errorf("%s: %d spawns of %d: %w", side.Label, spawns, 4*n, ctx.Err())
			}
		}
		if err := d.waitAll(ctx, n, "FATAL", 10*time.Millisecond); err != nil {
			return err
		}
	fatal:
		took, cpu := time.Since(t0), d.cpu()-c0
		// Spawns announced after the last poll.
		for drained := false; !drained; {
			select {
			case <-d.pids:
				spawns++
			default:
				drained = true
			}
		}
		out = append(out,
			Metric{"crash", fmt.Sprintf("time_to_all_fatal_s_n%d", n), took.Seconds(), "s"},
			Metric{"crash", fmt.Sprintf("daemon_cpu_ms_n%d", n), ms(cpu), "ms"},
			Metric{"crash", fmt.Sprintf("spawns_n%d", n), float64(spawns), "count"})
		return nil
	})
	return out, err
}

func countState(st map[string]string, state string) int {
	c := 0
	for _, s := range st {
		if s == state {
			c++
		}
	}
	return c
}

// logScenario: a writer of 100-byte lines through the daemon into its log file, and the same
// writer through cat into a file, measured seconds apart.
func logScenario(ctx context.Context, env *runEnv, side Side) ([]Metric, error) {
	var out []Metric
	err := env.run(ctx, side, "log", func(dir string) ([]program, error) {
		line := strings.Repeat("x", 99)
		s, err := script(dir, "writer.sh", fmt.Sprintf("echo S 1<>%[1]s\nyes %[2]s | head -c %[3]d\necho E 1<>%[1]s\n",
			filepath.Join(dir, "notify.fifo"), line, env.sz.logBytes))
		return []program{{name: "writer", command: "/bin/sh " + s, extra: fmt.Sprintf(
			"autostart=false\nstartsecs=0\nautorestart=false\nredirect_stderr=true\nstdout_logfile=%s\n"+
				"stdout_logfile_maxbytes=50MB\nstdout_logfile_backups=5\n", filepath.Join(dir, "writer.log"))}}, err
	}, func(d *daemon) error {
		if err := d.ready(ctx); err != nil {
			return err
		}
		// The baseline: the same script through cat, in the same directory.
		base := exec.CommandContext(ctx, "/bin/sh", "-c", fmt.Sprintf("/bin/sh %s | cat > %s",
			filepath.Join(d.dir, "writer.sh"), filepath.Join(d.dir, "cat.out")))
		base.Env = append(os.Environ(), envTag+"="+d.tag)
		if err := base.Start(); err != nil {
			return err
		}
		catSecs, err := markers(ctx, d)
		if err != nil {
			return err
		}
		if err := base.Wait(); err != nil {
			return fmt.Errorf("cat baseline: %w", err)
		}
		os.Remove(filepath.Join(d.dir, "cat.out"))
		if _, err := d.call(ctx, "supervisor.startProcess", "writer", false); err != nil {
			return err
		}
		secs, err := markers(ctx, d)
		if err != nil {
			return err
		}
		mib := float64(env.sz.logBytes) / (1 << 20)
		out = append(out,
			Metric{"log", "cat_mib_s", mib / catSecs, "MiB/s"},
			Metric{"log", "mib_s", mib / secs, "MiB/s"},
			Metric{"log", "ratio_vs_cat", catSecs / secs, "x"})
		return d.waitAll(ctx, 1, "EXITED", 10*time.Millisecond)
	})
	return out, err
}

// markers waits for the writer's S and E lines and returns the seconds between them.
func markers(ctx context.Context, d *daemon) (float64, error) {
	var t0 time.Time
	for {
		l, err := d.line(ctx)
		if err != nil {
			return 0, err
		}
		switch strings.TrimSpace(l) {
		case "S":
			t0 = time.Now()
		case "E":
			if t0.IsZero() {
				return 0, fmt.Errorf("writer: E before S")
			}
			return time.Since(t0).Seconds(), nil
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
