package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// residentKB sums the Rss of the mappings of /proc/self/smaps that start at one of rs.
func residentKB(t *testing.T, rs []codeRange) int {
	t.Helper()
	starts := map[uintptr]bool{}
	for _, r := range rs {
		starts[r.start] = true
	}
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	sum, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if lo, _, ok := strings.Cut(fs[0], "-"); ok && !strings.HasSuffix(fs[0], ":") {
			a, err := strconv.ParseUint(lo, 16, 64)
			in = err == nil && starts[uintptr(a)]
			continue
		}
		if in && fs[0] == "Rss:" {
			n, err := strconv.Atoi(fs[1])
			require.NoError(t, err)
			sum += n
		}
	}
	require.NoError(t, sc.Err())
	return sum
}

// The code pages of the running binary (this test binary here) leave the resident set, and
// the code keeps running: what it needs next comes back from the page cache.
func TestReleaseCode(t *testing.T) {
	rs, err := readCodeRanges("/proc/self/maps")
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	exe, err := os.Executable()
	require.NoError(t, err)
	st, err := os.Stat(exe)
	require.NoError(t, err)
	var mapped uintptr
	for _, r := range rs {
		mapped += r.end - r.start
	}
	assert.Less(t, int64(mapped), st.Size()+1<<20, "only the executable's own mappings")

	before := residentKB(t, rs)
	require.NoError(t, releaseCode())
	after := residentKB(t, rs)
	t.Logf("resident code of the test binary: %d kB before, %d kB after (mapped %d kB)", before, after, mapped>>10)
	assert.Less(t, after, before/2)
	require.NoError(t, releaseCode(), "again")
	// Code runs as before after the release: the same parse gives the same ranges.
	again, err := readCodeRanges("/proc/self/maps")
	require.NoError(t, err)
	assert.Equal(t, rs, again)
}

// readCodeRanges keeps the read-only mappings of the file holding the code, by device and
// inode (the path may be gone or renamed), and nothing else.
func TestReadCodeRanges(t *testing.T) {
	pc := uint64(reflect.ValueOf(readCodeRanges).Pointer())
	own := func(lo, hi uint64, perms, inode, path string) string {
		return fmt.Sprintf("%x-%x %s 00000000 fd:01 %s %s", lo, hi, perms, inode, path)
	}
	lines := []string{
		own(pc&^0xfff-0x1000, pc&^0xfff+0x10000, "r-xp", "4242", "/usr/local/bin/supervisord-lite (deleted)"),
		own(pc&^0xfff+0x10000, pc&^0xfff+0x20000, "r--p", "4242", "/usr/local/bin/supervisord-lite (deleted)"),
		own(pc&^0xfff+0x20000, pc&^0xfff+0x21000, "rw-p", "4242", "/usr/local/bin/supervisord-lite (deleted)"),
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ",
		own(0x7f1000000000, 0x7f1000010000, "r-xp", "77", "/usr/lib/libc.so.6"),
		"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]",
	}
	dir := t.TempDir()
	maps := filepath.Join(dir, "maps")
	require.NoError(t, os.WriteFile(maps, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	rs, err := readCodeRanges(maps)
	require.NoError(t, err)
	base := uintptr(pc &^ 0xfff)
	assert.Equal(t, []codeRange{{base - 0x1000, base + 0x10000}, {base + 0x10000, base + 0x20000}}, rs)

	require.NoError(t, os.WriteFile(maps, []byte(lines[4]+"\n"), 0o644))
	_, err = readCodeRanges(maps)
	assert.ErrorContains(t, err, "no mapping holds the daemon's code")
	require.NoError(t, os.WriteFile(maps, []byte("zz-yy r-xp 0 fd:01 12 /x\n"), 0o644))
	_, err = readCodeRanges(maps)
	assert.ErrorContains(t, err, `bad address range "zz-yy"`)
	_, err = readCodeRanges(filepath.Join(dir, "nosuch"))
	assert.Error(t, err)
}
