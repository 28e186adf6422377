package supervise

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// Disk full, for real: a 256 KiB tmpfs holds the child's log; once it is full the child is
// never blocked (its output keeps arriving), the supervisor keeps answering, the loss is
// counted and logged once, and logging resumes when space is freed.
func TestRealDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		testenv.Missing(t, "permission to mount a tmpfs (root): "+err.Error())
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	h := newReal(t)
	p := helperProg(t, "ticker", "tick")
	p.Stdout.Path = filepath.Join(dir, "ticker.log")
	p.Stdout.MaxBytes = -1 // never rotate
	p.Stdout.Events = true
	p.Stderr.Path = LogNone
	h.add(p)
	h.untilOutput("ticker", "tick 00000010")

	// Fill the filesystem.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("f"), 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	file := h.sv.groupsForTest()["ticker"].procs[0].out.stdout.file
	testenv.WaitFor(t, "file.Dropped() > 0", func() bool { return file.Dropped() > 0 })
	sizeFull := fileSize(t, p.Stdout.Path)

	// The child is not blocked: 300 more lines arrive while the disk is full.
	last, _, err := h.sv.LastOutput("ticker")
	require.NoError(t, err)
	n := lastTick(last)
	h.untilOutput("ticker", tickLine(n+300))
	infos, err := h.sv.Status("ticker")
	require.NoError(t, err)
	assert.Equal(t, Running, infos[0].State, "still running and answering")
	// tmpfs allocates whole pages, and a big write can fail (a large folio does not fit) where a
	// smaller one later fits into the page the file already has: while full, the file may grow
	// into the rest of its last page, never beyond.
	sizeLater := fileSize(t, p.Stdout.Path)
	const page = 4096
	assert.LessOrEqual(t, sizeLater, (sizeFull+page-1)/page*page, "nothing written beyond the file's last page while full")

	// Free the space: logging resumes by itself.
	require.NoError(t, filler.Close())
	require.NoError(t, os.Remove(filler.Name()))
	testenv.WaitFor(t, "fileSize(t, p.Stdout.Path) > sizeFull+1000", func() bool { return fileSize(t, p.Stdout.Path) > sizeFull+1000 })
	errLines := 0
	for _, l := range h.log.lines() {
		if bytes.HasPrefix([]byte(l), []byte("ERRO stdout log of ticker:")) {
			errLines++
		}
	}
	// Writes that fitted in between do not end the episode (logrotate.ErrorQuiet).
	assert.Equal(t, 1, errLines, "the error episode is logged once")
	_, err = h.sv.Stop(context.Background(), "ticker", true)
	require.NoError(t, err)
	h.stop()
}

func fileSize(t *testing.T, name string) int64 {
	fi, err := os.Stat(name)
	require.NoError(t, err)
	return fi.Size()
}

func tickLine(n int) string { return "tick " + pad8(n) }

func pad8(n int) string {
	b := []byte("00000000")
	for i := 7; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

// lastTick returns the number of the last complete tick line in b.
func lastTick(b []byte) int {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	l := lines[len(lines)-1]
	n := 0
	for _, c := range bytes.TrimPrefix(l, []byte("tick ")) {
		n = n*10 + int(c-'0')
	}
	return n
}

// groupsForTest returns the group table by name.
func (s *Supervisor) groupsForTest() map[string]*groupEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]*groupEntry{}
	for _, g := range s.groups {
		m[g.cfg.Name] = g
	}
	return m
}
