package pyenv

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitizeAndHash(t *testing.T) {
	assert.Equal(t, "a_b_c_d_e_f_g_h_i_j_k_l_m_n#o%p+q=r,s;t~u",
		sanitizeName("a&b$c`d!e*f@g\"h(i)j[k]l\\m\tn#o%p+q=r,s;t~u"))
	assert.Equal(t, 42, len([]rune(sanitizeName(strings.Repeat("é", 50)))))
	assert.Equal(t, "MyProj", sanitizeName("MyProj"))
	// the corpus's v001: /tmp/pyenv-corpus/v001-basic/projects/myproj/Pipfile -> 8PQSC-6Q
	assert.Equal(t, "8PQSC-6Q", venvHash("/tmp/pyenv-corpus/v001-basic/projects/myproj/Pipfile"))
}

func TestPyFloatRepr(t *testing.T) {
	tests := map[float64]string{
		0.5: "0.5", 1e20: "1e+20", 1e16: "1e+16", 1e15: "1000000000000000.0", 0.0001: "0.0001",
		1e-05: "1e-05", 1.5e300: "1.5e+300", 123456789.123: "123456789.123", 1: "1.0", -2.5: "-2.5",
		math.Copysign(0, -1): "-0.0", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", math.NaN(): "NaN",
	}
	for f, want := range tests {
		assert.Equal(t, want, pyFloatRepr(f), "%v", f)
	}
}

func TestPyJSONString(t *testing.T) {
	var b strings.Builder
	require.NoError(t, pyJSON(&b, map[string]interface{}{"é": "<>&/\x7f\n\U0001F600", "a": []interface{}{int64(31), true, nil}}))
	assert.Equal(t, `{"a":[31,true,null],"\u00e9":"<>&/\u007f\n\ud83d\ude00"}`, b.String())
}

func TestHashPipfileBadInput(t *testing.T) {
	tests := []struct {
		name, content string
	}{
		{"broken toml", "[packages\n"},
		{"not utf8", "[packages]\nx = \"\xff\"\n"},
		{"name collides with default source", "name = \"x\"\n[packages]\n"},
		{"top-level scalar", "foo = \"x\"\n[[source]]\nurl = \"u\"\nverify_ssl = true\nname = \"n\"\n"},
		{"version not a string", "[packages]\nfoo = {version = 1}\n"},
		{"verify_ssl missing", "[[source]]\nurl = \"u\"\nname = \"n\"\n"},
		{"datetime", "[packages]\nx = {when = 1979-05-27}\n"},
		{"empty script", "[scripts]\ns = \"\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := HashPipfile([]byte(tc.content))
			var he *HashError
			assert.ErrorAs(t, err, &he)
		})
	}
	h1, err := HashPipfile([]byte(""))
	require.NoError(t, err)
	h2, err := HashPipfile([]byte("[packages]\n[dev-packages]\n"))
	require.NoError(t, err)
	assert.Equal(t, h1, h2, "an empty Pipfile hashes like empty sections")
	assert.Equal(t, "ebffa69a1fa192d1cef7cb42ad79231ca976565c5ce371a70160b3048d3cbc06", h2)
}

func TestLockStale(t *testing.T) {
	tr := newTree(t)
	tr.write("p/Pipfile", "[packages]\n\n[dev-packages]\n")
	const good = "ebffa69a1fa192d1cef7cb42ad79231ca976565c5ce371a70160b3048d3cbc06"
	tests := []struct {
		name, lock string // "" = no lock file
		stale      bool
		errIs      error
	}{
		{"no lock", "", true, nil},
		{"fresh", `{"_meta": {"hash": {"sha256": "` + good + `"}}}`, false, nil},
		{"old hash", `{"_meta": {"hash": {"sha256": "0000"}}}`, true, nil},
		{"corrupt json", `{"_meta": {`, true, nil},
		{"no meta", `{"default": {}}`, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(tr.p("p/Pipfile.lock"))
			if tc.lock != "" {
				tr.write("p/Pipfile.lock", tc.lock)
			}
			p, err := FindProject(Options{Dir: tr.p("p"), Env: []string{"HOME=" + tr.p("home")}})
			require.NoError(t, err)
			stale, err := p.LockStale()
			require.NoError(t, err)
			assert.Equal(t, tc.stale, stale)
		})
	}
	tr.write("p/Pipfile", "[packages\n")
	p, err := FindProject(Options{Dir: tr.p("p"), Env: []string{"HOME=" + tr.p("home")}})
	require.NoError(t, err)
	_, err = p.LockStale()
	var he *HashError
	assert.ErrorAs(t, err, &he)
	assert.Contains(t, err.Error(), tr.p("p/Pipfile"))
}

func TestFindProjectNoPipfile(t *testing.T) {
	tr := newTree(t)
	dir := tr.mkdir("a/b/c/d")
	tr.write("a/Pipfile", "[packages]\n")
	p, err := FindProject(Options{Dir: dir, Env: []string{"HOME=" + tr.p("home")}})
	assert.True(t, errors.Is(err, ErrNoPipfile))
	assert.True(t, errors.Is(err, ErrNotFound))
	require.NotNil(t, p)
	assert.False(t, p.Exists)
	assert.Equal(t, dir, p.Dir)

	p, err = FindProject(Options{Dir: dir, Env: []string{"HOME=" + tr.p("home"), "PIPENV_MAX_DEPTH=5"}})
	require.NoError(t, err)
	assert.Equal(t, tr.p("a"), p.Dir)

	_, err = FindProject(Options{Dir: dir, Env: []string{"PIPENV_MAX_DEPTH=lots"}})
	assert.Error(t, err)
	_, err = FindProject(Options{Dir: dir, Env: []string{"PIPENV_PIPFILE=" + tr.p("nope")}})
	assert.True(t, errors.Is(err, ErrNotFound))
}

func TestRequires(t *testing.T) {
	tr := newTree(t)
	tr.write("p/Pipfile", "[packages]\n[requires]\npython_version = \"3.1\"\n")
	p, err := FindProject(Options{Dir: tr.p("p"), Env: []string{"HOME=" + tr.p("home")}})
	require.NoError(t, err)
	r, err := p.Requires()
	require.NoError(t, err)
	assert.Equal(t, "3.1", r.Required())
	assert.NoError(t, CheckRequires(r.Required(), "3.11.2"), "pipenv's substring test")
	var re *RequiresError
	assert.ErrorAs(t, CheckRequires("3.9", "3.11.2"), &re)
	assert.NoError(t, CheckRequires(Requires{PythonVersion: "*"}.Required(), "2.7.18"))
	assert.Equal(t, "3.11.2", Requires{PythonVersion: "3.11", PythonFullVersion: "3.11.2"}.Required())
}

func TestDotenv(t *testing.T) {
	env := envMap{"HOME": "/h", "OLD": "o"}
	applyDotenv(env, parseDotenv("# c\nexport A=1\nB='x\\'y' # c\nC=\"a\\tb\"\nD = plain value # comment\nE=${HOME}/${A}/${NOPE:-def}\nNOVAL\nOLD=new\n=bad\n"))
	assert.Equal(t, "1", env["A"])
	assert.Equal(t, "x'y", env["B"])
	assert.Equal(t, "a\tb", env["C"])
	assert.Equal(t, "plain value", env["D"])
	assert.Equal(t, "/h/1/def", env["E"])
	assert.Equal(t, "new", env["OLD"])
	_, has := env["NOVAL"]
	assert.False(t, has)
}

func TestProjectEnvironWhich(t *testing.T) {
	tr := newTree(t)
	tr.write("p/Pipfile", "[packages]\n")
	tr.exe("p/.venv/bin/gunicorn")
	p, err := FindProject(Options{Dir: tr.p("p"), Env: []string{"HOME=" + tr.p("home")}})
	require.NoError(t, err)
	env, err := p.Environ([]string{"PATH=/usr/bin", "PYTHONHOME=/x", "VIRTUAL_ENV=/old"})
	require.NoError(t, err)
	got := newEnvMap(env)
	assert.Equal(t, tr.p("p/.venv/bin")+":/usr/bin", got.get("PATH"))
	assert.Equal(t, tr.p("p/.venv"), got.get("VIRTUAL_ENV"))
	assert.Equal(t, "1", got.get("PIPENV_ACTIVE"))
	_, has := got.lookup("PYTHONHOME")
	assert.False(t, has)
	g, err := p.Which("gunicorn")
	require.NoError(t, err)
	assert.Equal(t, tr.p("p/.venv/bin/gunicorn"), g)
	_, err = p.Which("python")
	assert.True(t, errors.Is(err, ErrNotFound))
}
