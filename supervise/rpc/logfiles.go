package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// LogReader reads log files for readLog, readProcess*Log, tailProcess*Log and the /logtail
// streams. Errors should wrap ErrNoLogFile, ErrBadArguments or ErrLogFailed. The zero
// Options use FileLogs.
type LogReader interface {
	// ReadFile follows supervisord's readFile: offset >= 0 reads length bytes (0 = to the end)
	// from offset; a negative offset reads the last -offset bytes and needs length 0.
	ReadFile(path string, offset, length int64) ([]byte, error)
	// TailFile follows supervisord's tailFile: at most length bytes ending at the end of the
	// file when the file has grown past offset+length (overflow), and the file size as the new
	// offset.
	TailFile(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error)
	// Follow writes the file from offset from (negative = the last -from bytes) and then every
	// byte appended to it until ctx ends, reopening the file when it is rotated.
	Follow(ctx context.Context, path string, from int64, w io.Writer) error
}

// FileLogs is the built-in LogReader over plain files, with supervisord's offset rules.
// PollInterval is how often Follow looks for new data; 0 = 100 ms (supervisord's tail_f
// producer delay).
type FileLogs struct {
	PollInterval time.Duration
}

var _ LogReader = FileLogs{}

// maxRead bounds one ReadFile result: supervisorctl asks for 1600 bytes; a client asking for
// "the whole file" gets at most this much, from the requested offset.
const maxRead = 16 << 20

func openLog(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, fmt.Errorf("%w: %v", ErrNoLogFile, err)
		}
		return nil, 0, fmt.Errorf("%w: %v", ErrLogFailed, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %v", ErrLogFailed, err)
	}
	return f, st.Size(), nil
}

// ReadFile implements LogReader.
func (FileLogs) ReadFile(path string, offset, length int64) ([]byte, error) {
	if offset < 0 && length != 0 || offset >= 0 && length < 0 {
		return nil, ErrBadArguments
	}
	f, size, err := openLog(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pos, n := offset, length
	if offset < 0 {
		pos, n = size+offset, -offset
		if pos < 0 {
			pos = 0
		}
	}
	if n == 0 || n > size-pos {
		n = size - pos
	}
	if n <= 0 {
		return []byte{}, nil
	}
	if n > maxRead {
		n = maxRead
	}
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, pos)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: %v", ErrLogFailed, err)
	}
	return buf[:m], nil
}

// TailFile implements LogReader.
func (FileLogs) TailFile(path string, offset, length int64) ([]byte, int64, bool, error) {
	f, size, err := openLog(path)
	if err != nil {
		return nil, offset, false, err
	}
	defer f.Close()
	overflow := false
	if size > offset+length {
		overflow = true
		offset = size - 1
	}
	if offset+length > size {
		if offset > size-1 {
			length = 0
		}
		offset = size - length
	}
	if offset < 0 {
		offset = 0
	}
	if length < 0 {
		length = 0
	}
	if length > maxRead {
		length = maxRead
	}
	buf := make([]byte, length)
	m, err := f.ReadAt(buf, offset)
	if err != nil && err != io.EOF {
		return nil, offset, false, fmt.Errorf("%w: %v", ErrLogFailed, err)
	}
	return buf[:m], size, overflow, nil
}

// Follow implements LogReader, as supervisord's tail_f producer: it polls the size, starts
// over (after writing "==> File truncated <==") when the file shrinks, and reopens the path
// when its inode changes (rotation).
func (l FileLogs) Follow(ctx context.Context, path string, from int64, w io.Writer) error {
	interval := l.PollInterval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	f, size, err := openLog(path)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	pos := from
	if from < 0 {
		pos = size + from
	}
	if pos < 0 || pos > size {
		pos = 0
	}
	buf := make([]byte, 32<<10)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// Rotation: the path now names another file.
		if st, err := os.Stat(path); err == nil {
			if cur, err := f.Stat(); err == nil && !os.SameFile(st, cur) {
				if nf, err := os.Open(path); err == nil {
					f.Close()
					f, pos = nf, 0
				}
			}
		}
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrLogFailed, err)
		}
		if st.Size() < pos {
			pos = 0
			if _, err := io.WriteString(w, "==> File truncated <==\n"); err != nil {
				return err
			}
		}
		for pos < st.Size() {
			n, err := f.ReadAt(buf, pos)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				pos += int64(n)
			}
			if err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
