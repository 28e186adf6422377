package benchcompare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Metric is one measured value.
type Metric struct {
	Scenario, Name string
	Value          float64
	Unit           string
}

// Result is a Metric of one side in one repetition.
type Result struct {
	Metric
	Side string
	Rep  int
}

// Options configure Run. Sides is required; every other zero value works.
type Options struct {
	// Sides are the supervisors, the baseline first (ratios are other / baseline).
	Sides []Side
	// Scenarios to run, by name (see Scenarios); nil = all.
	Scenarios []string
	// Reps is the number of repetitions; 0 = 3. The order of the sides rotates with each.
	Reps int
	// Quick shrinks every scenario (a smoke run: the numbers mean nothing).
	Quick bool
	// Out receives one line per result as it comes ("scenario=… metric=… value=… unit=…
	// sup=… rep=…") and diagnostics ("# …"); nil = discard.
	Out io.Writer
	// TmpDir is where the scenario directories are made; "" = os.TempDir().
	TmpDir string
	// ScenarioTimeout bounds one scenario of one side; 0 = 20 min.
	ScenarioTimeout time.Duration
}

// Run runs every scenario for every side, interleaved (all sides of a scenario before the
// next scenario), Reps times, and returns the results. A failed scenario run is reported on
// Out and in the returned error (all failures joined); the others still run.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	if len(opts.Sides) == 0 {
		return nil, errors.New("benchcompare: no sides")
	}
	if opts.Reps <= 0 {
		opts.Reps = 3
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.TmpDir == "" {
		opts.TmpDir = os.TempDir()
	}
	if opts.ScenarioTimeout <= 0 {
		opts.ScenarioTimeout = 20 * time.Minute
	}
	// The daemons run in their scenario directories: programs are named by absolute paths.
	sides := make([]Side, len(opts.Sides))
	for i, s := range opts.Sides {
		if len(s.Start) == 0 || len(s.Ctl) == 0 {
			return nil, fmt.Errorf("benchcompare: side %q has no Start or Ctl command", s.Label)
		}
		start, err := absCommand(s.Start[0])
		if err != nil {
			return nil, fmt.Errorf("benchcompare: side %q: %w", s.Label, err)
		}
		ctl, err := absCommand(s.Ctl[0])
		if err != nil {
			return nil, fmt.Errorf("benchcompare: side %q: %w", s.Label, err)
		}
		s.Start = append([]string{start}, s.Start[1:]...)
		s.Ctl = append([]string{ctl}, s.Ctl[1:]...)
		sides[i] = s
	}
	opts.Sides = sides
	names := opts.Scenarios
	if len(names) == 0 {
		names = Scenarios
	}
	for _, n := range names {
		if scenarioFuncs[n] == nil {
			return nil, fmt.Errorf("benchcompare: unknown scenario %q (have %s)", n, strings.Join(Scenarios, ", "))
		}
	}
	env := &runEnv{sz: sizesFor(opts.Quick), tmp: opts.TmpDir,
		tag: fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()), random: rand.New(rand.NewSource(time.Now().UnixNano()))}
	defer killTagged(env.tag)
	var results []Result
	var errs []error
	for rep := 1; rep <= opts.Reps; rep++ {
		for _, name := range names {
			for i := range opts.Sides {
				side := opts.Sides[(i+rep-1)%len(opts.Sides)]
				load0 := loadAvg()
				t0 := time.Now()
				sctx, cancel := context.WithTimeout(ctx, opts.ScenarioTimeout)
				ms, err := scenarioFuncs[name](sctx, env, side)
				cancel()
				fmt.Fprintf(opts.Out, "# %s sup=%s rep=%d noise: elapsed_s=%.1f load1=%s->%s\n",
					name, side.Label, rep, time.Since(t0).Seconds(), load0, loadAvg())
				if err != nil {
					fmt.Fprintf(opts.Out, "# %s sup=%s rep=%d ERROR %v\n", name, side.Label, rep, err)
					errs = append(errs, fmt.Errorf("%s on %s (rep %d): %w", name, side.Label, rep, err))
					continue
				}
				for _, m := range ms {
					r := Result{Metric: m, Side: side.Label, Rep: rep}
					fmt.Fprintf(opts.Out, "scenario=%s metric=%s value=%s unit=%s sup=%s rep=%d\n",
						m.Scenario, m.Name, formatValue(m.Value), m.Unit, r.Side, rep)
					results = append(results, r)
				}
				if ctx.Err() != nil {
					return results, ctx.Err()
				}
			}
		}
	}
	return results, errors.Join(errs...)
}

// absCommand is the absolute path of a command name (looked up in PATH without a slash).
func absCommand(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// Summarize writes a Markdown table: per metric, each side's median [min..max] (n), and the
// ratio of each other side's median to the first side's (the baseline).
func Summarize(w io.Writer, results []Result, sides []string) {
	type key struct{ scenario, metric, unit string }
	var keys []key
	vals := map[key]map[string][]float64{}
	for _, r := range results {
		k := key{r.Scenario, r.Name, r.Unit}
		if vals[k] == nil {
			vals[k] = map[string][]float64{}
			keys = append(keys, k)
		}
		vals[k][r.Side] = append(vals[k][r.Side], r.Value)
	}
	fmt.Fprintf(w, "| scenario | metric | unit |")
	for _, s := range sides {
		fmt.Fprintf(w, " %s |", s)
	}
	for _, s := range sides[1:] {
		fmt.Fprintf(w, " %s / %s |", s, sides[0])
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|---|---|", strings.Repeat("---|", 2*len(sides)-1), "\n")
	for _, k := range keys {
		fmt.Fprintf(w, "| %s | %s | %s |", k.scenario, k.metric, k.unit)
		for _, s := range sides {
			v := vals[k][s]
			if len(v) == 0 {
				fmt.Fprint(w, " - |")
				continue
			}
			fmt.Fprintf(w, " %s [%s..%s] (%d) |", formatValue(median(v)), formatValue(minOf(v)), formatValue(maxOf(v)), len(v))
		}
		base := vals[k][sides[0]]
		for _, s := range sides[1:] {
			v := vals[k][s]
			if len(v) == 0 || len(base) == 0 || median(base) == 0 {
				fmt.Fprint(w, " - |")
				continue
			}
			fmt.Fprintf(w, " %.2f |", median(v)/median(base))
		}
		fmt.Fprintln(w)
	}
}

func formatValue(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
