package pyenv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkResolveApp resolves a typical app folder: a .python-version two
// levels up naming a prefix ("3.11"), a standard root, then prefix and
// which gunicorn.
func BenchmarkResolveApp(b *testing.B) {
	tr := newTree(b)
	tr.stdRoot()
	tr.ver("3.11.10", "python", "gunicorn")
	tr.write("app/.python-version", "3.11\n")
	dir := tr.mkdir("app/src/pkg")
	env := tr.env()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Resolve(Options{Dir: dir, Env: env})
		require.NoError(b, err)
		if _, err := res.Prefix(); err != nil {
			b.Fatal(err)
		}
		if _, err := res.Which("gunicorn"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindProject locates a Pipfile one level up and computes the venv
// path and the Pipfile hash.
func BenchmarkFindProject(b *testing.B) {
	tr := newTree(b)
	tr.write("proj/Pipfile", "[[source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\n\n[packages]\nflask = \"*\"\ngunicorn = {version = \">=20\", extras = [\"gevent\"]}\n\n[requires]\npython_version = \"3.11\"\n")
	dir := tr.mkdir("proj/src")
	env := []string{"HOME=" + tr.p("home")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := FindProject(Options{Dir: dir, Env: env})
		require.NoError(b, err)
		if _, err := p.VenvPath(); err != nil {
			b.Fatal(err)
		}
		if _, err := PipfileHash(p.Pipfile); err != nil {
			b.Fatal(err)
		}
	}
}
