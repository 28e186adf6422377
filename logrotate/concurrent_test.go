package logrotate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Several goroutines write sequence-numbered lines through more than 1000 rotations: every line
// is in exactly one file, whole, and each goroutine's lines are in order across the files.
func TestConcurrentWritersThroughThousandRotations(t *testing.T) {
	const writers, lines = 8, 3500
	dir := t.TempDir()
	w := &Writer{Filename: filepath.Join(dir, "c.log"), MaxBytes: 400, Backups: 1}
	// Collect every rotated file as it is made (in order), so that Backups can stay small.
	var rotatedFiles [][]byte
	w.rotated = func(backup string) {
		data, err := os.ReadFile(backup)
		if err != nil {
			t.Errorf("reading %s: %v", backup, err)
		}
		rotatedFiles = append(rotatedFiles, data)
	}
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < lines; i++ {
				_, _ = fmt.Fprintf(w, "g%d %05d %s\n", g, i, strings.Repeat("z", i%13))
			}
		}(g)
	}
	wg.Wait()
	require.NoError(t, w.Close())
	require.Zero(t, w.Dropped())

	// Oldest file first, then the current file.
	rotations := len(rotatedFiles)
	assert.GreaterOrEqual(t, rotations, 1000)
	current, err := os.ReadFile(w.Filename)
	require.NoError(t, err)
	next := make([]int, writers)
	for k, data := range append(rotatedFiles, current) {
		name := fmt.Sprintf("rotated file %d", k+1)
		if k < rotations {
			assert.GreaterOrEqual(t, len(data), 400, "%s rotated before MaxBytes", name)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if l == "" {
				continue
			}
			var g, i int
			_, err := fmt.Sscanf(l, "g%d %d", &g, &i)
			require.NoError(t, err, "torn line %q in %s", l, name)
			require.Equal(t, fmt.Sprintf("g%d %05d %s", g, i, strings.Repeat("z", i%13)), l, "torn line in %s", name)
			require.Equal(t, next[g], i, "writer %d: line lost or duplicated in %s", g, name)
			next[g]++
		}
	}
	for g := range next {
		assert.Equal(t, lines, next[g], "writer %d", g)
	}
}
