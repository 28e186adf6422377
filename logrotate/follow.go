package logrotate

import (
	"bytes"
	"context"
	"errors"
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
// Each byte is delivered once. Bytes are missed only when a file is rotated in and out again
// within one poll, or destroyed before they could be read (a truncation without a copy). It
// returns the first error from w, or a *FileError when the file cannot be read.
func Follow(ctx context.Context, path string, from int64, w io.Writer) error {
	return follow(ctx, path, from, w, nil)
}

// follow is Follow; started, when not nil, is called once the file is open and positioned.
func follow(ctx context.Context, path string, from int64, w io.Writer, started func()) error {
	fl := &follower{path: path, w: w, buf: make([]byte, followBuf)}
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
			ok, err := fl.open()
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

// open opens path; a missing file is not an error (ok is false).
func (fl *follower) open() (ok bool, err error) {
	f, err := os.Open(fl.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, &FileError{Op: "follow", Path: fl.path, Kind: ErrFailed, Err: err}
	}
	fl.f, fl.pos, fl.last = f, 0, fl.last[:0]
	return true, nil
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
	cur, err := fl.f.Stat()
	if err != nil {
		return fl.fail(err)
	}
	at, err := os.Stat(fl.path)
	if err != nil || os.SameFile(cur, at) || at.Size() == 0 {
		// Same file, or the new file has no data yet (the writer may still be writing to the old
		// one until it reopens), or nothing at path right now: stay.
		return nil
	}
	// Rotated: the writer has moved to the new file, so the old one is complete.
	if err := fl.drain(fl.f); err != nil {
		return err
	}
	fl.close()
	if _, err := fl.open(); err != nil {
		return err
	}
	if fl.f == nil {
		return nil
	}
	return fl.drain(fl.f)
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

// drain copies f from pos to its end into w.
func (fl *follower) drain(f *os.File) error {
	for {
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
