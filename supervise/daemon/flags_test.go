package daemon

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

func TestParseFlags(t *testing.T) {
	f, err := ParseFlags([]string{"-c", "/x.conf", "-n", "-u", "nobody", "-m", "027", "-y", "1KB", "-z", "3", "-e", "WARN", "--minprocs", "7"})
	require.NoError(t, err)
	assert.Equal(t, "/x.conf", f.ConfigFile)
	var s conf.Supervisord
	require.NoError(t, f.Apply(&s))
	assert.Equal(t, conf.Supervisord{Nodaemon: true, User: "nobody", Umask: 0o27, LogfileMaxBytes: 1024, LogfileBackups: 3, LogLevel: "warn", Minprocs: 7}, s)

	f, err = ParseFlags([]string{"-v", "-m", "9"})
	require.NoError(t, err, "-v ends the parsing before the bad umask")
	assert.True(t, f.Version)
	for args, msg := range map[string][]string{
		"invalid value for -m '8': 8 can not be converted to an octal type":                                            {"-m", "8"},
		"invalid value for -a 'x': invalid literal for int() with base 10: 'x'":                                        {"-a", "x"},
		"invalid value for -y '1XB': invalid literal for int() with base 10: '1xb'":                                    {"-y", "1XB"},
		"invalid value for -e 'loud': bad logging level name 'loud'":                                                   {"-e", "loud"},
		"conflicting command line option '-n'":                                                                         {"-n", "-n"},
		"positional arguments are not supported: ['a', 'b']":                                                           {"a", "b"},
		"invalid value for -d '/nonexistent': /nonexistent is not an existing directory":                               {"-d", "/nonexistent"},
		"invalid value for -j '/nonexistent/p': The directory named as part of the path /nonexistent/p does not exist": {"-j", "/nonexistent/p"},
	} {
		_, err := ParseFlags(msg)
		require.Error(t, err, args)
		assert.Equal(t, args, err.Error())
	}
	var b bytes.Buffer
	WriteHelp(&b, "sl")
	assert.Contains(t, b.String(), "Usage: sl [options]\n       sl ctl")
}
