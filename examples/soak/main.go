// Command soak runs one supervisord-lite daemon with many misbehaving programs for a while and
// checks that it holds up: `make soak` runs it with 1,000 programs for SOAK_MIN minutes.
//
// The programs: a fifth crash-loop with different exit codes and startsecs, a tenth write
// numbered lines to logs with a small maxbytes (constant rotation), a twentieth are started and
// stopped in a loop over XML-RPC, the rest sleep. Meanwhile the configuration changes and the
// daemon gets SIGHUP every -reload, `tail -f` clients come and go, and a dashboard client loads
// the page. Every chatty log is followed across its rotations as tail -f does, and after the run
// its files (enough backups are kept for the whole run) are read again; each line is checked in
// both: none lost, duplicated or split. After the stop no process of the run may be left
// (orphans). The daemon's
// RSS, goroutines (from /metrics) and fds are sampled into samples.csv and soak.png, and the run
// ends with one line:
//
//	soak: P programs, M min, lines W, lost L, duplicated D, split S, orphans O, rss_mb A->B, goroutines C->E, fds F->G
//
// where W, L, D and S count the files as the daemon wrote them, and A->B are the medians of the first and last quarter of the samples after warm-up. It
// exits 1 when L, D, S or O is not 0, when the followers read other than the files hold, or
// when RSS, goroutines or fds grew after warm-up. The first few anomalies (a line lost,
// duplicated or split, a writer without its end line) follow the summary, one a line, saying
// which program, run (pid and start time) and line.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	var o options
	writer := flag.String("soak-writer", "", "run as the chatty program `NAME` (used by the soak's config)")
	flag.StringVar(&o.daemon, "daemon", "bin/supervisord-lite", "the supervisord-lite binary to soak")
	flag.IntVar(&o.programs, "programs", 1000, "number of programs")
	minutes := flag.Float64("minutes", 10, "length of the run in minutes")
	flag.StringVar(&o.out, "out", "bin/soak", "directory for the run, samples.csv and soak.png")
	flag.IntVar(&o.rate, "rate", 20, "lines a second of each chatty program")
	flag.DurationVar(&o.sampleEvery, "sample", 5*time.Second, "sampling interval")
	flag.DurationVar(&o.reloadEvery, "reload", 30*time.Second, "interval of config change and SIGHUP")
	flag.Parse()
	if *writer != "" {
		if err := runWriter(*writer, o.rate); err != nil {
			os.Exit(1)
		}
		return
	}
	o.duration = time.Duration(*minutes * float64(time.Minute))
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	o.self = self
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if err := writeCSV(filepath.Join(o.out, "samples.csv"), r.samples); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	if err := plotSamples(filepath.Join(o.out, "soak.png"), r.samples); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	fmt.Println(r.summary())
	for _, a := range r.anomalies() {
		fmt.Println(a)
	}
	if f := r.failures(); len(f) > 0 {
		for _, s := range f {
			fmt.Fprintln(os.Stderr, "soak: FAIL:", s)
		}
		os.Exit(1)
	}
}
