package logrotate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-multierror"
)

// defaultMode is the permission of files a Writer creates when Mode is 0 (before the umask).
const defaultMode os.FileMode = 0o644

// Writer is an io.WriteCloser that appends to Filename and rotates it with supervisord's
// semantics. The zero value of every option gives supervisord's behaviour; only Filename is
// required. A Writer is safe for concurrent use; each Write reaches the file as one write(2), so
// lines written by one Write call are never torn by a rotation. Options must not be changed after
// the first call to a method.
//
// The file is opened lazily by the first Write (append mode, created with Mode), and reopened by a
// Write after Close. A Filename that is not a regular file (/dev/stdout, a pipe) is written to but
// never rotated.
type Writer struct {
	// Filename is the path of the current log file. Required. Its directory is not created.
	Filename string
	// MaxBytes rotates the file after the Write that makes it at least MaxBytes long, so a file
	// may exceed MaxBytes by up to one Write (supervisord's logfile_maxbytes). In bytes;
	// 0 (the default) never rotates by size.
	MaxBytes int64
	// Backups is the number of rotated files kept: Filename.1 (newest) .. Filename.N; the oldest
	// is dropped at each rotation (supervisord's logfile_backups). 0 (the default) truncates the
	// file in place at each rotation, keeping nothing.
	Backups int
	// Compress gzips each rotated file (Filename.1.gz ...) in the background; the next rotation
	// or Close waits for it. Off by default (supervisord never compresses).
	Compress bool
	// Every adds time-based rotation: Hourly or Daily, at the first Write after the boundary in
	// the location of Now's result (local time by default). A file that is empty at the boundary
	// is not rotated; a file whose last change is from an earlier period is rotated by the first
	// Write. The rotation is the same as for MaxBytes (so with Backups=0 it truncates).
	// Never (0, the default) disables it.
	Every Period
	// MaxAge deletes backups whose modification time is older than MaxAge, checked at each
	// rotation. 0 (the default) keeps every backup up to Backups.
	MaxAge time.Duration
	// Now is the clock used by Every and MaxAge. nil means time.Now.
	Now func() time.Time
	// OnError is called once per error episode: an episode starts at the first failed open,
	// write, rotation or compression and ends at the first Write that succeeds completely
	// ErrorQuiet (a minute) or more after the episode's last failure. A disk with a little room
	// left, where small writes fit and big ones fail, is so reported once and not at every
	// alternation. It is called without the Writer's lock held, so it may write to this
	// Writer. nil ignores errors (they are still counted by Dropped).
	OnError func(error)
	// Mode is the permission of created files, before the umask. 0 means 0644.
	Mode os.FileMode

	mu       sync.Mutex
	f        logFile
	size     int64
	dropped  int64
	failing  bool
	lastFail time.Time    // the last failure of the current episode
	regular  bool         // the open file is a regular file (not /dev/stdout, a pipe...): rotatable
	boundary time.Time    // next time-based rotation; zero until the file was first opened
	job      *compressJob // running compression, nil when none

	// openFile opens Filename; nil means os.OpenFile. Tests inject failures through it.
	openFile func(name string, flag int, perm os.FileMode) (logFile, error)
	// rotated, when not nil, is called under the lock after Filename became Filename.1 (tests
	// collect every rotated file through it).
	rotated func(backup string)
}

var _ io.WriteCloser = (*Writer)(nil)

// logFile is what a Writer needs from an open file; *os.File implements it.
type logFile interface {
	io.WriteCloser
	Seek(offset int64, whence int) (int64, error)
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
}

// Write appends p to the file as one write and then rotates if MaxBytes is reached. It always
// returns len(p), nil: when the disk fails (ENOSPC, EIO, the directory is gone ...) the bytes of p
// that did not reach the file are counted by Dropped, OnError is told once per episode, and the
// next Write tries again, so writing resumes by itself when the disk recovers. A Write that fails
// part way is undone (the file is truncated back) when possible, so the file holds only whole
// Writes.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	err := w.write(p, nil)
	report := w.episode(err)
	w.mu.Unlock()
	if report != nil && w.OnError != nil {
		w.OnError(report)
	}
	return len(p), nil
}

// Write2 is Write of the concatenation of p and q, without copying them into one buffer: the
// two reach a regular file as one writev(2), so they are one Write for rotation, for readers
// and for the undo of a failed write. It is what a caller holding an unfinished line (p) and
// the chunk that completes it (q) needs. It returns len(p)+len(q), nil, as Write does.
func (w *Writer) Write2(p, q []byte) (int, error) {
	w.mu.Lock()
	err := w.write(p, q)
	report := w.episode(err)
	w.mu.Unlock()
	if report != nil && w.OnError != nil {
		w.OnError(report)
	}
	return len(p) + len(q), nil
}

// ErrorQuiet is how long a Writer must have gone without a failure for a successful Write to end
// an error episode (see OnError).
const ErrorQuiet = time.Minute

// episode records the outcome of a Write and returns the error to report, if this one starts an
// error episode. A success reads the clock only during an episode.
func (w *Writer) episode(err error) error {
	if err == nil {
		if w.failing && w.now().Sub(w.lastFail) >= ErrorQuiet {
			w.failing = false
		}
		return nil
	}
	w.lastFail = w.now()
	if w.failing {
		return nil
	}
	w.failing = true
	return err
}

// write appends p then q (nil for a plain Write) as one write.
func (w *Writer) write(p, q []byte) error {
	total := len(p) + len(q)
	if err := w.ensureOpen(); err != nil {
		w.dropped += int64(total)
		return err
	}
	var errs error
	if w.Every != Never && w.regular {
		now := w.now()
		if !now.Before(w.boundary) {
			if w.size > 0 {
				errs = appendErr(errs, w.rollover())
			}
			w.boundary = w.Every.next(now)
		}
		if w.f == nil {
			if err := w.ensureOpen(); err != nil {
				w.dropped += int64(total)
				return appendErr(errs, err)
			}
		}
	}
	n, err := w.writeFile(p, q)
	if err != nil {
		if n > 0 {
			// Undo the partial write so that the file holds whole Writes only. With O_APPEND the
			// offset is the end of what was just written.
			if end, serr := w.f.Seek(0, io.SeekCurrent); serr == nil && end >= int64(n) && w.f.Truncate(end-int64(n)) == nil {
				n = 0
			}
		}
		w.size += int64(n)
		w.dropped += int64(total - n)
		if !isNoSpace(err) {
			// EIO, a stale or bad descriptor...: open the file afresh at the next Write.
			_ = w.f.Close()
			w.f = nil
		}
		return appendErr(errs, fmt.Errorf("logrotate: %w", err))
	}
	w.size += int64(n)
	if w.MaxBytes > 0 && w.size >= w.MaxBytes && w.regular {
		// The file may have been truncated by someone else (logrotate's copytruncate): ask the
		// kernel where the append really ended before rotating.
		if end, serr := w.f.Seek(0, io.SeekCurrent); serr == nil {
			w.size = end
		}
		if w.size >= w.MaxBytes {
			errs = appendErr(errs, w.rollover())
		}
	}
	return errs
}

// writeFile writes p then q to the open file as one write(2) or writev(2), and returns how many
// bytes reached it.
func (w *Writer) writeFile(p, q []byte) (int, error) {
	if len(q) == 0 {
		return w.f.Write(p)
	}
	if len(p) == 0 {
		return w.f.Write(q)
	}
	if f, ok := w.f.(*os.File); ok && w.regular && haveWritev {
		return writev(f, p, q)
	}
	// Not a regular *os.File (a pipe, a test's file): one Write of a joined copy.
	return w.f.Write(append(append(make([]byte, 0, len(p)+len(q)), p...), q...))
}

// isNoSpace reports whether err means the disk (or quota) is full; the descriptor stays usable.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func appendErr(errs, err error) error {
	if err == nil {
		return errs
	}
	if errs == nil {
		return err
	}
	return multierror.Append(errs, err)
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Writer) mode() os.FileMode {
	if w.Mode == 0 {
		return defaultMode
	}
	return w.Mode
}

// open opens Filename with flag | O_WRONLY | O_CREATE | O_APPEND and records its size.
func (w *Writer) open(flag int) error {
	if w.Filename == "" {
		return errors.New("logrotate: Writer.Filename is empty")
	}
	openFile := w.openFile
	if openFile == nil {
		openFile = func(name string, flag int, perm os.FileMode) (logFile, error) {
			return os.OpenFile(name, flag, perm)
		}
	}
	f, err := openFile(w.Filename, flag|os.O_WRONLY|os.O_CREATE|os.O_APPEND, w.mode())
	if err != nil {
		return fmt.Errorf("logrotate: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("logrotate: %w", err)
	}
	w.f = f
	w.size = fi.Size()
	w.regular = fi.Mode().IsRegular()
	if w.Every != Never && w.boundary.IsZero() {
		// A file last written in an earlier period is rotated by the first Write.
		ref := w.now()
		if w.size > 0 && fi.ModTime().Before(ref) {
			ref = fi.ModTime()
		}
		w.boundary = w.Every.next(ref)
	}
	return nil
}

func (w *Writer) ensureOpen() error {
	if w.f != nil {
		return nil
	}
	return w.open(0)
}

// closeFile closes the open file, if any.
func (w *Writer) closeFile() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("logrotate: %w", err)
	}
	return nil
}

// Close closes the file and waits for a running compression. A later Write opens the file again.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.closeFile()
	return appendErr(err, w.waitCompress())
}

// Reopen closes the file and opens Filename again in append mode, creating it when it is gone.
// It is what a program does after an external rotation (logrotate(8) with `create`, then a
// signal; supervisord's SIGUSR2): the old file, now renamed, receives nothing more.
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.closeFile()
	return appendErr(err, w.open(0))
}

// Rotate rotates now, as if MaxBytes had been reached: the files shift (Filename becomes
// Filename.1 ...) or, with Backups=0, the file is truncated. An error is returned to the caller,
// not to OnError.
func (w *Writer) Rotate() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rollover()
}

// Clear removes Filename and opens a new empty one; backups are kept. These are the semantics
// of supervisord's clearProcessLogs and clearLog (remove, then reopen); a missing file is not an
// error here (clearLog's NO_FILE fault for a missing main log is the caller's check).
func (w *Writer) Clear() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.closeFile()
	if rerr := os.Remove(w.Filename); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = appendErr(err, fmt.Errorf("logrotate: %w", rerr))
	}
	return appendErr(err, w.open(0))
}

// Dropped returns the number of bytes that did not reach the file because of disk errors, since
// the Writer was created.
func (w *Writer) Dropped() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Size returns the size of the current file in bytes as the Writer knows it: the size when it was
// opened plus what this Writer appended since. Another process's changes (an external truncation)
// are seen at the next rotation check or Reopen. 0 before the file is first opened.
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}
