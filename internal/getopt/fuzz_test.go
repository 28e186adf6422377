package getopt

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Any command line parses without a panic, and what it parses to says the same when written
// out in the canonical spellings ("--long=value", "-s value", "--", the rest): the options
// found and the arguments left are a faithful reading of the command line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"-nc\x00f.conf\x00x", "-cf.conf", "--conf=a\x00--\x00-n", "--s\x00u", "--si", "-", "-c", "--nodaemon=1", "-x", "a\x00-n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		vals, rest, err := Parse(args, specs)
		if err != nil {
			assert.NotEmpty(t, err.Error())
			return
		}
		if len(rest) > len(args) || strings.Join(rest, "\x00") != strings.Join(args[len(args)-len(rest):], "\x00") {
			t.Fatalf("rest %q is not a suffix of %q", rest, args)
		}
		var canon []string
		for _, v := range vals {
			var spec *Spec
			for i := range specs {
				if specs[i].Key == v.Key {
					spec = &specs[i]
				}
			}
			if spec == nil {
				t.Fatalf("value %+v has no spec", v)
			}
			switch {
			case strings.HasPrefix(v.Opt, "--") && spec.Arg:
				canon = append(canon, v.Opt+"="+v.Value)
			case spec.Arg:
				canon = append(canon, v.Opt, v.Value)
			default:
				assert.Empty(t, v.Value, "option without argument has a value")
				canon = append(canon, v.Opt)
			}
		}
		canon = append(append(canon, "--"), rest...)
		vals2, rest2, err := Parse(canon, specs)
		if err != nil {
			t.Fatalf("canonical %q of %q: %v", canon, args, err)
		}
		assert.Equal(t, vals, vals2, "canonical %q of %q", canon, args)
		assert.Equal(t, len(rest), len(rest2))
		if len(rest) > 0 {
			assert.Equal(t, rest, rest2)
		}
	})
}
