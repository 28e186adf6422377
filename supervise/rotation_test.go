package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A child writing sequence-numbered lines in writes that end mid-line, through hundreds of
// rotations: every line is in the files exactly once, and none is torn at a rotation. (Keeping
// every backup makes each rotation rename all of them, as supervisord's scheme does, so the
// count stays in the hundreds; logrotate's own tests go through 1000 rotations.)
func TestRealCaptureThroughRotations(t *testing.T) {
	const lines = 66000 // 9 bytes each, written 1000 bytes at a time: 594 writes
	h := newReal(t)
	p := helperProg(t, "seq", "seq", strconv.Itoa(lines))
	p.Stdout.Path = filepath.Join(h.dir, "seq.log")
	p.Stdout.MaxBytes = 512
	p.Stdout.Backups = 700
	p.AutoRestart = RestartNever
	p.StartSecs = -1
	h.add(p)
	h.untilState("seq", Exited)

	seen := make([]int, lines)
	rotations := 0
	check := func(name string) {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		if len(data) == 0 {
			return
		}
		require.True(t, strings.HasSuffix(string(data), "\n"), "%s ends inside a line", name)
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			n, err := strconv.Atoi(l)
			require.NoError(t, err, "torn line %q in %s", l, name)
			require.Len(t, l, 8, "torn line %q in %s", l, name)
			seen[n]++
		}
	}
	check(p.Stdout.Path)
	for i := 1; ; i++ {
		name := fmt.Sprintf("%s.%d", p.Stdout.Path, i)
		if _, err := os.Stat(name); err != nil {
			break
		}
		rotations++
		check(name)
	}
	// One rotation per captured chunk that reaches MaxBytes: how many writes of the child one
	// read gathers depends on the machine's load (39 of 594 writes were seen under a loaded CI),
	// so the count only has to show that rotation kept happening through the stream.
	assert.GreaterOrEqual(t, rotations, 10, "rotations: one per captured chunk that reaches MaxBytes")
	t.Logf("%d rotations", rotations)
	lost, dup := 0, 0
	for _, c := range seen {
		switch {
		case c == 0:
			lost++
		case c > 1:
			dup++
		}
	}
	assert.Equal(t, 0, lost, "lines lost")
	assert.Equal(t, 0, dup, "lines duplicated")
}
