package ini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]map[string]string
		line map[string]int // "section.key" -> line
	}{
		{"basic", "[a]\nx = 1\nY: 2\n", map[string]map[string]string{"a": {"x": "1", "y": "2"}}, map[string]int{"a.x": 2, "a.y": 3}},
		{"inline comment needs space", "[a]\ncmd=sh -c 'a;b ; c' ; x\nd=daemon off;\n", map[string]map[string]string{"a": {"cmd": "sh -c 'a;b", "d": "daemon off;"}}, nil},
		{"hash comment", "[a]\n# c\n  ; c2\nx=1 #c\ny=a#b\n", map[string]map[string]string{"a": {"x": "1", "y": "a#b"}}, nil},
		{"continuation", "[a]\ncommand=/bin/sleep\n  100\n\n   more\n\n[b]\n", map[string]map[string]string{"a": {"command": "/bin/sleep\n100\n\nmore"}, "b": {}}, map[string]int{"a.command": 2}},
		{"comment inside value", "[a]\nx=1\n; no\n  2\n", map[string]map[string]string{"a": {"x": "1\n2"}}, nil},
		{"duplicate merge", "[a]\nx=1\n[b]\n[a]\nx=2\ny=3\n", map[string]map[string]string{"a": {"x": "2", "y": "3"}, "b": {}}, map[string]int{"a.x": 5}},
		{"first delimiter", "[a]\nk:v=w\nk2 = a:b\n", map[string]map[string]string{"a": {"k": "v=w", "k2": "a:b"}}, nil},
		{"crlf and cr", "[a]\r\nx=1\ry=2\r\n", map[string]map[string]string{"a": {"x": "1", "y": "2"}}, map[string]int{"a.y": 3}},
		{"empty value", "[a]\nx=\n", map[string]map[string]string{"a": {"x": ""}}, nil},
		{"header with trailing", "[a] ; c\n[b]x]\n", map[string]map[string]string{"a": {}, "b]x": {}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("t.conf", []byte(tc.text))
			require.NoError(t, err)
			got := map[string]map[string]string{}
			for _, s := range f.Sections() {
				got[s.Name] = map[string]string{}
				for _, k := range s.Keys() {
					v, ok := s.Get(k)
					require.True(t, ok)
					got[s.Name][k] = v.Raw
					if want, ok := tc.line[s.Name+"."+k]; ok {
						assert.Equal(t, want, v.Line, "line of %s.%s", s.Name, k)
					}
					assert.Equal(t, "t.conf", v.File)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDefaultSection(t *testing.T) {
	f, err := Parse("t.conf", []byte("[DEFAULT]\nautostart=false\n[a]\nx=%(here)s/y\n"))
	require.NoError(t, err)
	s := f.Section("a")
	require.NotNil(t, s)
	v, ok := s.Get("autostart")
	require.True(t, ok)
	assert.Equal(t, "false", v.Raw)
	assert.Equal(t, []string{"x"}, s.Keys())
	assert.Equal(t, []string{"x", "autostart"}, s.Options())
	f.ReplaceHere("/srv")
	v, _ = s.Get("x")
	assert.Equal(t, "/srv/y", v.Raw)
	assert.Len(t, f.Sections(), 1)
}

func TestReadMergesFiles(t *testing.T) {
	f, err := Parse("main.conf", []byte("[a]\nx=1\n"))
	require.NoError(t, err)
	require.NoError(t, f.Read("inc.conf", []byte("[a]\nx=2\n[b]\ny=3\n")))
	a, b := f.Section("a"), f.Section("b")
	require.NotNil(t, a)
	require.NotNil(t, b)
	assert.Equal(t, "main.conf", a.File)
	assert.Equal(t, "inc.conf", b.File)
	v, _ := a.Get("x")
	assert.Equal(t, Value{Raw: "2", File: "inc.conf", Line: 2}, v)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no equals", "[a]\nx=1\nthis line has no equals sign\n", "Source contains parsing errors: 't.conf'\n\t[line  3]: 'this line has no equals sign\\n'"},
		{"several", "[a]\nbad\n=x\n" + strings.Repeat("\n", 10) + "worse", "Source contains parsing errors: 't.conf'\n\t[line  2]: 'bad\\n'\n\t[line  3]: '=x\\n'\n\t[line 14]: 'worse'"},
		{"no header", "x=1\n", "File contains no section headers.\nfile: 't.conf', line: 1\n'x=1\\n'"},
		{"bom", "\ufeff[a]\n", "File contains no section headers.\nfile: 't.conf', line: 1\n'\\ufeff[a]\\n'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.conf", []byte(tc.text))
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "%v", err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
	_, err := Parse("t.conf", []byte("[a]\nx=\xff\n"))
	var ee *EncodingError
	require.True(t, errors.As(err, &ee))
	assert.Equal(t, 2, ee.Line)
}

func TestRepr(t *testing.T) {
	for in, want := range map[string]string{
		"abc":     `'abc'`,
		"a'b":     `"a'b"`,
		"a'\"b":   `'a\'"b'`,
		"x\n\t\\": `'x\n\t\\'`,
		"\x00é€":  `'\x00é€'`,
		"\u200b":  `'\u200b'`,
	} {
		assert.Equal(t, want, Repr(in), "Repr(%q)", in)
	}
	assert.Equal(t, `'\xe9\u20ac'`, ASCII("é€"))
}

// pythonRun feeds cases to testdata/pyini.py under the system Python (the one supervisord
// runs on) and decodes its answers.
func pythonRun(t *testing.T, cases []map[string]any, out any) {
	t.Helper()
	py := "/usr/bin/python3"
	testenv.RequireFile(t, py, "python3 (Debian package python3)")
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/pyini.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	require.NoError(t, json.Unmarshal(b, out))
}

var iniFragments = []string{
	"[a]", "[b]", "[DEFAULT]", "[a] ;c", "[]", "[x]y]", "key=value", "Key = Value", "k:v", "k = v ; c",
	"k=v;c", "k=v #c", "k=v#c", "k = ", "=v", "noequals", "  indented", "\tindented", "", "   ",
	"; comment", "# comment", "  ; indented comment", "k=a ;x #y", "k=a#x ;y", "k= \"quoted\" ",
	"command=sh -c 'a;b ; c'", "x : y = z", "[a]   ", "[ sp ]", "k\t=\tv", "K.Dotted=1", "  [c]",
	"k=%(here)s", "é=ü", "k=v\x1c", "k=1 \t; tail",
}

func genINI(r *rand.Rand) string {
	n := 1 + r.Intn(8)
	var b strings.Builder
	if r.Intn(4) > 0 {
		b.WriteString("[s]\n")
	}
	for i := 0; i < n; i++ {
		b.WriteString(iniFragments[r.Intn(len(iniFragments))])
		switch r.Intn(10) {
		case 0:
			b.WriteString("\r\n")
		case 1:
			b.WriteString("\r")
		default:
			b.WriteString("\n")
		}
	}
	if r.Intn(3) == 0 {
		s := b.String()
		return strings.TrimRight(s, "\r\n")
	}
	return b.String()
}

type pyINI struct {
	Error    *string     `json:"error"`
	Sections [][2]any    `json:"sections"`
	Defaults [][2]string `json:"defaults"`
}

// TestDifferentialPython compares the reader with Python's configparser on hundreds of
// generated files.
func TestDifferentialPython(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	var texts []string
	for i := 0; i < 600; i++ {
		texts = append(texts, genINI(r))
	}
	cases := make([]map[string]any, len(texts))
	for i, s := range texts {
		cases[i] = map[string]any{"kind": "ini", "text": s}
	}
	var res []pyINI
	pythonRun(t, cases, &res)
	require.Len(t, res, len(texts))
	for i, text := range texts {
		f, err := Parse("t.conf", []byte(text))
		want := res[i]
		if want.Error != nil {
			if assert.Error(t, err, "case %d %q", i, text) {
				assert.Equal(t, *want.Error, err.Error(), "case %d %q", i, text)
			}
			continue
		}
		if !assert.NoError(t, err, "case %d %q", i, text) {
			continue
		}
		got := [][2]any{}
		for _, s := range f.Sections() {
			var kv []any
			for _, k := range s.Keys() {
				v, _ := s.Get(k)
				kv = append(kv, []any{k, v.Raw})
			}
			if kv == nil {
				kv = []any{}
			}
			got = append(got, [2]any{s.Name, kv})
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want.Sections)
		assert.JSONEq(t, string(wantJSON), string(gotJSON), "case %d %q", i, text)
		defs := [][2]string{}
		if d := f.Defaults(); d != nil {
			for _, k := range d.Keys() {
				v, _ := d.Get(k)
				defs = append(defs, [2]string{k, v.Raw})
			}
		}
		if want.Defaults == nil {
			want.Defaults = [][2]string{}
		}
		assert.Equal(t, fmt.Sprint(want.Defaults), fmt.Sprint(defs), "defaults of case %d %q", i, text)
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range iniFragments {
		f.Add("[a]\n" + s + "\n  cont\n")
	}
	f.Add("\xff\xfe[a]\n")
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse("f.conf", []byte(s))
		if err != nil {
			assert.NotEmpty(t, err.Error())
			return
		}
		for _, sec := range file.Sections() {
			for _, k := range sec.Keys() {
				v, ok := sec.Get(k)
				assert.True(t, ok)
				assert.Greater(t, v.Line, 0)
			}
		}
	})
}
