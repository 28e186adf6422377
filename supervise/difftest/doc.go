// Package difftest holds the differential test of the supervise engine against the real
// supervisord 4.2.5 (Debian package supervisor): the same small program set runs under both,
// and the per-program sequences of supervisord's log events (spawned, success, exited, gave
// up, stopped) and the retry gaps are compared. It also checks CleanAutoLogs against
// supervisord's own file-name pattern, run by python3.
//
// It is a separate package because it runs supervisord with os/exec: in the supervise test
// binary, the engine's process-wide wait4(-1) reaper would take that child's exit status.
package difftest
