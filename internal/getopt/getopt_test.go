package getopt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var specs = []Spec{
	{Short: "c", Long: "configuration", Arg: true, Key: "conf"},
	{Short: "n", Long: "nodaemon", Key: "nodaemon"},
	{Short: "s", Long: "serverurl", Arg: true, Key: "url"},
	{Long: "silent", Key: "silent"},
}

// The expectations are what Python's getopt.getopt(args, "c:ns:", [...]) returns and raises.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []Value
		rest []string
		err  string
	}{
		{args: []string{"-nc", "f.conf", "x"}, want: []Value{{"nodaemon", "", "-n"}, {"conf", "f.conf", "-c"}}, rest: []string{"x"}},
		{args: []string{"-cf.conf"}, want: []Value{{"conf", "f.conf", "-c"}}},
		{args: []string{"--conf=a", "--", "-n"}, want: []Value{{"conf", "a", "--configuration"}}, rest: []string{"-n"}},
		{args: []string{"--server", "u"}, want: []Value{{"url", "u", "--serverurl"}}},
		{args: []string{"--s"}, err: "option --s not a unique prefix"},
		{args: []string{"-x"}, err: "option -x not recognized"},
		{args: []string{"-c"}, err: "option -c requires argument"},
		{args: []string{"--nodaemon=1"}, err: "option --nodaemon must not have an argument"},
		{args: []string{"--bogus"}, err: "option --bogus not recognized"},
		{args: []string{"-", "x"}, rest: []string{"-", "x"}},
	} {
		got, rest, err := Parse(tc.args, specs)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, "%q", tc.args)
			continue
		}
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.want, got, "%q", tc.args)
		assert.Equal(t, tc.rest, rest, "%q", tc.args)
	}
}
