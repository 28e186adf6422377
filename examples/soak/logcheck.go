package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// pad fills each chatty line to about 80 bytes, so that a torn line shows.
const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// runWriter is a chatty program: rate lines a second, one write(2) each,
// "NAME PID SEQ PAD\n" with SEQ from 0; on SIGTERM or SIGINT it writes "NAME PID end N" (N lines
// written) and exits 0.
func runWriter(name string, rate int) error {
	if rate < 1 {
		rate = 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	pid := os.Getpid()
	for seq := 0; ; seq++ {
		select {
		case <-sig:
			_, err := fmt.Fprintf(os.Stdout, "%s %d end %d\n", name, pid, seq)
			return err
		case <-t.C:
		}
		if _, err := fmt.Fprintf(os.Stdout, "%s %d %d %s\n", name, pid, seq, pad); err != nil {
			return err
		}
	}
}

// writerRun is what a checker knows of one chatty process (one pid).
type writerRun struct {
	next  int  // the sequence number expected next
	ended bool // its end line was seen
}

// checker is the io.Writer a chatty program's log is followed into: it counts the lines of
// program name, and those lost (a gap in a pid's sequence, or an end line claiming more),
// duplicated (a sequence number seen again) and split (a line that is not a whole chatty line).
type checker struct {
	name string

	mu                      sync.Mutex
	partial                 []byte
	lines, lost, dup, split int
	runs                    map[int]*writerRun
	bytes                   int64
}

func newChecker(name string) *checker { return &checker{name: name, runs: map[int]*writerRun{}} }

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
	f := bytes.Fields(l)
	if len(f) != 4 || string(f[0]) != c.name {
		c.split++
		return
	}
	pid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		c.split++
		return
	}
	r := c.runs[pid]
	if r == nil {
		r = &writerRun{}
		c.runs[pid] = r
	}
	if string(f[2]) == "end" {
		n, err := strconv.Atoi(string(f[3]))
		if err != nil {
			c.split++
			return
		}
		if n > r.next {
			c.lost += n - r.next
		}
		r.ended = true
		return
	}
	seq, err := strconv.Atoi(string(f[2]))
	if err != nil || string(f[3]) != pad {
		c.split++
		return
	}
	c.lines++
	switch {
	case seq == r.next:
		r.next++
	case seq > r.next:
		c.lost += seq - r.next
		r.next = seq + 1
	default:
		c.dup++
	}
}

// logCounts are a checker's totals once its log has been read to the end.
type logCounts struct {
	lines, lost, dup, split int
	unended                 int   // pids with no end line: a writer killed, or its last lines lost
	bytes                   int64 // bytes read
}

func (c *checker) counts() logCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := logCounts{lines: c.lines, lost: c.lost, dup: c.dup, split: c.split, bytes: c.bytes}
	if len(c.partial) > 0 {
		n.split++
	}
	for _, r := range c.runs {
		if !r.ended {
			n.unended++
		}
	}
	return n
}

func (n *logCounts) add(o logCounts) {
	n.lines += o.lines
	n.lost += o.lost
	n.dup += o.dup
	n.split += o.split
	n.unended += o.unended
	n.bytes += o.bytes
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
