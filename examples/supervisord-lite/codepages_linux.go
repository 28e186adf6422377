package main

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// The daemon's own code (its executable's read-only mappings: text, rodata, pclntab) is most
// of its resident memory when it is idle: starting up, loading a configuration or answering a
// status call runs code from all over the 12 MB binary, and the kernel maps the neighbours of
// each page it faults in (fault-around, 64 kB), so about 7 MB of clean file pages stay mapped
// although an idle daemon runs a few kilobytes of code. releaseCode drops these mappings with
// madvise(MADV_DONTNEED). The pages stay in the page cache (shared with `ctl` and every other
// process that runs the binary); what the daemon runs next is mapped again by a minor fault,
// without disk I/O. Nothing is lost: the mappings are read-only and never written.

var (
	codeOnce   sync.Once
	codeRanges []codeRange
	codeErr    error
)

type codeRange struct{ start, end uintptr }

// releaseCode drops the resident pages of the executable's read-only mappings; it returns
// the error of the first failure (reading /proc/self/maps or madvise), after which it does
// nothing.
func releaseCode() error {
	codeOnce.Do(func() { codeRanges, codeErr = readCodeRanges("/proc/self/maps") })
	if codeErr != nil {
		return codeErr
	}
	for _, r := range codeRanges {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, r.start, r.end-r.start, unix.MADV_DONTNEED); errno != 0 {
			codeErr = fmt.Errorf("madvise %#x-%#x: %w", r.start, r.end, errno)
			return codeErr
		}
	}
	return nil
}

// readCodeRanges returns the mappings of the file that holds this function's code (same
// device and inode, so a binary replaced on disk since it started is still found) that are
// not writable: a writable private mapping may hold changed pages, which MADV_DONTNEED would
// discard.
func readCodeRanges(maps string) ([]codeRange, error) {
	f, err := os.Open(maps)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type mapping struct {
		codeRange
		perms, file string // file = "device inode"
	}
	var all []mapping
	pc := reflect.ValueOf(readCodeRanges).Pointer()
	own := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// address perms offset dev inode [path]
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || fs[4] == "0" {
			continue // anonymous
		}
		lo, hi, ok := strings.Cut(fs[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: bad address range %q", maps, fs[0])
		}
		m := mapping{codeRange{uintptr(start), uintptr(end)}, fs[1], fs[3] + " " + fs[4]}
		if m.start <= pc && pc < m.end {
			own = m.file
		}
		all = append(all, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", maps, err)
	}
	if own == "" {
		return nil, fmt.Errorf("%s: no mapping holds the daemon's code", maps)
	}
	var rs []codeRange
	for _, m := range all {
		if m.file == own && !strings.Contains(m.perms, "w") {
			rs = append(rs, m.codeRange)
		}
	}
	return rs, nil
}
