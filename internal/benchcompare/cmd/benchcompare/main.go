// Command benchcompare runs Debian's supervisord and supervisord-lite side by side (package
// internal/benchcompare) and prints every result line, then a Markdown summary with ratios.
//
//	benchcompare -lite bin/supervisord-lite [-quick] [-reps 3] [-o results.txt] [scenario ...]
//
// The results and the summary also go to -o when given. Exit status 1 when a scenario failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/benchcompare"
)

func main() {
	lite := flag.String("lite", "bin/supervisord-lite", "the supervisord-lite binary")
	supervisord := flag.String("supervisord", "/usr/bin/supervisord", "Debian's supervisord")
	supervisorctl := flag.String("supervisorctl", "/usr/bin/supervisorctl", "Debian's supervisorctl")
	quick := flag.Bool("quick", false, "shrink every scenario (checks the harness; the numbers mean nothing)")
	reps := flag.Int("reps", 3, "repetitions")
	out := flag.String("o", "", "also write the results and the summary to this file")
	flag.Parse()

	sides := []benchcompare.Side{
		{Label: "supervisord", Start: []string{*supervisord, "-n", "-c", "{conf}"}, Ctl: []string{*supervisorctl, "-c", "{conf}"}},
		{Label: "supervisord-lite", Start: []string{*lite, "-n", "-c", "{conf}"}, Ctl: []string{*lite, "ctl", "-c", "{conf}"}},
	}
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if *quick {
		fmt.Fprintln(w, "# QUICK run: shrunk scenarios, for checking the harness; do not compare these numbers")
	}
	results, err := benchcompare.Run(ctx, benchcompare.Options{Sides: sides, Scenarios: flag.Args(), Reps: *reps, Quick: *quick, Out: w})
	fmt.Fprintln(w)
	benchcompare.Summarize(w, results, []string{sides[0].Label, sides[1].Label})
	fmt.Fprintln(w, "\nratio = supervisord-lite / supervisord: below 1 is better for times, kB, CPU and wakeups;"+
		" above 1 is better for MiB/s and ratio_vs_cat. Ratios from one interleaved run; see the noise lines.")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}
