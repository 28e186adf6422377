// Package benchcompare measures Debian's supervisord and supervisord-lite side by side, in one
// interleaved run on the same machine, and prints each metric's median per supervisor and the
// ratio between them. `make bench-compare` runs it (its main is cmd/benchcompare).
//
// Each scenario starts a fresh daemon of each supervisor with the same generated
// supervisord.conf (a unix socket, a temporary directory, programs that announce their pid on
// a FIFO so that the harness never polls while it waits) and drives it over XML-RPC:
//
//   - restart: kill -9 of a running program until its next pid appears (autorestart)
//   - many: N programs from launch to all spawned and all RUNNING; getAllProcessInfo's time;
//     `status` through the supervisor's own client; stopAllProcesses and startAllProcesses
//     of all N; SIGTERM to exit
//   - idle: RSS, wakeups (voluntary context switches) and CPU of the daemon over a window
//     with N RUNNING programs and no client
//   - crash: N programs that exit at once (startsecs=1, startretries=3) until all are FATAL:
//     time, daemon CPU and the number of spawns (4N when the back-off is right)
//   - log: a writer of 100-byte lines through the daemon into its log file, against the same
//     writer through `cat` into a file
//
// Daemon CPU is the sum of its threads' run time from /proc/PID/task/*/schedstat, memory is
// VmRSS. Every process the harness starts carries BENCHCOMPARE_TAG in its environment; after
// each daemon, anything still carrying the tag is killed by pid. Quick mode shrinks every
// scenario to check that the harness works, not to measure.
package benchcompare
