package conf

import (
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// LogTime holds supervisord-lite's log options beyond supervisord's (none is in supervisord,
// which ignores them), for a program's stdout_/stderr_ logs and [supervisord]'s logfile:
//
//	<prefix>_rotate = daily | hourly     rotate at each local midnight / full hour as well
//	<prefix>_compress = true             gzip rotated files (name.1.gz ...)
//	<prefix>_maxage = DAYS               delete rotated files older than DAYS days
//	<prefix>_timestamps = true           prefix each captured line with its arrival time
//	                                     (program logs only; the main log has its own)
//
// where <prefix> is stdout_logfile, stderr_logfile or logfile.
type LogTime struct {
	Rotate     logrotate.Period // logrotate.Never (the default), Hourly or Daily
	Compress   bool
	MaxAge     time.Duration // 0 = keep up to the backups count
	Timestamps bool
}

// readLogTime reads the LogTime options of prefix in section c; stamps says whether
// <prefix>_timestamps is an option there.
func readLogTime(c *sectx, prefix string, vars map[string]any, stamps bool) LogTime {
	var lt LogTime
	if s, line, present, ok := c.get(prefix+"_rotate", "", vars); present && ok {
		switch strings.ToLower(ini.Strip(s)) {
		case "daily":
			lt.Rotate = logrotate.Daily
		case "hourly":
			lt.Rotate = logrotate.Hourly
		case "", "never", "false", "off":
		default:
			c.fail(line, errorf("%s_rotate must be daily or hourly, not %s", prefix, s))
		}
	}
	if _, _, present, _ := c.get(prefix+"_compress", "", vars); present {
		lt.Compress, _ = conv(c, prefix+"_compress", "false", vars, ParseBool)
	}
	if s, line, present, ok := c.get(prefix+"_maxage", "", vars); present && ok {
		n, err := ParseInt(s)
		switch {
		case err != nil:
			c.fail(line, err)
		case n < 0:
			c.fail(line, errorf("%s_maxage must be 0 or more days, not %d", prefix, n))
		default:
			lt.MaxAge = time.Duration(n) * 24 * time.Hour
		}
	}
	if stamps {
		if _, _, present, _ := c.get(prefix+"_timestamps", "", vars); present {
			lt.Timestamps, _ = conv(c, prefix+"_timestamps", "false", vars, ParseBool)
		}
	}
	return lt
}
