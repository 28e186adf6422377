// Package logrotate writes log files with supervisord's rotation semantics and reads them back
// the way supervisord's control plane does.
//
// A [Writer] is an io.WriteCloser, safe for concurrent use, configured by a struct literal whose
// zero values give supervisord's behaviour:
//
//   - rotation by size (supervisord's logfile_maxbytes / logfile_backups): the rollover happens
//     after the write that makes the file reach MaxBytes, so a file may exceed MaxBytes; backups
//     are name.1 (newest) .. name.N; Backups=0 truncates the file in place; MaxBytes=0 never
//     rotates;
//   - beyond supervisord, all off by default: gzip of rotated files (name.1.gz), rotation every
//     hour or day (local time), deletion of backups older than MaxAge;
//   - Reopen for external rotation (logrotate(8) with `create`), Rotate on demand, Clear with the
//     semantics of supervisord's clearLog / clearProcessLogs;
//   - a disk error (ENOSPC, EIO, a directory that went away) never blocks or fails the caller:
//     the bytes are counted as dropped ([Writer.Dropped]), the error is reported once per episode
//     through OnError (an episode ends [ErrorQuiet] after its last failure), and writing resumes
//     by itself when the disk recovers.
//
// The readers work on a path, never on a Writer, so they never take a Writer's lock:
// [ReadFile] follows supervisord's readLog / readProcessLog rules, [TailFile] its
// tailProcessLog rules, and [Follow] streams a file as it grows, across rotations (a new file
// appears at the name) and truncations (logrotate's copytruncate), delivering each byte once.
package logrotate
