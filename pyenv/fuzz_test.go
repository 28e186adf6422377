package pyenv

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func FuzzParseVersionFile(f *testing.F) {
	for _, s := range []string{"3.11.7\n", "\xef\xbb\xbf3.11.7\r\n", " \t3.10.13 x\r\n\r3.9.18", "# c\n\n",
		strings.Repeat("x", 1030) + "\n3.9", "a\x00b\n", "../versions/3.11.7\n/abs\n..\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		words, err := ParseVersionFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if w == "" || w[0] == '#' || len(w) > ReadChunk || strings.ContainsAny(w, " \t\r\n\x00") {
				t.Fatalf("bad word %q", w)
			}
		}
	})
}

// FuzzResolveVersionFile writes fuzzed contents as an app's .python-version
// and resolves it: never a panic, and the outcome is consistent.
func FuzzResolveVersionFile(f *testing.F) {
	for _, s := range []string{"3.11\n", "python-3.9\n", "3\n3.1\n", ":3.11.7\n", "../versions/3.11.7\n", "/3.11.7\n", "system\n", "3.13t\n"} {
		f.Add(s)
	}
	tr := newTree(f)
	tr.stdRoot()
	tr.mkdir("sys/bin")
	tr.mkdir("app")
	env := tr.env()
	f.Fuzz(func(t *testing.T, content string) {
		if err := os.WriteFile(tr.p("app/.python-version"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Resolve(Options{Dir: tr.p("app"), Env: env})
		if res == nil {
			t.Fatalf("no resolution: %v", err)
		}
		if (err != nil) != (len(res.Missing) > 0) {
			t.Fatalf("error %v with missing %q", err, res.Missing)
		}
		_, _ = res.Prefixes()
		_, _ = res.Which("python")
		_ = res.Environ(nil)
	})
}

func FuzzHashPipfile(f *testing.F) {
	for _, s := range []string{"", "[packages]\n\n[dev-packages]\n", "name = \"x\"\n[packages]\n",
		"[[source]]\nurl = \"u\"\nverify_ssl = true\nname = \"n\"\n[packages]\nflask = {version = \"*\", extras = [\"a\"]}\n",
		"[weird]\na = {v = 1.5e300, w = -0.0, x = inf, y = nan}\n", "[packages]\nx = 1979-05-27T07:32:00Z\n",
		"[packages]\n\"é\" = \"\U0001F600<>&\"\n", "[scripts]\ns = []\n", "\r\n[requires]\r\npython_version = \"3.11\"\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := HashPipfile(b)
		if err == nil && len(h) != 64 {
			t.Fatalf("hash %q", h)
		}
	})
}

func FuzzDotenv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B='x\\'y'\n", "C=\"a\\nb\" # c\n", "D\n", "E=${A:-z}${B}\n", "'K'=v\r\n=bad\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		env := envMap{"A": "a"}
		applyDotenv(env, parseDotenv(s))
	})
}
