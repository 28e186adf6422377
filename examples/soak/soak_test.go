package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// feed writes the lines to a checker in uneven pieces, as Follow delivers them.
func feed(c *checker, lines ...string) {
	data := []byte(strings.Join(lines, ""))
	for len(data) > 0 {
		n := min(len(data), 7)
		_, _ = c.Write(data[:n])
		data = data[n:]
	}
}

// chattyLine is line seq of a writer run with pid, started at tick 100+pid.
func chattyLine(name string, pid, seq int) string {
	return name + " " + runID(pid, uint64(100+pid)) + " " + strconv.Itoa(seq) + " " + pad + "\n"
}

func endLine(name string, pid, n int) string {
	return name + " " + runID(pid, uint64(100+pid)) + " end " + strconv.Itoa(n) + "\n"
}

func TestCheckerCounts(t *testing.T) {
	c := newChecker("w")
	feed(c,
		chattyLine("w", 10, 0), chattyLine("w", 10, 1), chattyLine("w", 10, 3), // 1 lost
		chattyLine("w", 10, 3),                // duplicated
		"w 10.110 4 abc\n",                    // split: not a whole line
		endLine("w", 10, 6),                   // 4 was torn, 5 never came: 2 lost
		chattyLine("w", 11, 2),                // a new run starting at 2: 2 lost
		chattyLine("other", 11, 3),            // another program's line: split
		"w 11 3 "+pad+"\n",                    // a pid without its start time: split
		chattyLine("w", 12, 0), "w 12.112 0 ", // no end line, a partial last line
	)
	n := c.counts()
	assert.Equal(t, []string{
		"w line 3: run 10.110: seq 3 where 2 was expected: 1 lost",
		"w line 4: run 10.110: seq 3 again (next expected 4): duplicated",
		`w line 5: split: "w 10.110 4 abc"`,
		"w line 6: run 10.110 ended after 6 lines, 4 read: 2 lost",
		"w line 7: run 11.111: seq 2 where 0 was expected: 2 lost",
	}, n.anomalies, "the first maxAnomalies, in the order seen")
	assert.Equal(t, logCounts{lines: 6, lost: 5, dup: 1, split: 4, unended: 2, bytes: n.bytes, anomalies: n.anomalies}, n)
}

// A pid used again by a later run of the same program (a soak spawns more processes than
// pid_max) is a new run, told apart by its start time: its lines are neither duplicated nor
// lost, and each run's end line is its own.
func TestCheckerPidReusedByALaterRun(t *testing.T) {
	line := func(id string, seq int) string { return "w " + id + " " + strconv.Itoa(seq) + " " + pad + "\n" }
	first, second := runID(4242, 1000), runID(4242, 905000)
	c := newChecker("w")
	feed(c,
		line(first, 0), line(first, 1), line(first, 2), "w "+first+" end 3\n",
		line(runID(4243, 1001), 0), "w "+runID(4243, 1001)+" end 1\n",
		line(second, 0), line(second, 1), "w "+second+" end 2\n",
	)
	n := c.counts()
	assert.Equal(t, logCounts{lines: 6, bytes: n.bytes}, n)

	// Keyed on the pid alone, the second run's lines would be duplicates of the first's.
	c = newChecker("w")
	feed(c, line(first, 0), line(first, 1), "w "+first+" end 2\n", line(first, 0), line(first, 1), "w "+first+" end 2\n")
	n = c.counts()
	assert.Equal(t, 2, n.dup, "the same run's sequence numbers seen again")
}

func TestStartTicks(t *testing.T) {
	// Field 22 of /proc/PID/stat, counted after the command name, which may hold ") ".
	stat := "4242 (soak) x (y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 7 0 905123 1000000 300 18446744073709551615\n"
	assert.Equal(t, uint64(905123), startTicks([]byte(stat)))
	assert.Equal(t, uint64(0), startTicks([]byte("4242 (soak) S 1 2")), "too short")
	assert.Equal(t, uint64(0), startTicks([]byte("garbage")))
	assert.NotZero(t, selfStartTicks(), "this process's own start time")
}

func TestCheckFilesReadsBackupsOldestFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.log")
	l := func(seq int) string { return chattyLine("w", 7, seq) }
	// A line split across a rotation is whole again once the files are joined.
	require.NoError(t, os.WriteFile(path+".2", []byte(l(0)+l(1)[:10]), 0o644))
	require.NoError(t, os.WriteFile(path+".1", []byte(l(1)[10:]+l(2)), 0o644))
	require.NoError(t, os.WriteFile(path, []byte(l(3)+endLine("w", 7, 4)), 0o644))
	n, err := checkFiles("w", path)
	require.NoError(t, err)
	assert.Equal(t, logCounts{lines: 4, bytes: n.bytes}, n)
}

func TestTrendAndGrowth(t *testing.T) {
	var ss []sample
	for i := 0; i < 40; i++ {
		ss = append(ss, sample{at: time.Duration(i) * time.Second, rssKB: 20000, goroutines: 50, fds: 300})
	}
	tr := trendOf(ss, 10*time.Second)
	assert.Equal(t, int64(20000), tr.to.rssKB)
	assert.Empty(t, tr.growth(), "flat series")
	for i := 30; i < 40; i++ {
		ss[i].rssKB, ss[i].goroutines, ss[i].fds = 40000, 200, 900
	}
	g := trendOf(ss, 10*time.Second).growth()
	assert.Contains(t, g, "rss 20000->40000 kB")
	assert.Contains(t, g, "goroutines 50->200")
	assert.Contains(t, g, "fds 300->900")
}

func TestMetricValue(t *testing.T) {
	m := "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 17\ngo_goroutines_other 3\n"
	assert.Equal(t, 17, metricValue(strings.NewReader(m), "go_goroutines"))
	assert.Equal(t, -1, metricValue(strings.NewReader("nothing 1\n"), "go_goroutines"))
}

func TestPlotIsAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	ss := []sample{{at: 0, rssKB: 1000, goroutines: -1, fds: 10}, {at: time.Minute, rssKB: 3000, goroutines: -1, fds: 12}}
	require.NoError(t, plotSamples(path, ss))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 900, img.Bounds().Dx())
}

// A short soak of the real daemon: 60 programs for 40 seconds with reloads every 10 s. Nothing
// lost, duplicated or split, no orphan, and the summary line in the format.
func TestShortSoak(t *testing.T) {
	testenv.Short(t)
	dir := t.TempDir()
	daemon, self := filepath.Join(dir, "supervisord-lite"), filepath.Join(dir, "soak")
	require.NoError(t, testenv.GoBuild("../supervisord-lite", daemon))
	require.NoError(t, testenv.GoBuild(".", self))
	var log bytes.Buffer
	r, err := run(context.Background(), options{daemon: daemon, self: self, programs: 60, duration: 40 * time.Second,
		out: dir, rate: 20, sampleEvery: 2 * time.Second, reloadEvery: 10 * time.Second}, &log)
	require.NoError(t, err, log.String())
	t.Log(r.summary())
	assert.Regexp(t, regexp.MustCompile(`^soak: 60 programs, [0-9.]+ min, lines [0-9]+, lost 0, duplicated 0, split 0, orphans 0, rss_mb [0-9.]+->[0-9.]+, goroutines -?[0-9]+->-?[0-9]+, fds [0-9]+->[0-9]+$`), r.summary())
	assert.Greater(t, r.logs.lines, 1000, "6 writers at 20 lines a second for 40 s")
	assert.GreaterOrEqual(t, r.reloads, 2)
	assert.Greater(t, r.toggles, int64(0))
	assert.Greater(t, r.pages, int64(0))
	assert.Greater(t, len(r.samples), 5)
	for _, f := range r.failures() {
		if !strings.HasPrefix(f, "growth") { // 40 s is too short to judge growth
			t.Error(f, "\n", log.String())
		}
	}
}

func TestLineReachesItsEnd(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 50, 50))
	for _, l := range [][4]int{{0, 0, 49, 7}, {3, 40, 9, 2}, {49, 49, 0, 0}, {5, 5, 5, 30}, {7, 7, 7, 7}} {
		line(img, l[0], l[1], l[2], l[3], color.Black)
		_, _, _, a := img.At(l[2], l[3]).RGBA()
		assert.NotZero(t, a, "line %v ends at its end point", l)
	}
}
