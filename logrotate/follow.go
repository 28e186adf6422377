package logrotate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// followPoll is how often Follow looks for new data, a rotation or a truncation.
const followPoll = 50 * time.Millisecond

// followBuf is the size of Follow's one read buffer, in bytes.
const followBuf = 32 << 10

// followCheck is how many delivered bytes Follow remembers to recognise a truncated file that
// grew back past the read position.
const followCheck = 64

// Follow writes to w the bytes of the file at path from offset from onwards, then every byte
// appended later, until ctx ends (it then returns nil). A negative from starts at the last -from
// bytes; a from beyond the end starts at the end. A file that does not exist yet is waited for
// and followed from its start.
//
// Follow polls every 50 ms with one fixed 32 KiB buffer and takes no lock: it works on the path,
// whoever writes the file. It carries on across
//   - a rotation by rename (a Writer's rollover, logrotate's `create`, a Clear): it reads the old
//     file to its end and moves to the new file at path once that has data, so writes that still
//     reach the old file before the writer reopens are delivered too;
//   - a truncation in place (logrotate's `copytruncate`, Backups=0): the bytes appended after the
//     last poll and before the copy are taken from path.1 when that is the copy, then the file is
//     followed from its start.
//
// Each byte is delivered once. When several rotations happened between two polls, the files
// rotated in and out meanwhile are found as path.1 .. path.j (up to path.64) and delivered in
// order. Bytes are missed only when they are gone before a poll could read them: files already
// deleted or compressed, several truncations in place within one poll, a truncation without a
// copy. It returns the first error from w, or a *FileError when the file cannot be read.
func Follow(ctx context.Context, path string, from int64, w io.Writer) error {
	return follow(ctx, path, from, w, nil)
}

// follow is Follow; started, when not nil, is called once the file is open and positioned.
func follow(ctx context.Context, path string, from int64, w io.Writer, started func()) error {
	fl := &follower{ctx: ctx, path: path, w: w, buf: make([]byte, followBuf)}
	defer fl.close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if fl.f == nil {
			ok, err := fl.open(fl.path)
			if err != nil {
				return err
			}
			if ok && first {
				if err := fl.seekStart(from); err != nil {
					return err
				}
			}
			if ok && started != nil {
				started()
				started = nil
			}
			first = false
		}
		if fl.f != nil {
			if err := fl.poll(); err != nil {
				return err
			}
		}
		timer.Reset(followPoll)
	}
}

// follower is Follow's state: the open file, the read position, and the last bytes delivered.
type follower struct {
	ctx  context.Context // drain stops early when it ends
	path string
	w    io.Writer
	buf  []byte
	f    *os.File
	pos  int64
	last []byte // up to followCheck bytes delivered just before pos, from f
}

func (fl *follower) close() {
	if fl.f != nil {
		_ = fl.f.Close()
		fl.f = nil
	}
}

// use makes f the current file (closing the previous one), to be read from its start.
func (fl *follower) use(f *os.File) {
	fl.close()
	fl.f, fl.pos, fl.last = f, 0, fl.last[:0]
}

// seekStart positions the first file according to Follow's from.
func (fl *follower) seekStart(from int64) error {
	fi, err := fl.f.Stat()
	if err != nil {
		return fl.fail(err)
	}
	size := fi.Size()
	switch {
	case from < 0:
		fl.pos = satAdd(size, from)
		if fl.pos < 0 {
			fl.pos = 0
		}
	case from > size:
		fl.pos = size
	default:
		fl.pos = from
	}
	// Remember what precedes pos so a later truncation is recognised.
	k := fl.pos
	if k > followCheck {
		k = followCheck
	}
	fl.last = fl.last[:0]
	if k > 0 {
		b := make([]byte, k)
		if _, err := fl.f.ReadAt(b, fl.pos-k); err != nil && err != io.EOF {
			return fl.fail(err)
		}
		fl.last = append(fl.last, b...)
	}
	return nil
}

func (fl *follower) fail(err error) error {
	return &FileError{Op: "follow", Path: fl.path, Kind: ErrFailed, Err: err}
}

// poll delivers what is new in the current file and handles a truncation or a rotation.
func (fl *follower) poll() error {
	truncated, err := fl.truncated()
	if err != nil {
		return err
	}
	if truncated {
		if err := fl.recoverCopy(); err != nil {
			return err
		}
		fl.pos, fl.last = 0, fl.last[:0]
	}
	if err := fl.drain(fl.f); err != nil {
		return err
	}
	// Move on one rotation at a time, each file drained to its end before the next.
	for steps := 0; steps < 4*followMaxShift; steps++ {
		cur, err := fl.f.Stat()
		if err != nil {
			return fl.fail(err)
		}
		at, err := os.Stat(fl.path)
		if err != nil || os.SameFile(cur, at) || (at.Size() == 0 && !fl.movedOn(cur)) {
			// Same file, or no newer file has data yet (the writer may still be writing to the
			// old one until it reopens), or nothing at path right now: stay.
			return nil
		}
		// Rotated: the writer has moved to a newer file, so the current one is complete.
		if err := fl.drain(fl.f); err != nil {
			return err
		}
		moved, err := fl.step(cur)
		if err != nil || !moved {
			return err
		}
		if err := fl.drain(fl.f); err != nil {
			return err
		}
	}
	return nil
}

// followMaxShift bounds the search for the followed file among path.1, path.2 ...
const followMaxShift = 64

// backup returns path.k, or path itself for k = 0.
func (fl *follower) backup(k int) string {
	if k == 0 {
		return fl.path
	}
	return fmt.Sprintf("%s.%d", fl.path, k)
}

// position returns k when cur is now path.k (1 <= k <= followMaxShift), 0 when it is not found.
func (fl *follower) position(cur os.FileInfo) int {
	// No early stop at a missing name: a rotation in progress leaves a gap for a moment.
	for k := 1; k <= followMaxShift; k++ {
		if fi, err := os.Stat(fl.backup(k)); err == nil && os.SameFile(fi, cur) {
			return k
		}
	}
	return 0
}

// movedOn reports whether a file rotated in after cur (path.1 .. path.(jc-1) when cur is path.jc)
// has data: then the writer has left cur even though the file now at path is still empty.
func (fl *follower) movedOn(cur os.FileInfo) bool {
	for k := fl.position(cur) - 1; k >= 1; k-- {
		if fi, err := os.Stat(fl.backup(k)); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}

// step moves from the current file (cur, complete and drained) to the file rotated in right
// after it, and reports whether it moved. When cur is path.jc that successor is the nearest
// existing name below it, path.(jc-1) .. path, seen in one consistent moment. A rotation renames
// from the oldest name down to path, one step each, so while cur stays at path.jc any file below
// it moves at most once (the rest of a rotation in progress) and never past it. So once the
// candidate path.k is open, a scan upwards that finds it still at path.k, nothing in between and
// cur still at path.jc proves there is no file between the two: an in-between file could not
// have dodged a scan that runs against its direction. Otherwise the names moved meanwhile and
// step starts again. When cur is no longer among path.1 .. path.64 (deleted, compressed,
// renamed elsewhere), the files in between are lost and step moves to the file at path.
func (fl *follower) step(cur os.FileInfo) (bool, error) {
	for attempt := 0; attempt < 100 && (fl.ctx == nil || fl.ctx.Err() == nil); attempt++ {
		jc := fl.position(cur)
		if jc == 0 {
			return fl.open(fl.path)
		}
		next, k, err := fl.openBelow(jc)
		if err != nil || next == nil {
			return false, err // nothing below cur yet (path is being re-created): next poll
		}
		if nfi, err := next.Stat(); err == nil && fl.consecutive(k, nfi, jc, cur) {
			fl.use(next)
			return true, nil
		}
		_ = next.Close() // the names moved meanwhile: locate cur again
	}
	return false, nil // the names keep moving: next poll
}

// openBelow opens the nearest existing name below path.jc (path.(jc-1) .. path) and returns it
// with its index; nil when none exists.
func (fl *follower) openBelow(jc int) (*os.File, int, error) {
	for k := jc - 1; k >= 0; k-- {
		f, err := os.Open(fl.backup(k))
		if errors.Is(err, os.ErrNotExist) {
			continue // a gap in the numbers, or a rotation in progress
		}
		if err != nil {
			return nil, 0, fl.fail(err)
		}
		return f, k, nil
	}
	return nil, 0, nil
}

// consecutive scans upwards from path.k to path.jc and reports whether next is at path.k, no
// file is in between, and cur is at path.jc.
func (fl *follower) consecutive(k int, next os.FileInfo, jc int, cur os.FileInfo) bool {
	if fi, err := os.Stat(fl.backup(k)); err != nil || !os.SameFile(fi, next) {
		return false
	}
	for i := k + 1; i < jc; i++ {
		if _, err := os.Lstat(fl.backup(i)); !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	fi, err := os.Stat(fl.backup(jc))
	return err == nil && os.SameFile(fi, cur)
}

// open makes the file at name the current one, read from its start; a missing file is not an
// error (ok is false: the next poll tries again).
func (fl *follower) open(name string) (ok bool, err error) {
	next, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fl.fail(err)
	}
	fl.use(next)
	return true, nil
}

// truncated reports whether the current file shrank below pos, or was truncated and grew back
// (the bytes before pos are not the ones delivered).
func (fl *follower) truncated() (bool, error) {
	fi, err := fl.f.Stat()
	if err != nil {
		return false, fl.fail(err)
	}
	if fi.Size() < fl.pos {
		return true, nil
	}
	if len(fl.last) == 0 {
		return false, nil
	}
	b := fl.buf[:len(fl.last)]
	n, err := fl.f.ReadAt(b, fl.pos-int64(len(fl.last)))
	if err != nil && err != io.EOF {
		return false, fl.fail(err)
	}
	return !bytes.Equal(b[:n], fl.last), nil
}

// recoverCopy delivers, after a copytruncate, the bytes of path.1 past pos when path.1 is the
// copy of what was followed (its bytes before pos are the ones delivered).
func (fl *follower) recoverCopy() error {
	c, err := os.Open(fl.path + ".1")
	if err != nil {
		return nil // no copy: the bytes are gone
	}
	defer c.Close()
	if k := int64(len(fl.last)); k > 0 {
		b := fl.buf[:k]
		n, err := c.ReadAt(b, fl.pos-k)
		if err != nil && err != io.EOF || !bytes.Equal(b[:n], fl.last) {
			return nil // not our copy
		}
	} else if fl.pos > 0 {
		return nil
	}
	return fl.drain(c)
}

// drain copies f from pos to its end into w, or until ctx ends (a file that grows faster than w
// takes it must not keep Follow from returning).
func (fl *follower) drain(f *os.File) error {
	for fl.ctx == nil || fl.ctx.Err() == nil {
		n, err := f.ReadAt(fl.buf, fl.pos)
		if n > 0 {
			if _, werr := fl.w.Write(fl.buf[:n]); werr != nil {
				return werr
			}
			fl.pos += int64(n)
			fl.remember(fl.buf[:n])
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fl.fail(err)
		}
	}
	return nil
}

// remember keeps the last followCheck delivered bytes.
func (fl *follower) remember(p []byte) {
	if len(p) >= followCheck {
		fl.last = append(fl.last[:0], p[len(p)-followCheck:]...)
		return
	}
	if over := len(fl.last) + len(p) - followCheck; over > 0 {
		fl.last = append(fl.last[:0], fl.last[over:]...)
	}
	fl.last = append(fl.last, p...)
}
