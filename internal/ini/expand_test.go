package ini

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var expandVars = map[string]any{
	"here":         "/etc/sv",
	"program_name": "web",
	"process_num":  7,
	"numprocs":     12,
	"neg":          -255,
	"big":          123456789,
	"zero":         0,
	"u":            "é\n'",
	"c":            "x",
	"ENV_HOME":     "/root",
}

func TestExpand(t *testing.T) {
	tests := []struct {
		format, want, err string
	}{
		{"%(here)s/x", "/etc/sv/x", ""},
		{"%(program_name)s_%(process_num)02d", "web_07", ""},
		{"%(process_num)d@%(here)s %%", "7@/etc/sv %", ""},
		{"%(process_num)#x %(neg)x %(neg)#X", "0x7 -ff -0XFF", ""},
		{"%(big)g|%(big).3e|%(big)10.2f", "1.23457e+08|1.235e+08|123456789.00", ""},
		{"%(c)c%(process_num)5s|%(process_num)-5s|", "x    7|7    |", ""},
		{"%(u)r", `"é\n'"`, ""},
		{"date +%Y", "", "unsupported format character 'Y' (0x59) at index 7"},
		{"/bin/echo 100%", "", "incomplete format"},
		{"%(nope)s", "", "'nope'"},
		{"%(here", "", "incomplete format key"},
		{"%(here)d", "", "%d format: a real number is required, not str"},
		{"%(here)x", "", "%x format: an integer is required, not str"},
		{"%(here)f", "", "must be real number, not str"},
		{"%d", "", "%d format: a real number is required, not dict"},
		{"%(here)s %s", "", "not enough arguments for format string"},
	}
	for _, tc := range tests {
		got, err := Expand(tc.format, expandVars)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.format)
			continue
		}
		require.NoError(t, err, tc.format)
		assert.Equal(t, tc.want, got, tc.format)
	}
	_, err := Expand("%(x)s", nil)
	var ke *KeyError
	require.True(t, errors.As(err, &ke))
	assert.Equal(t, "x", ke.Key)
}

var fmtPieces = []string{
	"%(here)s", "%(process_num)d", "%(process_num)02d", "%(numprocs)x", "%(neg)o", "%%", "%", "%(",
	"%(nope)s", "%(here)d", "%Y", "%5", "%-3", "%(process_num)+d", "%(process_num) d", "%(neg)05d",
	"%(big).2f", "%(big)e", "%(big)G", "%(zero)g", "%(process_num)#o", "%(c)c", "%(process_num)c",
	"%(u)r", "%(u)a", "%(u).1s", "%(here)10s", "%(here)-10s|", "%(process_num)ld", "%(process_num)h",
	"%(a(b)c)s", "%(here)*d", "%s", "%d", "%*d", "%5%", "% %", "%(here)%", "%\x01", "%é", "plain",
	" text ", "é", "%(process_num).3d", "%(process_num)5.3d", "%(neg)#x", "%(big)#g", "%(zero).0f",
	"%(process_num)i", "%(process_num)u", "%.", "%.*d", "%(numprocs)X", "%(here)c",
}

// TestExpandDifferentialPython compares Expand with Python's `%` on generated format strings.
func TestExpandDifferentialPython(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var formats []string
	for i := 0; i < 800; i++ {
		var b strings.Builder
		for j := 0; j < 1+r.Intn(3); j++ {
			b.WriteString(fmtPieces[r.Intn(len(fmtPieces))])
		}
		formats = append(formats, b.String())
	}
	cases := make([]map[string]any, len(formats))
	for i, f := range formats {
		cases[i] = map[string]any{"kind": "fmt", "format": f, "vars": expandVars}
	}
	var res []struct {
		Out   *string `json:"out"`
		Key   *string `json:"key"`
		Error *string `json:"error"`
	}
	pythonRun(t, cases, &res)
	require.Len(t, res, len(formats))
	for i, f := range formats {
		got, err := Expand(f, expandVars)
		want := res[i]
		switch {
		case want.Out != nil:
			var fe *FormatError
			if errors.As(err, &fe) && strings.HasPrefix(fe.Msg, "unkeyed") {
				continue // the whole-mapping repr: a documented difference
			}
			if assert.NoError(t, err, "%q", f) {
				assert.Equal(t, *want.Out, got, "%q", f)
			}
		case want.Key != nil:
			var ke *KeyError
			if assert.True(t, errors.As(err, &ke), "%q: %v", f, err) {
				assert.Equal(t, *want.Key, ke.Error(), "%q", f)
			}
		default:
			var fe *FormatError
			if errors.As(err, &fe) && strings.HasPrefix(fe.Msg, "unkeyed") {
				continue
			}
			if assert.True(t, errors.As(err, &fe), "%q: %v (python: %s)", f, err, *want.Error) {
				assert.Equal(t, *want.Error, fe.Msg, "%q", f)
			}
		}
	}
}

func FuzzExpand(f *testing.F) {
	for _, p := range fmtPieces {
		f.Add(p + " " + p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Expand(s, expandVars)
		if err == nil && !strings.Contains(s, "%") {
			assert.Equal(t, s, out)
		}
	})
}

// A width, or a number's precision, that would take gigabytes is an error, not an attempt
// (found by FuzzExpand); a string's precision only cuts, whatever its size.
func TestExpandHugeWidthOrPrecision(t *testing.T) {
	for _, f := range []string{"%(process_num).3111111111111111111d", "%(process_num)3111111111111111111d",
		"%(process_num)99999999s", "%(process_num).99999999f"} {
		_, err := Expand(f, expandVars)
		var fe *FormatError
		assert.True(t, errors.As(err, &fe), "%q: %v", f, err)
	}
	out, err := Expand("%(process_num).99999999s", expandVars)
	assert.NoError(t, err)
	assert.NotEmpty(t, out)
}
