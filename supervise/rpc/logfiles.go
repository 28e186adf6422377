package rpc

import (
	"context"
	"io"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// LogReader reads log files for readLog, readProcess*Log, tailProcess*Log and the /logtail
// streams, with supervisord's offset rules. Errors should wrap logrotate.ErrNoFile,
// logrotate.ErrBadArguments or logrotate.ErrFailed (faults NO_FILE, BAD_ARGUMENTS, FAILED).
// The zero Options use logrotate's ReadFile, TailFile and Follow.
type LogReader interface {
	// ReadFile is supervisord's readFile: offset >= 0 reads length bytes (0 = to the end)
	// from offset; a negative offset reads the last -offset bytes and needs length 0.
	ReadFile(path string, offset, length int64) ([]byte, error)
	// TailFile is supervisord's tailFile: at most length bytes, the last ones when the file
	// has grown past offset+length (overflow), and the file size as the new offset.
	TailFile(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error)
	// Follow writes the file from offset from (negative = the last -from bytes) and then every
	// byte appended to it until ctx ends, across rotations.
	Follow(ctx context.Context, path string, from int64, w io.Writer) error
}

// fileLogs is the default LogReader: package logrotate's functions.
type fileLogs struct{}

var _ LogReader = fileLogs{}

func (fileLogs) ReadFile(path string, offset, length int64) ([]byte, error) {
	return logrotate.ReadFile(path, offset, length)
}

func (fileLogs) TailFile(path string, offset, length int64) ([]byte, int64, bool, error) {
	return logrotate.TailFile(path, offset, length)
}

func (fileLogs) Follow(ctx context.Context, path string, from int64, w io.Writer) error {
	return logrotate.Follow(ctx, path, from, w)
}
