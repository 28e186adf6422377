package shlex

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var cases = []string{
	``, `   `, `a`, `a b  c`, "a\tb\nc", `'a b' c`, `"a b" c`, `a'b'c`, `''`, `"" x`,
	`a\ b`, `"a\"b"`, `"a\\b"`, `"a\nb"`, `'a\b'`, `\'`, `a\`, `"a`, `'a`, `"a\`, `"a\"`,
	`/bin/sh -c 'echo started; exit 1'`, `python3 -c "import time; time.sleep(1)"`,
	`echo # not a comment`, `x"y"'z'`, `héllo "wörld"`, `a\\b`,
}

// TestSplitMatchesPython runs Python's shlex.split on every case and compares words and errors.
func TestSplitMatchesPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	script := `
import json, shlex, sys
out = []
for s in json.loads(sys.stdin.read()):
    try: out.append({"w": shlex.split(s)})
    except ValueError as e: out.append({"e": str(e)})
print(json.dumps(out))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	require.NoError(t, err)
	var want []struct {
		W []string `json:"w"`
		E string   `json:"e"`
	}
	require.NoError(t, json.Unmarshal(raw, &want))
	require.Len(t, want, len(cases))
	for i, s := range cases {
		got, err := Split(s)
		if want[i].E != "" {
			assert.EqualError(t, err, want[i].E, "input %q", s)
			continue
		}
		assert.NoError(t, err, "input %q", s)
		assert.Equal(t, len(want[i].W), len(got), "input %q: %q vs %q", s, got, want[i].W)
		if len(want[i].W) > 0 {
			assert.Equal(t, want[i].W, got, "input %q", s)
		}
	}
}

func TestSplitTable(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`a 'b c'`, []string{"a", "b c"}, nil},
		{`''`, []string{""}, nil},
		{`"unterminated`, nil, ErrNoClosingQuotation},
		{`trailing\`, nil, ErrNoEscapedCharacter},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		assert.ErrorIs(t, err, tt.err)
		if tt.err == nil {
			assert.Equal(t, tt.want, got)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			assert.Nil(t, words)
			return
		}
		// Re-quoting every word with single quotes and splitting again gives the same words.
		var b strings.Builder
		for _, w := range words {
			b.WriteString("'" + strings.ReplaceAll(w, "'", `'\''`) + "' ")
		}
		again, err := Split(b.String())
		require.NoError(t, err)
		assert.Equal(t, len(words), len(again))
	})
}

// Bytes that are not UTF-8 pass through unchanged, quoted or not (found by pyapp's
// FuzzShellQuote: a rune loop turned them into U+FFFD).
func TestSplitKeepsNonUTF8Bytes(t *testing.T) {
	got, err := Split("a '\x89' \"\xff\xfe\" b\x80c")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "\x89", "\xff\xfe", "b\x80c"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
