package pyenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tree builds fake pyenv roots, apps and venvs under a temp dir.
type tree struct {
	t    testing.TB
	base string
}

func newTree(t testing.TB) *tree {
	d, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return &tree{t: t, base: d}
}

func (tr *tree) p(rel string) string { return filepath.Join(tr.base, rel) }

// write writes content at rel (parents created).
func (tr *tree) write(rel, content string) string {
	p := tr.p(rel)
	require.NoError(tr.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(tr.t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// exe writes a fake executable at rel.
func (tr *tree) exe(rel string) string {
	p := tr.write(rel, "#!/bin/sh\necho fake\n")
	require.NoError(tr.t, os.Chmod(p, 0o755))
	return p
}

func (tr *tree) mkdir(rel string) string {
	p := tr.p(rel)
	require.NoError(tr.t, os.MkdirAll(p, 0o755))
	return p
}

func (tr *tree) symlink(target, rel string) {
	p := tr.p(rel)
	require.NoError(tr.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(tr.t, os.Symlink(target, p))
}

// ver creates root/versions/name with bin/<exes> (default python python3).
func (tr *tree) ver(name string, exes ...string) {
	if len(exes) == 0 {
		exes = []string{"python", "python3"}
	}
	tr.mkdir("root/versions/" + name + "/bin")
	for _, e := range exes {
		tr.exe("root/versions/" + name + "/bin/" + e)
	}
}

// stdRoot installs the reference machine's version set.
func (tr *tree) stdRoot() {
	for _, v := range []string{"2.7.18", "3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"} {
		tr.ver(v)
	}
}

// env is a minimal environment for resolving in this tree.
func (tr *tree) env(extra ...string) []string {
	return append([]string{
		"HOME=" + tr.p("home"),
		"PATH=" + tr.p("sys/bin"),
		"PYENV_ROOT=" + tr.p("root"),
	}, extra...)
}
