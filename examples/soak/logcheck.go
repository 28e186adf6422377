package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// pad fills each chatty line to about 80 bytes, so that a torn line shows.
const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// runWriter is a chatty program: rate lines a second, one write(2) each,
// "NAME RUN SEQ PAD\n" with SEQ from 0 and RUN its runID; on SIGTERM or SIGINT it writes
// "NAME RUN end N" (N lines written) and exits 0.
func runWriter(name string, rate int) error {
	if rate < 1 {
		rate = 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	pid := runID(os.Getpid(), selfStartTicks())
	for seq := 0; ; seq++ {
		select {
		case <-sig:
			_, err := fmt.Fprintf(os.Stdout, "%s %s end %d\n", name, pid, seq)
			return err
		case <-t.C:
		}
		if _, err := fmt.Fprintf(os.Stdout, "%s %s %d %s\n", name, pid, seq, pad); err != nil {
			return err
		}
	}
}

// runID names one run of a chatty writer: "PID.START", its pid and its start time in clock
// ticks after boot (/proc/PID/stat field 22). A pid alone does not do: a soak spawns more
// processes than pid_max (32768 by default), so a later run of a writer can get a pid that
// an earlier one had.
func runID(pid int, startTicks uint64) string {
	return strconv.Itoa(pid) + "." + strconv.FormatUint(startTicks, 10)
}

// selfStartTicks is this process's start time in clock ticks after boot; 0 when /proc cannot
// tell.
func selfStartTicks() uint64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	return startTicks(b)
}

// startTicks reads field 22 (starttime) of a /proc/PID/stat line; 0 when it is not there. The
// fields are counted after the command name's closing parenthesis, since the name may hold
// spaces and parentheses.
func startTicks(stat []byte) uint64 {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:]) // from field 3 (state) on
	if len(f) < 20 {
		return 0
	}
	n, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// maxAnomalies is how many anomalies a checker describes (it counts them all).
const maxAnomalies = 5

// writerRun is what a checker knows of one run of a chatty program (one runID).
type writerRun struct {
	next  int  // the sequence number expected next
	ended bool // its end line was seen
}

// checker is the io.Writer a chatty program's log is followed into: it counts the lines of
// program name, and those lost (a gap in a run's sequence, or an end line claiming more),
// duplicated (a sequence number seen again in the same run) and split (a line that is not a
// whole chatty line), and describes the first maxAnomalies of them.
type checker struct {
	name string

	mu                      sync.Mutex
	partial                 []byte
	lines, lost, dup, split int
	runs                    map[string]*writerRun
	bytes                   int64
	lineNo                  int      // lines read, torn ones included
	anomalies               []string // the first maxAnomalies, described
}

func newChecker(name string) *checker { return &checker{name: name, runs: map[string]*writerRun{}} }

// anomaly describes one anomaly at the current line, while fewer than maxAnomalies are.
func (c *checker) anomaly(format string, args ...any) {
	if len(c.anomalies) < maxAnomalies {
		c.anomalies = append(c.anomalies, fmt.Sprintf("%s line %d: ", c.name, c.lineNo)+fmt.Sprintf(format, args...))
	}
}

func (c *checker) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bytes += int64(len(p))
	data := append(c.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		c.line(data[:i])
		data = data[i+1:]
	}
	c.partial = append(c.partial[:0:0], data...)
	return len(p), nil
}

// line checks one line without its newline.
func (c *checker) line(l []byte) {
	c.lineNo++
	f := bytes.Fields(l)
	if len(f) != 4 || string(f[0]) != c.name || !validRunID(f[1]) {
		c.splitLine(l)
		return
	}
	id := string(f[1])
	r := c.runs[id]
	if r == nil {
		r = &writerRun{}
		c.runs[id] = r
	}
	if string(f[2]) == "end" {
		n, err := strconv.Atoi(string(f[3]))
		if err != nil {
			c.splitLine(l)
			return
		}
		if n > r.next {
			c.lost += n - r.next
			c.anomaly("run %s ended after %d lines, %d read: %d lost", id, n, r.next, n-r.next)
		}
		r.ended = true
		return
	}
	seq, err := strconv.Atoi(string(f[2]))
	if err != nil || string(f[3]) != pad {
		c.splitLine(l)
		return
	}
	c.lines++
	switch {
	case seq == r.next:
		r.next++
	case seq > r.next:
		c.lost += seq - r.next
		c.anomaly("run %s: seq %d where %d was expected: %d lost", id, seq, r.next, seq-r.next)
		r.next = seq + 1
	default:
		c.dup++
		c.anomaly("run %s: seq %d again (next expected %d): duplicated", id, seq, r.next)
	}
}

// splitLine counts l as split and describes it (its first 100 bytes).
func (c *checker) splitLine(l []byte) {
	c.split++
	c.anomaly("split: %q", l[:min(len(l), 100)])
}

// validRunID says whether b is a runID: digits, a dot, digits.
func validRunID(b []byte) bool {
	pid, start, ok := bytes.Cut(b, []byte("."))
	return ok && allDigits(pid) && allDigits(start)
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// logCounts are a checker's totals once its log has been read to the end.
type logCounts struct {
	lines, lost, dup, split int
	unended                 int      // runs with no end line: a writer killed, or its last lines lost
	bytes                   int64    // bytes read
	anomalies               []string // the first maxAnomalies lost, duplicated or split, described
}

func (c *checker) counts() logCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := logCounts{lines: c.lines, lost: c.lost, dup: c.dup, split: c.split, bytes: c.bytes,
		anomalies: append([]string(nil), c.anomalies...)}
	if len(c.partial) > 0 {
		n.split++
		n.anomalies = append(n.anomalies, fmt.Sprintf("%s: a partial last line %q", c.name, c.partial[:min(len(c.partial), 100)]))
	}
	var unended []string
	for id, r := range c.runs {
		if !r.ended {
			n.unended++
			unended = append(unended, id)
		}
	}
	sort.Strings(unended)
	for _, id := range unended {
		n.anomalies = append(n.anomalies, fmt.Sprintf("%s: run %s has no end line (%d lines read)", c.name, id, c.runs[id].next))
	}
	n.anomalies = n.anomalies[:min(len(n.anomalies), maxAnomalies)]
	return n
}

func (n *logCounts) add(o logCounts) {
	n.lines += o.lines
	n.lost += o.lost
	n.dup += o.dup
	n.split += o.split
	n.unended += o.unended
	n.bytes += o.bytes
	n.anomalies = append(n.anomalies, o.anomalies[:min(len(o.anomalies), maxAnomalies-len(n.anomalies))]...)
}

// checkFiles checks the log files of chatty program name at path (path.N .. path.1, then path)
// as they are on disk: what the daemon wrote, whoever read it.
func checkFiles(name, path string) (logCounts, error) {
	c := newChecker(name)
	for n := 1; ; n++ {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", path, n)); err != nil {
			for n--; n >= 0; n-- {
				f := path
				if n > 0 {
					f = fmt.Sprintf("%s.%d", path, n)
				}
				b, err := os.ReadFile(f)
				if err != nil {
					return logCounts{}, err
				}
				_, _ = c.Write(b)
			}
			return c.counts(), nil
		}
	}
}
