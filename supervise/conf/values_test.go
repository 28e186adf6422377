package conf

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestValueTypes(t *testing.T) {
	n, err := ParseByteSize("50MB")
	require.NoError(t, err)
	assert.Equal(t, int64(52428800), n)
	_, err = ParseByteSize("1K")
	assert.EqualError(t, err, "invalid literal for int() with base 10: '1k'")
	s, err := signalNumber("sigterm")
	require.NoError(t, err)
	assert.Equal(t, 15, s)
	_, err = signalNumber("GRACEFUL")
	assert.EqualError(t, err, "value 'GRACEFUL' is not a valid signal name")
	_, err = ParseBool("maybe")
	assert.EqualError(t, err, "not a valid boolean value: 'maybe'")
	codes, err := exitCodes("0, 2")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2}, codes)
	_, err = ParseOctal("999")
	assert.EqualError(t, err, "999 can not be converted to an octal type")
	host, port, err := inetAddress("*:9001")
	require.NoError(t, err)
	assert.Equal(t, "", host)
	assert.Equal(t, 9001, port)
}

var typeSamples = map[string][]string{
	"boolean":     {"true", "YES", "on", "1", "false", "No", "OFF", "0", "t", "y", "", "maybe", " true", "2"},
	"integer":     {"0", "-1", "+5", " 7 ", "1_000", "1__0", "_1", "1_", "abc", "", "1.5", "0x10", "00012", "- 1", "99999999999999"},
	"byte_size":   {"50MB", "10 MB", "1kb", "1KB", "1GB", "1.5MB", "1K", "1TB", "-1", "0", "mb", "", " 5 kb", "10xb", "1_0MB"},
	"signal":      {"TERM", "sigterm", "15", " 9 ", "0", "SIG_DFL", "sig_ign", "rtmin", "RTMAX", "64", "34", "35", "32", "99", "-1", "FOO", "SIG", "", "cld", "Iot", "1_5", "SIGKILL "},
	"exitcodes":   {"0", "0,2", " 1 , 2 ", "", "0,", ",", "0;2", "0,256", "-1", "255", "1_0", "a"},
	"octal":       {"022", "0o22", "0O7", "777", "999", "8", "-1", "", "0x1", " 7 ", "1_7"},
	"inet":        {"9001", "127.0.0.1:9001", "*:9001", "HOST:1", ":9001", "host:", "host:0", "host:65536", "notaport", "h:notaport", "a:b:9", "0", "70000"},
	"autorestart": {"true", "TRUE", "yes", "1", "false", "0", "unexpected", "Unexpected", "sometimes", "", "on"},
	"name":        {"web", " web ", "a:b", "a b", "a/b", "x\ty", "", "é"},
	"strings":     {"a,b", " a , b ", "a,", "", ",", "a"},
	"env": {"A=1,B=2", `A="x,y",B='p q'`, "A=1;B=2", `A="",B=1`, "A=1,", "A=1 B=2", "A=", "A=a@b", "K=v=w", "A=1,,B=2",
		"ALLOWED_HOSTS=a.com,b.com", "A=x#y", "URL=http://x?a=1&b=2", `A="unterminated`, `A=x"y"`, "A=1,A=2", "",
		"PATH=/opt/bin:/bin", "A = 1 , B = 2", "A=1\nB=2", "A=é", `'A'=1`, "A=1 # comment\nB=2", "=1", "A==1", "A=1&&B=2",
		`SECRET_KEY='k=v;with;semicolons',EMPTY_VALUE="",WORKERS=4`, "A=(x):y", "A=1\tB=2", "A=-1.5+x", `A="a\"b"`},
}

// pyTypes runs testdata/pytypes.py under the Python supervisord uses.
func pyTypes(t *testing.T, cases [][2]string) []map[string]any {
	t.Helper()
	testenv.LookPath(t, "supervisord", "supervisor")
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "testdata/pytypes.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var res []map[string]any
	require.NoError(t, json.Unmarshal(out, &res))
	require.Len(t, res, len(cases))
	return res
}

func ours(kind, v string) (any, error) {
	switch kind {
	case "boolean":
		return ParseBool(v)
	case "integer":
		return ParseInt(v)
	case "byte_size":
		return ParseByteSize(v)
	case "signal":
		return signalNumber(v)
	case "exitcodes":
		return exitCodes(v)
	case "octal":
		return ParseOctal(v)
	case "inet":
		h, p, err := inetAddress(v)
		return []any{h, p}, err
	case "autorestart":
		return autoRestart(v)
	case "name":
		return processOrGroupName(v)
	case "strings":
		s := listOfStrings(v)
		if s == nil {
			s = []string{}
		}
		return s, nil
	case "env", "envorder":
		vars, _, err := ParseEnvironment(v)
		out := [][2]string{}
		for _, e := range vars {
			out = append(out, [2]string{e.Key, e.Value})
		}
		if kind == "env" {
			sortPairs(out)
		}
		return out, err
	}
	panic(kind)
}

func sortPairs(p [][2]string) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j][0] < p[j-1][0]; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// genEnv builds environment= strings from pieces.
func genEnv(r *rand.Rand) string {
	keys := []string{"A", "B_2", "path", "X.Y", "K-1", `"Q"`, "é"}
	vals := []string{"1", "", `"x,y"`, `'p q'`, "a@b", "x#y", "http://h?a=1&b=2", "/bin:/usr/bin", "(x)", `"un`, "v=w", "-1.5+e", `"a;b"`, "é"}
	seps := []string{",", ";", " ", ", ", "&", ",,", "\n", "|"}
	var b strings.Builder
	for i := 0; i < 1+r.Intn(4); i++ {
		if i > 0 {
			b.WriteString(seps[r.Intn(len(seps))])
		}
		b.WriteString(keys[r.Intn(len(keys))])
		b.WriteString([]string{"=", " = ", "="}[r.Intn(3)])
		b.WriteString(vals[r.Intn(len(vals))])
	}
	if r.Intn(4) == 0 {
		b.WriteString(",")
	}
	return b.String()
}

// TestValueTypesDifferential compares every value type with supervisord's datatypes module.
func TestValueTypesDifferential(t *testing.T) {
	var cases [][2]string
	for kind, samples := range typeSamples {
		for _, s := range samples {
			cases = append(cases, [2]string{kind, s})
		}
	}
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 400; i++ {
		cases = append(cases, [2]string{"envorder", genEnv(r)})
	}
	res := pyTypes(t, cases)
	for i, c := range cases {
		got, err := ours(c[0], c[1])
		want := res[i]
		if msg, bad := want["error"]; bad {
			if assert.Error(t, err, "%s(%q) = %v, python: %v", c[0], c[1], got, msg) {
				assert.Equal(t, msg, err.Error(), "%s(%q)", c[0], c[1])
			}
			continue
		}
		if !assert.NoError(t, err, "%s(%q)", c[0], c[1]) {
			continue
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want["ok"])
		assert.JSONEq(t, string(w), string(g), "%s(%q)", c[0], c[1])
	}
}

func TestParseEnvironmentWarnings(t *testing.T) {
	_, warns, err := ParseEnvironment("A=x#y")
	require.NoError(t, err)
	assert.Len(t, warns, 1)
	vars, warns, err := ParseEnvironment("URL=http://x?a=1&b=2")
	require.NoError(t, err)
	assert.Equal(t, []EnvVar{{"URL", "http://x"}, {"a", "1"}, {"b", "2"}}, vars)
	assert.NotEmpty(t, warns)
	_, warns, err = ParseEnvironment(`A="x,y",B=2`)
	require.NoError(t, err)
	assert.Empty(t, warns)
}

func FuzzParseEnvironment(f *testing.F) {
	for _, s := range typeSamples["env"] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars, _, err := ParseEnvironment(s)
		if err != nil {
			assert.NotEmpty(t, err.Error())
			return
		}
		seen := map[string]bool{}
		for _, v := range vars {
			assert.False(t, seen[v.Key], "key %q twice", v.Key)
			seen[v.Key] = true
		}
	})
}
