package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// sample is one look at the daemon: its resident memory, goroutines (from /metrics; -1 when the
// daemon serves none) and open file descriptors.
type sample struct {
	at         time.Duration // since the daemon started
	rssKB      int64
	goroutines int
	fds        int
}

// takeSample reads pid's VmRSS and fd count from /proc and the goroutine count from the
// daemon's /metrics.
func takeSample(ctx context.Context, c *rpc.Client, pid int, at time.Duration) (sample, error) {
	s := sample{at: at, goroutines: -1}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			s.rssKB, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var m bytes.Buffer
	if c.Tail(ctx, "/metrics", &m) == nil {
		s.goroutines = metricValue(&m, "go_goroutines")
	}
	return s, nil
}

// metricValue is the value of the unlabelled series name in a Prometheus text exposition, -1
// when it is not there.
func metricValue(r io.Reader, name string) int {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				return int(v)
			}
		}
	}
	return -1
}

// writeCSV writes the samples as seconds,rss_kb,goroutines,fds.
func writeCSV(path string, ss []sample) error {
	var b strings.Builder
	b.WriteString("seconds,rss_kb,goroutines,fds\n")
	for _, s := range ss {
		fmt.Fprintf(&b, "%.1f,%d,%d,%d\n", s.at.Seconds(), s.rssKB, s.goroutines, s.fds)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// trend compares the samples just after warm-up with the last ones: the medians of the first
// and last quarter of the samples taken after warm-up.
type trend struct{ from, to sample }

func trendOf(ss []sample, warmup time.Duration) trend {
	var after []sample
	for _, s := range ss {
		if s.at >= warmup {
			after = append(after, s)
		}
	}
	if len(after) == 0 {
		after = ss
	}
	if len(after) == 0 {
		return trend{}
	}
	q := (len(after) + 3) / 4
	return trend{median(after[:q]), median(after[len(after)-q:])}
}

func median(ss []sample) sample {
	pick := func(v []int64) int64 {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	var rss, g, fd []int64
	for _, s := range ss {
		rss = append(rss, s.rssKB)
		g = append(g, int64(s.goroutines))
		fd = append(fd, int64(s.fds))
	}
	return sample{at: ss[len(ss)/2].at, rssKB: pick(rss), goroutines: int(pick(g)), fds: int(pick(fd))}
}

// growth says what grew after warm-up beyond noise: RSS by more than a fifth and 4 MB, goroutines
// or fds by more than a tenth and 20. It is "" when nothing did.
func (t trend) growth() string {
	var out []string
	if t.to.rssKB > t.from.rssKB*6/5 && t.to.rssKB-t.from.rssKB > 4096 {
		out = append(out, fmt.Sprintf("rss %d->%d kB", t.from.rssKB, t.to.rssKB))
	}
	grew := func(a, b int) bool { return b > a+a/10 && b-a > 20 }
	if t.from.goroutines >= 0 && grew(t.from.goroutines, t.to.goroutines) {
		out = append(out, fmt.Sprintf("goroutines %d->%d", t.from.goroutines, t.to.goroutines))
	}
	if grew(t.from.fds, t.to.fds) {
		out = append(out, fmt.Sprintf("fds %d->%d", t.from.fds, t.to.fds))
	}
	return strings.Join(out, ", ")
}
