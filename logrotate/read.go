package logrotate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// The kinds of read errors, named after supervisor's XML-RPC faults. Test with errors.Is; a
// [*FileError] carries one of them.
var (
	// ErrNoFile: the log file does not exist (fault NO_FILE).
	ErrNoFile = errors.New("no file")
	// ErrBadArguments: offset and length do not fit readFile's rules (fault BAD_ARGUMENTS).
	ErrBadArguments = errors.New("bad arguments")
	// ErrFailed: the file exists but could not be read (fault FAILED).
	ErrFailed = errors.New("failed")
)

// FileError is the error of [ReadFile], [TailFile] and [Follow]: what was done to which file,
// the kind (ErrNoFile, ErrBadArguments or ErrFailed) and the cause (an *os.PathError, or nil).
type FileError struct {
	Op   string // "read", "tail" or "follow"
	Path string // the file named by the caller
	Kind error  // ErrNoFile, ErrBadArguments or ErrFailed
	Err  error  // the underlying error, or nil
	// Detail explains a bad argument, e.g. "negative offset -5 with length 3".
	Detail string
}

// Error returns e.g. "logrotate: read /var/log/app.log: bad arguments: negative length -1".
func (e *FileError) Error() string {
	s := fmt.Sprintf("logrotate: %s %s: %v", e.Op, e.Path, e.Kind)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the kind and the cause, so errors.Is works with both (ErrNoFile, fs.ErrNotExist).
func (e *FileError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func openErr(op, path string, err error) *FileError {
	kind := ErrFailed
	if errors.Is(err, os.ErrNotExist) {
		kind = ErrNoFile
	}
	return &FileError{Op: op, Path: path, Kind: kind, Err: err}
}

// ReadFile reads from the file at path with the rules of supervisord's readLog and
// readProcessStdoutLog (options.py readFile):
//   - offset >= 0: length bytes from offset, or everything to EOF when length is 0; a negative
//     length is ErrBadArguments;
//   - offset < 0: the last -offset bytes (the whole file if it is shorter); length must be 0,
//     otherwise ErrBadArguments;
//   - an offset past EOF gives no data and no error.
//
// A missing file is ErrNoFile (checked first, as supervisord does); any other failure ErrFailed.
// Offsets and lengths are in bytes.
func ReadFile(path string, offset, length int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr("read", path, err)
	}
	defer f.Close()
	bad := func(format string, a ...any) error {
		return &FileError{Op: "read", Path: path, Kind: ErrBadArguments, Detail: fmt.Sprintf(format, a...)}
	}
	if offset < 0 && length != 0 {
		return nil, bad("negative offset %d with length %d (must be 0)", offset, length)
	}
	if offset >= 0 && length < 0 {
		return nil, bad("negative length %d", length)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, &FileError{Op: "read", Path: path, Kind: ErrFailed, Err: err}
	}
	size := fi.Size()
	var pos, n int64
	switch {
	case offset < 0:
		back := int64(math.MaxInt64)
		if offset != math.MinInt64 {
			back = -offset
		}
		pos = size - back
		if pos < 0 {
			pos = 0
		}
		n = back
	case length == 0:
		pos, n = offset, math.MaxInt64
	default:
		pos, n = offset, length
	}
	data, err := readAt(f, pos, n, size)
	if err != nil {
		return nil, &FileError{Op: "read", Path: path, Kind: ErrFailed, Err: err}
	}
	return data, nil
}

// readAt reads up to n bytes at pos until EOF; size (the file size seen before) sizes the buffer
// so that a huge n allocates nothing in advance.
func readAt(f *os.File, pos, n, size int64) ([]byte, error) {
	if n <= 0 || pos < 0 {
		return []byte{}, nil
	}
	hint := size - pos
	if hint < 0 {
		hint = 0
	}
	if hint > n {
		hint = n
	}
	if pos > math.MaxInt64-n {
		n = math.MaxInt64 - pos
	}
	buf := make([]byte, 0, hint)
	r := io.LimitReader(io.NewSectionReader(f, pos, n), n)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= n {
				return buf, nil
			}
			buf = append(buf, 0)[:len(buf)] // grow
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// TailFile reads the end of the file at path with the rules of supervisord's tailProcessLog
// (options.py tailFile): it returns up to length bytes from offset; when the file has grown past
// offset+length, overflow is true and the last length bytes are returned instead. newOffset is
// always the file size, to pass as the next offset. A negative length returns no data.
//
// As supervisord, errors do not change the result shape: a missing file gives (empty, 0, false)
// with an ErrNoFile error, another failure gives (empty, offset, false) with ErrFailed. Callers
// that answer tailProcessLog may ignore err.
func TailFile(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		ferr := openErr("tail", path, err)
		if ferr.Kind == ErrNoFile {
			return []byte{}, 0, false, ferr
		}
		return []byte{}, offset, false, ferr
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return []byte{}, offset, false, &FileError{Op: "tail", Path: path, Kind: ErrFailed, Err: err}
	}
	pos, n, overflow := tailRange(fi.Size(), offset, length)
	data, err = readAt(f, pos, n, fi.Size())
	if err != nil {
		return []byte{}, offset, false, &FileError{Op: "tail", Path: path, Kind: ErrFailed, Err: err}
	}
	return data, fi.Size(), overflow, nil
}

// tailRange is tailFile's arithmetic: which bytes to read from a file of sz bytes. Additions and
// subtractions saturate instead of wrapping, which gives Python's unbounded-integer results for
// every case where they matter (a range beyond EOF reads nothing either way).
func tailRange(sz, offset, length int64) (pos, n int64, overflow bool) {
	if sz > satAdd(offset, length) {
		overflow = true
		offset = sz - 1
	}
	if satAdd(offset, length) > sz {
		if offset > sz-1 {
			length = 0
		}
		offset = satSub(sz, length)
	}
	if offset < 0 {
		offset = 0
	}
	if length < 0 {
		length = 0
	}
	return offset, length, overflow
}

func satAdd(a, b int64) int64 {
	s := a + b
	if a > 0 && b > 0 && s < 0 {
		return math.MaxInt64
	}
	if a < 0 && b < 0 && s >= 0 {
		return math.MinInt64
	}
	return s
}

func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b // a < 0: a - MinInt64 = a + 2^63 fits
	}
	return satAdd(a, -b)
}
