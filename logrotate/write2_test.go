package logrotate

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readSet returns the contents of name and its backups, oldest first, "" for a missing file.
func readSet(t *testing.T, name string, backups int) []string {
	t.Helper()
	var out []string
	for i := backups; i >= 0; i-- {
		p := name
		if i > 0 {
			p = name + "." + string(rune('0'+i))
		}
		b, err := os.ReadFile(p)
		if err != nil {
			require.ErrorIs(t, err, os.ErrNotExist)
		}
		out = append(out, string(b))
	}
	return out
}

// Write2(p, q) must leave the same files as Write(p+q): same rotation points, same sizes.
func TestWrite2IsWriteOfTheConcatenation(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		backups  int
		seed     int64
	}{
		{"no rotation", 0, 0, 1},
		{"rotating, 2 backups", 700, 2, 2},
		{"rotating, truncate in place", 500, 0, 3},
		{"rotating, 5 backups", 1000, 5, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			one := &Writer{Filename: filepath.Join(dir, "one.log"), MaxBytes: tt.maxBytes, Backups: tt.backups}
			two := &Writer{Filename: filepath.Join(dir, "two.log"), MaxBytes: tt.maxBytes, Backups: tt.backups}
			defer one.Close()
			defer two.Close()
			rng := rand.New(rand.NewSource(tt.seed))
			line := 0
			for i := 0; i < 200; i++ {
				var chunk []byte
				for k := rng.Intn(6); k >= 0; k-- {
					chunk = append(chunk, []byte("line "+string(rune('a'+line%26))+string(bytes.Repeat([]byte("."), rng.Intn(40)))+"\n")...)
					line++
				}
				cut := rng.Intn(len(chunk) + 1) // 0 and len(chunk) give an empty p or q
				n, err := two.Write2(chunk[:cut], chunk[cut:])
				require.NoError(t, err)
				assert.Equal(t, len(chunk), n)
				_, err = one.Write(chunk)
				require.NoError(t, err)
				require.Equal(t, one.Size(), two.Size(), "after write %d", i)
			}
			assert.Equal(t, readSet(t, one.Filename, tt.backups), readSet(t, two.Filename, tt.backups))
			assert.Zero(t, two.Dropped())
		})
	}
}

// A failing disk drops both halves of a Write2 and undoes what reached the file.
func TestWrite2DiskError(t *testing.T) {
	tests := []struct {
		name string
		p, q string
	}{
		{"both", "held partial ", "and the rest\n"},
		{"empty p", "", "only q\n"},
		{"empty q", "only p\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &disk{}
			errs := &errorLog{}
			w := &Writer{Filename: filepath.Join(t.TempDir(), "d.log"), OnError: errs.add, openFile: d.open}
			defer w.Close()
			_, _ = w.Write([]byte("before\n"))
			d.set(syscall.ENOSPC, nil)
			n, err := w.Write2([]byte(tt.p), []byte(tt.q))
			require.NoError(t, err)
			assert.Equal(t, len(tt.p)+len(tt.q), n)
			assert.Equal(t, int64(len(tt.p)+len(tt.q)), w.Dropped())
			require.Len(t, errs.all(), 1)
			assert.ErrorIs(t, errs.all()[0], syscall.ENOSPC)
			d.set(nil, nil)
			_, _ = w.Write2([]byte("after"), []byte("\n"))
			b, err := os.ReadFile(w.Filename)
			require.NoError(t, err)
			assert.Equal(t, "before\nafter\n", string(b))
		})
	}
}
