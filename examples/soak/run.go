package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// options are a soak run's settings.
type options struct {
	daemon      string // the supervisord-lite binary
	self        string // the soak binary, run by the chatty programs with -soak-writer
	programs    int
	duration    time.Duration
	out         string
	rate        int
	sampleEvery time.Duration
	reloadEvery time.Duration
}

// result is what a run saw.
type result struct {
	programs   int
	duration   time.Duration
	logs       logCounts // the chatty log files as the daemon left them
	follow     logCounts // the same logs as tail -f readers got them (logrotate.Follow)
	orphans    int
	samples    []sample
	trend      trend
	reloads    int   // SIGHUPs sent
	slowReload int   // reloads whose config change was not visible within a reload interval
	toggles    int64 // start+stop rounds of toggled programs
	rpcErrors  int64 // XML-RPC calls that failed (expected now and then during a reload)
	tails      int64 // tail -f clients that connected and got data
	pages      int64 // dashboard loads
}

func (r result) summary() string {
	f, t := r.trend.from, r.trend.to
	return fmt.Sprintf("soak: %d programs, %.4g min, lines %d, lost %d, duplicated %d, split %d, orphans %d, rss_mb %.1f->%.1f, goroutines %d->%d, fds %d->%d",
		r.programs, r.duration.Minutes(), r.logs.lines, r.logs.lost+r.logs.unended, r.logs.dup, r.logs.split, r.orphans,
		float64(f.rssKB)/1024, float64(t.rssKB)/1024, f.goroutines, t.goroutines, f.fds, t.fds)
}

// anomalies describe the first lost, duplicated or split lines of the files and of the
// followers, one a line, after the summary line; none when there were none.
func (r result) anomalies() []string {
	var out []string
	for _, a := range r.logs.anomalies {
		out = append(out, "soak: files: "+a)
	}
	for _, a := range r.follow.anomalies {
		out = append(out, "soak: followers: "+a)
	}
	return out
}

// failures are the reasons the run did not pass; none when it passed.
func (r result) failures() []string {
	var out []string
	if n := r.logs.lost + r.logs.unended; n > 0 {
		out = append(out, fmt.Sprintf("%d lines lost (%d writers without their end line)", n, r.logs.unended))
	}
	if r.logs.dup > 0 {
		out = append(out, fmt.Sprintf("%d lines duplicated", r.logs.dup))
	}
	if r.logs.split > 0 {
		out = append(out, fmt.Sprintf("%d lines split", r.logs.split))
	}
	if r.orphans > 0 {
		out = append(out, fmt.Sprintf("%d processes outlived the daemon", r.orphans))
	}
	if r.logs.lines == 0 {
		out = append(out, "no chatty line was read")
	}
	if f := r.follow; f.lost+f.unended+f.dup+f.split > 0 || f.lines != r.logs.lines {
		out = append(out, fmt.Sprintf("the followers read %d lines (lost %d, duplicated %d, split %d, %d writers without their end line), the files hold %d",
			f.lines, f.lost+f.unended, f.dup, f.split, f.unended, r.logs.lines))
	}
	if g := r.trend.growth(); g != "" {
		out = append(out, "growth after warm-up: "+g)
	}
	return out
}

// run runs one soak; it logs its progress to logw, one write at a time (the daemon's output and
// the followers' errors arrive from several goroutines).
func run(ctx context.Context, o options, w io.Writer) (result, error) {
	logw := &serialWriter{w: w}
	res := result{programs: o.programs}
	dir, err := filepath.Abs(filepath.Join(o.out, "run"))
	if err != nil {
		return res, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	cfg := soakConfig{dir: dir, self: o.self, mix: mixFor(o.programs), rate: o.rate, backups: backupsFor(o.duration, o.rate)}
	if err := cfg.write(0); err != nil {
		return res, err
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	runID := "SOAK_RUN=" + hex.EncodeToString(idb[:])

	// Follow every chatty log from its start, before the daemon creates it.
	followCtx, stopFollow := context.WithCancel(context.Background())
	defer stopFollow()
	var follows sync.WaitGroup
	checkers := make([]*checker, cfg.mix.chatty)
	for i := range checkers {
		checkers[i] = newChecker(chattyName(i))
		follows.Add(1)
		go func(i int) {
			defer follows.Done()
			if err := logrotate.Follow(followCtx, chattyLog(dir, i), 0, checkers[i]); err != nil {
				fmt.Fprintf(logw, "soak: following %s: %v\n", chattyName(i), err)
			}
		}(i)
	}

	cmd := exec.Command(o.daemon, "-c", cfg.path())
	cmd.Env = append(os.Environ(), runID)
	cmd.Stdout, cmd.Stderr = logw, logw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	started := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	daemonDone := false
	defer func() {
		if !daemonDone {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = killRun(runID)
	}()

	client, err := rpc.Dial("unix://"+cfg.socket(), "", "")
	if err != nil {
		return res, err
	}
	defer client.Close()
	if err := untilRunning(ctx, client, exited); err != nil {
		return res, err
	}
	fmt.Fprintf(logw, "soak: daemon %d up with %d programs after %v\n", cmd.Process.Pid, o.programs, time.Since(started).Round(time.Millisecond))

	loopCtx, stopLoops := context.WithTimeout(ctx, o.duration)
	defer stopLoops()
	var loops sync.WaitGroup
	var samplesMu sync.Mutex
	goLoop := func(every time.Duration, f func(ctx context.Context)) {
		loops.Add(1)
		go func() {
			defer loops.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				f(loopCtx)
				select {
				case <-loopCtx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	goLoop(o.sampleEvery, func(ctx context.Context) {
		s, err := takeSample(ctx, client, cmd.Process.Pid, time.Since(started))
		if err != nil {
			return
		}
		samplesMu.Lock()
		res.samples = append(res.samples, s)
		samplesMu.Unlock()
	})
	round := 0
	goLoop(o.reloadEvery, func(ctx context.Context) {
		if round == 0 { // the first tick is at once: no reload at start-up
			round++
			return
		}
		if err := cfg.write(round); err != nil {
			fmt.Fprintf(logw, "soak: %v\n", err)
			return
		}
		_ = cmd.Process.Signal(syscall.SIGHUP)
		res.reloads++
		if !reloaded(ctx, client, round, o.reloadEvery) && ctx.Err() == nil {
			res.slowReload++
			fmt.Fprintf(logw, "soak: reload %d not visible within %v; reloads go on\n", round, o.reloadEvery)
		}
		round++
	})
	for i := 0; i < cfg.mix.toggle; i += 10 { // a few togglers, each over its own programs
		loops.Add(1)
		go func(first int) {
			defer loops.Done()
			toggle(loopCtx, client, first, min(first+10, cfg.mix.toggle), &res.toggles, &res.rpcErrors)
		}(i)
	}
	if cfg.mix.chatty > 0 {
		n := 0
		goLoop(2*time.Second, func(ctx context.Context) {
			if tailOnce(ctx, client, "/logtail/"+chattyName(n%cfg.mix.chatty)+"/stdout") {
				atomic.AddInt64(&res.tails, 1)
			}
			n++
		})
	}
	goLoop(10*time.Second, func(ctx context.Context) {
		if tailOnce(ctx, client, "/") {
			atomic.AddInt64(&res.pages, 1)
		}
	})
	loops.Wait()
	res.duration = time.Since(started)

	// Stop the daemon, then read every log to its end.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		daemonDone = true
	case <-time.After(5 * time.Minute):
		return res, errors.New("the daemon did not exit within 5 minutes of SIGTERM")
	}
	drain(checkers)
	stopFollow()
	follows.Wait()
	for i, c := range checkers {
		res.follow.add(c.counts())
		n, err := checkFiles(chattyName(i), chattyLog(dir, i))
		if err != nil {
			return res, err
		}
		res.logs.add(n)
	}
	time.Sleep(time.Second) // a process the daemon left would still be there
	res.orphans = killRun(runID)
	res.trend = trendOf(res.samples, min(o.duration/4, 3*time.Minute))
	fmt.Fprintf(logw, "soak: %d reloads (%d slow), %d toggles, %d rpc errors, %d tails, %d pages; followers: lines %d, lost %d, duplicated %d, split %d\n",
		res.reloads, res.slowReload, res.toggles, res.rpcErrors, res.tails, res.pages,
		res.follow.lines, res.follow.lost+res.follow.unended, res.follow.dup, res.follow.split)
	return res, nil
}

// untilRunning waits for the daemon to answer RUNNING, for at most 5 minutes.
func untilRunning(ctx context.Context, c *rpc.Client, exited <-chan error) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the daemon exited at start-up: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := c.GetState(cctx)
		cancel()
		if err == nil && st == supervise.SupervisorRunning {
			return nil
		}
	}
	return errors.New("the daemon was not RUNNING within 5 minutes")
}

// reloaded waits, for at most within, until the daemon runs round's config: idle_0's command
// ends in 100000+round (the daemon serves the config info of the run it is in).
func reloaded(ctx context.Context, c *rpc.Client, round int, within time.Duration) bool {
	want := " " + strconv.Itoa(100000+round)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		infos, err := c.GetAllConfigInfo(cctx)
		cancel()
		for _, in := range infos {
			if err == nil && in.Name == "idle_0" && strings.HasSuffix(in.Command, want) {
				return true
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	return false
}

// toggle starts and stops the toggled programs first..last-1 one after the other until ctx ends.
func toggle(ctx context.Context, c *rpc.Client, first, last int, rounds, errs *int64) {
	for i := first; ctx.Err() == nil; i++ {
		if i == last {
			i = first
		}
		name := toggleName(i)
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err1 := c.StartProcess(cctx, name)
		err2 := c.StopProcess(cctx, name)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err1 != nil || err2 != nil {
			atomic.AddInt64(errs, 1)
			select { // a reload is under way: give it a moment
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		atomic.AddInt64(rounds, 1)
	}
}

// tailOnce GETs path for at most a second (a tail -f client that connects and leaves) and says
// whether it got data.
func tailOnce(ctx context.Context, c *rpc.Client, path string) bool {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var n countWriter
	_ = c.Tail(cctx, path, &n)
	return n > 0
}

type countWriter int64

func (n *countWriter) Write(p []byte) (int, error) { *n += countWriter(len(p)); return len(p), nil }

// drain waits until the checkers have read nothing new for a second (Follow polls every 50 ms),
// for at most a minute.
func drain(cs []*checker) {
	total := func() (n int64) {
		for _, c := range cs {
			n += c.counts().bytes
		}
		return n
	}
	last, since := total(), time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && time.Since(since) < time.Second; {
		time.Sleep(100 * time.Millisecond)
		if n := total(); n != last {
			last, since = n, time.Now()
		}
	}
}

// killRun SIGKILLs every process whose environment carries the run's marker and returns how
// many there were.
func killRun(marker string) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if kv == marker {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				n++
				break
			}
		}
	}
	return n
}

// serialWriter passes writes from several goroutines to w one at a time.
type serialWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *serialWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
