package conf

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bigConfig returns a config with n programs using expansions, environment and logs.
func bigConfig(dir string, n int) []byte {
	var b strings.Builder
	b.WriteString("[supervisord]\nlogfile=%(here)s/sd.log\npidfile=%(here)s/sd.pid\nenvironment=TZ=UTC,LANG=C.UTF-8\n")
	b.WriteString("[unix_http_server]\nfile=%(here)s/s.sock\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[program:app%d]\ncommand=/usr/bin/python3 -m http.server %d --bind 127.0.0.1 ; comment\n", i, 20000+i)
		b.WriteString("directory=%(here)s\nenvironment=APP=\"%(program_name)s\",PORT=%(process_num)d,MODE=production\n")
		b.WriteString("stdout_logfile=%(here)s/%(program_name)s.log\nstdout_logfile_maxbytes=10MB\nredirect_stderr=true\n")
		b.WriteString("priority=10\nautostart=false\nstopsignal=INT\nexitcodes=0,2\nstartsecs=3\n\n")
	}
	return []byte(b.String())
}

func TestBigConfig(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadData(filepath.Join(dir, "supervisord.conf"), bigConfig(dir, 1000), Options{})
	require.NoError(t, err)
	require.Len(t, cfg.Groups, 1000)
	require.Len(t, cfg.SuperviseGroups(), 1000)
	for _, g := range cfg.SuperviseGroups() {
		require.NoError(t, g.Validate())
	}
}

// BenchmarkLoad1000 parses a config with 1000 programs (the target is < 50 ms).
func BenchmarkLoad1000(b *testing.B) {
	dir := b.TempDir()
	data := bigConfig(dir, 1000)
	path := filepath.Join(dir, "supervisord.conf")
	b.SetBytes(int64(len(data)))
	var before, after syscall.Rusage
	b.ResetTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for i := 0; i < b.N; i++ {
		if _, err := LoadData(path, data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	// CPU time (user+system, all threads) per parse: steadier than wall time on a busy machine.
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms/op")
}
