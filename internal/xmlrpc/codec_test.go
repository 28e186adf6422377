package xmlrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// body returns the HTTP body of a captured request or response.
func body(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	require.True(t, i > 0, "no header end in %s", path)
	return raw[i+4:]
}

// Every captured supervisord response decodes, and encoding the decoded value again gives
// the same bytes.
func TestGoldenResponsesRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.response.http")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := body(t, f)
			v, err := DecodeResponse(want)
			var fault *Fault
			if errors.As(err, &fault) {
				assert.Equal(t, string(want), string(AppendFault(nil, fault)))
				return
			}
			require.NoError(t, err)
			got, err := AppendResponse(nil, v)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestGoldenRequestsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.request.http")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := body(t, f)
			c, err := DecodeCall(want)
			require.NoError(t, err)
			assert.True(t, strings.Contains(c.Method, "."), c.Method)
			got, err := AppendCall(nil, c.Method, c.Params...)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestDecodeAcceptedForms(t *testing.T) {
	call := func(params string) string {
		return "<?xml version='1.0'?>\n<methodCall><methodName>a.b</methodName><params>" + params + "</params></methodCall>"
	}
	tests := []struct {
		name string
		doc  string
		want []any
	}{
		{"bare value is a string", call("<param><value>hi &amp; bye</value></param>"), []any{"hi & bye"}},
		{"empty value", call("<param><value/></param><param><value></value></param>"), []any{"", ""}},
		{"i4 and int", call("<param><value><i4>-5</i4></value></param><param><value><int> +1_000 </int></value></param>"), []any{int64(-5), int64(1000)}},
		{"boolean is 1 or false", call("<param><value><boolean>1</boolean></value></param><param><value><boolean>true</boolean></value></param>"), []any{true, false}},
		{"empty string", call("<param><value><string/></value></param>"), []any{""}},
		{"double", call("<param><value><double>1.5</double></value></param>"), []any{1.5}},
		{"dateTime", call("<param><value><dateTime.iso8601>20260102T03:04:05</dateTime.iso8601></value></param>"), []any{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{"base64", call("<param><value><base64>aGVs\nbG8=</base64></value></param>"), []any{[]byte("hello")}},
		{"array and struct", call("<param><value><array><data><value><int>1</int></value><value><struct><member><name>k</name><value>v</value></member></struct></value></data></array></value></param>"),
			[]any{[]any{int64(1), Struct{{"k", "v"}}}}},
		{"empty data", call("<param><value><array><data/></array></value></param>"), []any{[]any{}}},
		{"cdata, comment, char refs, CRLF", call("<param><value><string><![CDATA[<x>]]><!-- c -->&#65;&#x42;\r\n</string></value></param>"), []any{"<x>AB\n"}},
		{"whitespace and comments between elements", call("\n <!-- x -->\n<param>\n <value>\n <int>7</int>\n </value>\n</param>\n"), []any{int64(7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeCall([]byte(tt.doc))
			require.NoError(t, err)
			assert.Equal(t, "a.b", c.Method)
			assert.Equal(t, tt.want, c.Params)
		})
	}
	c, err := DecodeCall([]byte("<methodCall><methodName>x.y</methodName></methodCall>"))
	require.NoError(t, err)
	assert.Nil(t, c.Params, "params may be omitted")
	c, err = DecodeCall([]byte("<methodCall><params/></methodCall>"))
	require.NoError(t, err)
	assert.Equal(t, "", c.Method, "a missing methodName is not a syntax error (the server answers 400)")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, doc, msg string }{
		{"empty", "", "not a <methodCall>"},
		{"garbage", "\x00\x01garbage", "not a <methodCall>"},
		{"invalid utf8", "<methodCall>\xff</methodCall>", "invalid UTF-8"},
		{"wrong root", "<methodResponse/>", "not a <methodCall>"},
		{"truncated", "<methodCall><methodName>a.b</methodName><params><param><value><int>1", "end of document"},
		{"bad int", "<methodCall><params><param><value><int>1x</int></value></param></params></methodCall>", "invalid <int>"},
		{"int overflow", "<methodCall><params><param><value><int>99999999999999999999</int></value></param></params></methodCall>", "invalid <int>"},
		{"nil", "<methodCall><params><param><value><nil/></value></param></params></methodCall>", "<nil/>"},
		{"unknown type", "<methodCall><params><param><value><foo>1</foo></value></param></params></methodCall>", "unsupported value type"},
		{"doctype", "<!DOCTYPE x [<!ENTITY a 'b'>]><methodCall/>", "DOCTYPE"},
		{"unknown entity", "<methodCall><methodName>&a;</methodName></methodCall>", "unknown entity"},
		{"mismatched", "<methodCall><methodName>a</name></methodCall>", "expected </methodName>"},
		{"trailing", "<methodCall></methodCall>junk", "after the document"},
		{"array without data", "<methodCall><params><param><value><array/></value></param></params></methodCall>", "without <data>"},
		{"bad base64", "<methodCall><params><param><value><base64>!!</base64></value></param></params></methodCall>", "invalid <base64>"},
		{"too deep", "<methodCall><params><param>" + strings.Repeat("<value><array><data>", MaxDepth+1), "nested deeper"},
		{"mixed", "<methodCall><params><param><value>x<int>1</int></value></param></params></methodCall>", "mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCall([]byte(tt.doc))
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, se.Error(), tt.msg)
			assert.True(t, se.Offset >= 0 && se.Offset <= len(tt.doc))
		})
	}
}

func TestEncodeErrorsAndEscapes(t *testing.T) {
	_, err := AppendValue(nil, int64(math.MaxInt32)+1)
	var oe *OverflowError
	assert.ErrorAs(t, err, &oe)
	_, err = AppendValue(nil, nil)
	assert.ErrorContains(t, err, "nil")
	_, err = AppendValue(nil, struct{}{})
	assert.Error(t, err)

	got, err := AppendValue(nil, "a\x01b\xffc<&>\t")
	require.NoError(t, err)
	assert.Equal(t, "<value><string>a\uFFFDb\uFFFDc&lt;&amp;&gt;\t</string></value>\n", string(got))
	// What we write, we read back (the replaced bytes aside).
	v, err := DecodeResponse(mustResponse(t, "x<y>&z\n\"'é"))
	require.NoError(t, err)
	assert.Equal(t, "x<y>&z\n\"'é", v)
	assert.Equal(t, int64(math.MaxInt32), Capped(1<<40))
	assert.Equal(t, int64(math.MinInt32), Capped(-1<<40))
	assert.Equal(t, int64(5), Capped(5))
}

func mustResponse(t *testing.T, v any) []byte {
	t.Helper()
	b, err := AppendResponse(nil, v)
	require.NoError(t, err)
	return b
}

func TestFault(t *testing.T) {
	f := NewFault(BadName, "nosuch")
	assert.Equal(t, "BAD_NAME: nosuch", f.String)
	assert.Equal(t, "UNKNOWN_METHOD", NewFault(UnknownMethod, "").String)
	assert.Equal(t, "UNKNOWN", FaultName(12345))
	_, err := DecodeResponse(AppendFault(nil, f))
	assert.ErrorIs(t, err, &Fault{Code: BadName})
	assert.NotErrorIs(t, err, &Fault{Code: BadSignal})
	assert.Equal(t, f, err)
}

// pyScript reads a JSON list of tagged values, builds the Python values and prints
// xmlrpc.client.dumps of them as a methodCall, then as a methodResponse of the list.
const pyScript = `
import sys, json, base64, datetime, xmlrpc.client as x
def build(v):
    t, d = v
    if t == 'bytes': return x.Binary(base64.b64decode(d))
    if t == 'time': return datetime.datetime.strptime(d, '%Y%m%dT%H:%M:%S')
    if t == 'float': return float(d)
    if t == 'list': return [build(e) for e in d]
    if t == 'dict': return {k: build(e) for k, e in d}
    return d
vals = [build(v) for v in json.load(sys.stdin)]
sys.stdout.write(x.dumps(tuple(vals), methodname='ns.m'))
sys.stdout.write('\x00')
sys.stdout.write(x.dumps((vals,), methodresponse=True))
`

type tagged [2]any

// Differential: our encoder against Python's xmlrpc.client on the same values, and our
// decoder on Python's output.
func TestPythonDifferential(t *testing.T) {
	py := testenv.LookPath(t, "python3", "python3")
	vals := []any{1, -2147483648, 2147483647, true, false, "", "plain", "a<&>\"'\n\té€😀",
		0.1, 1.0, -2.5, 1e16, 1.5e-05, 123456789.125, 1e-300, 3.0e300, -0.0,
		[]byte{}, []byte("hello, world"), bytes.Repeat([]byte{0, 1, 2, 250}, 60),
		time.Date(2026, 11, 25, 23, 28, 55, 0, time.UTC),
		[]any{}, []any{1, "x", []any{true}},
		Struct{}, Struct{{"b", 1}, {"a", []any{Struct{{"k", "v"}}}}, {"", "empty name"}},
	}
	var spec []tagged
	var tag func(v any) tagged
	tag = func(v any) tagged {
		switch x := v.(type) {
		case float64:
			return tagged{"float", strconv.FormatFloat(x, 'g', -1, 64)}
		case []byte:
			return tagged{"bytes", x}
		case time.Time:
			return tagged{"time", x.Format("20060102T15:04:05")}
		case []any:
			l := []tagged{}
			for _, e := range x {
				l = append(l, tag(e))
			}
			return tagged{"list", l}
		case Struct:
			l := [][2]any{}
			for _, m := range x {
				l = append(l, [2]any{m.Name, tag(m.Value)})
			}
			return tagged{"dict", l}
		}
		return tagged{"plain", v}
	}
	for _, v := range vals {
		spec = append(spec, tag(v))
	}
	in, err := json.Marshal(spec)
	require.NoError(t, err)
	cmd := exec.Command(py, "-c", pyScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	pyCall, pyResp, ok := bytes.Cut(out, []byte{0})
	require.True(t, ok)

	ourCall, err := AppendCall(nil, "ns.m", vals...)
	require.NoError(t, err)
	assert.Equal(t, string(pyCall), string(ourCall))
	ourResp, err := AppendResponse(nil, vals)
	require.NoError(t, err)
	assert.Equal(t, string(pyResp), string(ourResp))

	c, err := DecodeCall(pyCall)
	require.NoError(t, err)
	require.Len(t, c.Params, len(vals))
	again, err := AppendCall(nil, c.Method, c.Params...)
	require.NoError(t, err)
	assert.Equal(t, string(pyCall), string(again))
	assert.Equal(t, "plain", c.Params[6])
	assert.Equal(t, int64(-2147483648), c.Params[1])
	assert.Equal(t, []byte("hello, world"), c.Params[18])
}

func FuzzDecodeCall(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.request.http")
	for _, file := range files {
		f.Add(body(f, file))
	}
	f.Add([]byte("<methodCall><params><param><value><array><data><value><struct><member><name>a</name><value><base64>AA==</base64></value></member></struct></value></data></array></value></param></params></methodCall>"))
	f.Add([]byte("<methodCall><methodName>&#x41;<![CDATA[b]]></methodName></methodCall>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCall(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			return
		}
		// What decodes, encodes and decodes to the same value (ints beyond 32 bits aside).
		enc, err := AppendCall(nil, c.Method, c.Params...)
		if err != nil {
			return
		}
		c2, err := DecodeCall(enc)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if len(c2.Params) != len(c.Params) {
			t.Fatalf("params %d != %d", len(c2.Params), len(c.Params))
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.response.http")
	for _, file := range files {
		f.Add(body(f, file))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := DecodeResponse(data)
		var se *SyntaxError
		var fault *Fault
		if err != nil && !errors.As(err, &se) && !errors.As(err, &fault) {
			t.Fatalf("unexpected error type %T", err)
		}
	})
}

// Decoding allocates in proportion to the input, whatever the input.
func TestDecodeBoundedAllocation(t *testing.T) {
	docs := [][]byte{
		[]byte("<methodCall><params>" + strings.Repeat("<param><value><array><data></data></array></value></param>", 5000) + "</params></methodCall>"),
		[]byte("<methodCall><params><param><value>" + strings.Repeat("&amp;", 50000) + "</value></param></params></methodCall>"),
		[]byte("<methodCall><params><param>" + strings.Repeat("<value><array><data>", 5000)),
	}
	for i, doc := range docs {
		allocs := testing.AllocsPerRun(3, func() { _, _ = DecodeCall(doc) })
		assert.Less(t, allocs, float64(len(doc)), "doc %d", i)
		var ms1, ms2 = measureBytes(func() { _, _ = DecodeCall(doc) })
		assert.Less(t, ms2-ms1, uint64(32*len(doc)+1<<16), "doc %d allocated too much", i)
	}
}

func BenchmarkDecodeAllProcessInfo(b *testing.B) {
	data := body(b, "testdata/getAllProcessInfo.response.http")
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeAllProcessInfo(b *testing.B) {
	data := body(b, "testdata/getAllProcessInfo.response.http")
	v, err := DecodeResponse(data)
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf, _ = AppendResponse(buf[:0], v)
	}
}

func TestStr(t *testing.T) {
	for v, want := range map[any]string{"x y": "x y", true: "True", false: "False", int64(-3): "-3", 1.5: "1.5"} {
		assert.Equal(t, want, Str(v), "%#v", v)
	}
	assert.Equal(t, "None", Str(nil))
}
