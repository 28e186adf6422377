package conf

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestLogTimeOptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	cfg, err := LoadData(path, []byte(`[supervisord]
logfile=%(here)s/main.log
logfile_rotate=Hourly
logfile_compress=true
[program:a]
command=/bin/true
stdout_logfile=%(here)s/a.log
stdout_logfile_rotate = daily
stdout_logfile_compress = yes
stdout_logfile_maxage = 14
stdout_logfile_timestamps = true
stderr_logfile_rotate = hourly
`), Options{Environ: []string{}})
	require.NoError(t, err)
	assert.Equal(t, LogTime{Rotate: logrotate.Hourly, Compress: true}, cfg.Supervisord.LogfileTime)
	p := cfg.SuperviseGroups()[0].Programs[0]
	assert.Equal(t, supervise.Log{Path: filepath.Join(dir, "a.log"), MaxBytes: 50 << 20, Backups: 10,
		Every: logrotate.Daily, Compress: true, MaxAge: 14 * 24 * time.Hour, Timestamps: true}, p.Stdout)
	assert.Equal(t, logrotate.Hourly, p.Stderr.Every)
	assert.False(t, p.Stderr.Timestamps)

	_, err = LoadData(path, []byte(`[supervisord]
logfile_rotate=weekly
[program:a]
command=/bin/true
stdout_logfile_maxage = -1
stderr_logfile_timestamps = maybe
`), Options{Environ: []string{}})
	var got []string
	for _, e := range errorsOf(t, err) {
		got = append(got, e.Error())
	}
	assert.Equal(t, []string{
		"logfile_rotate must be daily or hourly, not weekly in section 'supervisord' (file: '" + path + "') at line 2",
		"stdout_logfile_maxage must be 0 or more days, not -1 in section 'program:a' (file: '" + path + "') at line 5",
		"not a valid boolean value: 'maybe' in section 'program:a' (file: '" + path + "') at line 6",
	}, got)
}
