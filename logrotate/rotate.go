package logrotate

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// backupName returns Filename.i, plus ".gz" when gz.
func (w *Writer) backupName(i int, gz bool) string {
	name := w.Filename + "." + strconv.Itoa(i)
	if gz {
		name += ".gz"
	}
	return name
}

// rollover closes the file, shifts the backups (or truncates when Backups is 0) and opens a fresh
// file. When the current file cannot be moved away it is reopened for appending, so nothing is
// lost and the next rollover check tries again.
func (w *Writer) rollover() error {
	if fi, serr := os.Stat(w.Filename); serr == nil && !fi.Mode().IsRegular() {
		// A device or a pipe (/dev/stdout): nothing to rotate, never rename it.
		return w.ensureOpen()
	}
	err := w.closeFile()
	flag := 0
	shifted := false
	if w.Backups > 0 {
		serr := w.shift()
		err = appendErr(err, serr)
		shifted = serr == nil
	} else {
		flag = os.O_TRUNC
	}
	if shifted && w.rotated != nil {
		w.rotated(w.backupName(1, false))
	}
	if w.MaxAge > 0 {
		err = appendErr(err, w.removeOld())
	}
	if shifted && w.Compress {
		w.startCompress(w.backupName(1, false), w.backupName(1, true))
	}
	return appendErr(err, w.open(flag))
}

// shift moves Filename.(i) to Filename.(i+1) for i = Backups-1 .. 1, then Filename to
// Filename.1, as supervisord does: a missing file is skipped (so a gap in the numbers survives),
// and the oldest, Filename.Backups, is removed. Each slot holds one form: a slot is emptied (both
// forms) before a file moves there.
func (w *Writer) shift() error {
	err := w.waitCompress()
	for i := w.Backups - 1; i >= 1; i-- {
		for _, gz := range []bool{false, true} {
			src := w.backupName(i, gz)
			if _, serr := os.Lstat(src); serr != nil {
				continue
			}
			err = appendErr(err, w.emptySlot(i+1))
			err = appendErr(err, renameIfExists(src, w.backupName(i+1, gz)))
		}
	}
	err = appendErr(err, w.emptySlot(1))
	if rerr := renameIfExists(w.Filename, w.backupName(1, false)); rerr != nil {
		// The current file stays where it is: report, and do not truncate it.
		return appendErr(err, rerr)
	}
	return err
}

// emptySlot removes backup i (both forms) before a file moves there, as supervisord removes
// before it renames: renaming over an existing file would make ext4 (auto_da_alloc) start
// writing the moved file back inside the rename, on the writer's time.
func (w *Writer) emptySlot(i int) error {
	return appendErr(removeIfExists(w.backupName(i, false)), removeIfExists(w.backupName(i, true)))
}

func removeIfExists(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("logrotate: %w", err)
	}
	return nil
}

func renameIfExists(src, dst string) error {
	if err := os.Rename(src, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("logrotate: %w", err)
	}
	return nil
}

// removeOld deletes backups (plain or .gz) last modified before Now()-MaxAge.
func (w *Writer) removeOld() error {
	cutoff := w.now().Add(-w.MaxAge)
	var err error
	for i := 1; i <= w.Backups; i++ {
		for _, gz := range []bool{false, true} {
			name := w.backupName(i, gz)
			fi, serr := os.Stat(name)
			if serr != nil || !fi.ModTime().Before(cutoff) {
				continue
			}
			err = appendErr(err, removeIfExists(name))
		}
	}
	return err
}

// compressJob is one background compression; err is written before done is closed.
type compressJob struct {
	done chan struct{}
	err  error
}

// startCompress gzips src into dst in a goroutine. Callers hold w.mu; the goroutine never takes
// it, so waiting for it under the lock is safe.
func (w *Writer) startCompress(src, dst string) {
	job := &compressJob{done: make(chan struct{})}
	w.job = job
	mode := w.mode()
	go func() {
		defer close(job.done)
		job.err = compressFile(src, dst, mode)
	}()
}

// waitCompress waits for the running compression, if any, and returns its error.
func (w *Writer) waitCompress() error {
	if w.job == nil {
		return nil
	}
	<-w.job.done
	err := w.job.err
	w.job = nil
	return err
}

// compressFile writes src gzipped to dst (through a temporary file renamed into place), gives dst
// src's modification time, and removes src. On error src is left as it was.
func compressFile(src, dst string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // rotated away or removed meanwhile: nothing to do
		}
		return fmt.Errorf("logrotate: compress: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("logrotate: compress: %w", err)
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("logrotate: compress: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	// BestSpeed: the next rotation waits for this compression, so its speed bounds the writer.
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	zw.Name = filepath.Base(src)
	zw.ModTime = fi.ModTime()
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("logrotate: compress %s: %w", src, err)
	}
	if err = os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		return fmt.Errorf("logrotate: compress: %w", err)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("logrotate: compress: %w", err)
	}
	if rerr := os.Remove(src); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return fmt.Errorf("logrotate: compress: %w", rerr)
	}
	return nil
}
