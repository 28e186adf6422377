package pyenv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// genPipfile makes a random Pipfile exercising what the lock hash depends
// on: sources, package specs, non-ASCII and HTML characters, numbers,
// custom categories, ignored sections, formatting, and invalid inputs.
func genPipfile(rng *rand.Rand) string {
	pick := func(p float64) bool { return rng.Float64() < p }
	one := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	nl := "\n"
	if pick(0.15) {
		nl = "\r\n"
	}
	var b strings.Builder
	w := func(s string) { b.WriteString(strings.ReplaceAll(s, "\n", nl)) }
	if pick(0.03) {
		b.WriteString("\ufeff")
	}
	if pick(0.1) {
		w(one("foo = \"x\"\n", "name = \"x\"\n", "url = \"u\"\n", "bar = 1\n"))
	}
	if pick(0.2) {
		w("# a comment\n")
	}
	if pick(0.6) {
		n := 1 + rng.Intn(2)
		for i := 0; i < n; i++ {
			w("[[source]]\n")
			w(fmt.Sprintf("url = %q\n", one("https://pypi.org/simple", "https://${HOST}/simple", "http://127.0.0.1:8765/simple")))
			if !pick(0.07) {
				w(one("verify_ssl = true\n", "verify_ssl = false\n"))
			}
			w(fmt.Sprintf("name = %q\n", one("pypi", "local", "prïvate")))
			if pick(0.1) {
				w("extra = 1\n")
			}
			w("\n")
		}
	}
	str := func() string {
		return one(`"*"`, `">=1.0,<2"`, `"==2.3.1"`, `'literal\n'`, `"tab\there"`, `"é ünï"`, `"\U0001F600"`,
			`"<>&'"`, `"""multi
line"""`, `"\u00e9"`, `"a\\b"`)
	}
	val := func() string {
		return one(str(), "1", "-7", "0x1F", "1_000", "0.5", "1e20", "-0.0", "1e16", "1e15", "0.0001",
			"1e-05", "inf", "-inf", "nan", "123456789.123", "true", "false", `["a", "b"]`, "[]", "[1, 2.5]",
			`{a = 1}`)
	}
	pkgName := func() string {
		return one("flask", "Flask", "gunicorn", "requests", "Wheel", `"é-pkg"`, `"zope.interface"`, "a_b", `"with space"`)
	}
	section := func(name string) {
		w("[" + name + "]\n")
		seen := map[string]bool{}
		for i, n := 0, rng.Intn(4); i < n; i++ {
			k := pkgName()
			if seen[k] {
				continue
			}
			seen[k] = true
			switch rng.Intn(5) {
			case 0, 1:
				w(k + " = " + str() + "\n")
			case 2:
				w(k + " = {version = " + str() + ", extras = [\"x\"]}\n")
			case 3:
				w(k + " = {version = " + str() + ", markers = \"python_version > '3.6' and os_name != 'nt'\", index = \"pypi\"}\n")
			default:
				key := one("weight", "path", "editable", "priority", "version", "extras")
				v := val()
				if pick(0.03) {
					v = "1979-05-27T07:32:00Z"
				}
				w(k + " = {" + key + " = " + v + "}\n")
			}
		}
		w("\n")
	}
	order := rng.Perm(6)
	for _, o := range order {
		switch o {
		case 0:
			if pick(0.8) {
				section("packages")
			}
		case 1:
			if pick(0.7) {
				section("dev-packages")
			}
		case 2:
			if pick(0.4) {
				w("[requires]\n")
				if pick(0.8) {
					rv := one(`"3.11"`, `"3"`, `"*"`)
					if pick(0.1) {
						rv = "3.11"
					}
					w("python_version = " + rv + "\n")
				}
				if pick(0.3) {
					w(`python_full_version = "3.11.2"` + "\n")
				}
				w("\n")
			}
		case 3:
			if pick(0.3) {
				sc := one(`"gunicorn app:app"`, `["a", "b"]`, `"x"`)
				if pick(0.15) {
					sc = one(`""`, "[]", "1")
				}
				w("[scripts]\nserve = " + sc + "\n\n")
			}
		case 4:
			if pick(0.3) {
				ap := one("true", "false")
				if pick(0.1) {
					ap = `"yes"`
				}
				w("[pipenv]\nallow_prereleases = " + ap + "\n\n")
			}
		case 5:
			if pick(0.3) {
				section(one("docs", "tests", "default", "develop", "pipfile"))
			}
		}
	}
	if pick(0.05) {
		w("[broken\n")
	}
	return b.String()
}

const pipfileHashDriver = `
import sys
from pipenv.vendor import plette
for path in sys.argv[1:]:
    try:
        with open(path) as pf:
            print(plette.Pipfile.load(pf).get_hash().value)
    except BaseException as e:
        print("ERR")
`

func TestDifferentialPipfileHash(t *testing.T) {
	testenv.LookPath(t, "pipenv", "pipenv")
	// Debian's interpreter, which has the pipenv package on its path
	py := "/usr/bin/python3"
	testenv.RequireFile(t, py, "python3 (Debian package python3)")
	n := diffCases(400, 60)
	dir := t.TempDir()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("Pipfile.%03d", i))
		require.NoError(t, os.WriteFile(paths[i], []byte(genPipfile(rand.New(rand.NewSource(int64(i)+1)))), 0o644))
	}
	cmd := exec.Command(py, append([]string{"-c", pipfileHashDriver}, paths...)...)
	cmd.Env = []string{"LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin", "HOME=" + dir}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, want, n)
	bad, errs := 0, 0
	for i, p := range paths {
		got, err := PipfileHash(p)
		if err != nil {
			got = "ERR"
			errs++
		}
		if !assert.Equal(t, want[i], got, "Pipfile %s (our error: %v)", p, err) {
			bad++
			content, _ := os.ReadFile(p)
			t.Logf("content of %s:\n%s", p, content)
		}
	}
	t.Logf("%d generated Pipfiles hashed by pipenv's plette and by us (%d rejected by both): %d mismatches", n, errs, bad)
}

type pipenvCase struct {
	desc string
	dir  string
	env  []string
}

// genPipenvCase builds a project tree exercising the Pipfile search and
// the venv location rules.
func genPipenvCase(t *testing.T, base string, i int) pipenvCase {
	rng := rand.New(rand.NewSource(int64(i)*104729 + 3))
	pick := func(p float64) bool { return rng.Float64() < p }
	one := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	tr := &tree{t: t, base: base}
	var desc []string
	name := one("proj", "MyProj", "données", "a b&c(d)", "x.y-z", "very-long-project-name-that-goes-beyond-forty-two-chars")
	proj := "projects/" + name
	tr.mkdir(proj + "/a/b/c")
	tr.write(proj+"/Pipfile", "[packages]\n")
	rel := one("", "/a", "/a/b", "/a/b/c")
	dir := tr.p(proj + rel)
	desc = append(desc, "project="+name, "dir=."+rel)
	env := []string{"HOME=" + tr.p("home"), "LC_ALL=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin",
		"PIPENV_VERBOSITY=-1", "NO_COLOR=1", "PIPENV_NOSPIN=1", "PIPENV_YES=1", "PIPENV_DONT_USE_PYENV=1"}
	set := func(k, v string) {
		env = append(env, k+"="+v)
		desc = append(desc, k+"="+v)
	}
	if pick(0.3) {
		set("PIPENV_MAX_DEPTH", one("0", "1", "2", "4", "5", "true"))
	}
	if pick(0.1) {
		set("PIPENV_NO_INHERIT", one("1", "0", "yes"))
	}
	if pick(0.1) {
		tr.symlink(tr.p(proj), "alias")
		dir = tr.p("alias" + rel)
		desc = append(desc, "via symlink")
	}
	switch rng.Intn(6) {
	case 0:
		tr.mkdir(proj + "/.venv")
		desc = append(desc, ".venv dir")
	case 1:
		c := one("../envs/shared\n", "./envs//x/\n", tr.p("abs-env")+"\n", "named-env\n", "  \n")
		tr.write(proj+"/.venv", c)
		desc = append(desc, fmt.Sprintf(".venv file %q", c))
	}
	if pick(0.25) {
		set("PIPENV_VENV_IN_PROJECT", one("1", "0", "enabled", "false"))
	}
	if pick(0.3) {
		set("WORKON_HOME", one(tr.p("wh"), "relvenvs", "$HOME/vv", "~/tilde", "${HOME}/braced"))
	} else if pick(0.1) {
		set("XDG_DATA_HOME", tr.p("xdg"))
	}
	if pick(0.1) {
		set("PIPENV_CUSTOM_VENV_NAME", "custom-env")
	}
	if pick(0.1) {
		set("PIPENV_PYTHON", one("/usr/bin/python3", "3.11"))
	}
	if pick(0.1) {
		set("VIRTUAL_ENV", tr.p("active-venv"))
		if pick(0.5) {
			set("PIPENV_IGNORE_VIRTUALENVS", "1")
		}
	}
	if pick(0.15) {
		c := one("WORKON_HOME="+tr.p("from-dotenv")+"\n", "export PIPENV_VENV_IN_PROJECT=1\n",
			"# c\nPIPENV_CUSTOM_VENV_NAME='dotenv-name'\n", "WORKON_HOME=\"${HOME}/dv\" # x\n")
		tr.write(proj+"/.env", c)
		desc = append(desc, fmt.Sprintf(".env %q", c))
		if pick(0.3) {
			set("PIPENV_DONT_LOAD_ENV", "1")
		}
	}
	env = append(env, "PWD="+dir)
	return pipenvCase{desc: strings.Join(desc, " "), dir: dir, env: env}
}

func runRealPipenv(bin string, c pipenvCase, arg string) queryResult {
	cmd := exec.Command(bin, arg)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	rc := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	} else if err != nil {
		rc = -1
	}
	return queryResult{out: strings.TrimSuffix(out.String(), "\n"), rc: rc}
}

// TestDifferentialPipenv compares `pipenv --where` and `pipenv --venv` with
// FindProject and VenvPath. pipenv --venv only answers once the venv
// exists, so a fake one (bin/activate) is created where we predict it:
// pipenv then prints that path only if it looks there too.
func TestDifferentialPipenv(t *testing.T) {
	bin := testenv.LookPath(t, "pipenv", "pipenv")
	n := diffCases(16, 4)
	base, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	cases := make([]pipenvCase, n)
	for i := range cases {
		d := filepath.Join(base, fmt.Sprintf("v%02d", i))
		require.NoError(t, os.Mkdir(d, 0o755))
		cases[i] = genPipenvCase(t, d, i)
	}
	var (
		mu   sync.Mutex
		fail []string
		wg   sync.WaitGroup
	)
	work := make(chan int)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cases[i]
				var msgs []string
				where := runRealPipenv(bin, c, "--where")
				p, err := FindProject(Options{Dir: c.dir, Env: c.env})
				ourWhere := ""
				if err == nil {
					ourWhere = p.Dir
				}
				if where.out != ourWhere {
					msgs = append(msgs, fmt.Sprintf("--where: real %q, ours %q (%v)", where.out, ourWhere, err))
				}
				if err == nil {
					venv, verr := p.VenvPath()
					if verr == nil {
						abs := venv
						if !filepath.IsAbs(abs) {
							abs = filepath.Join(p.Dir, abs)
						}
						_ = os.MkdirAll(filepath.Join(abs, "bin"), 0o755)
						_ = os.WriteFile(filepath.Join(abs, "bin", "activate"), nil, 0o644)
					}
					real := runRealPipenv(bin, c, "--venv")
					if real.rc != 0 || real.out != venv || verr != nil {
						msgs = append(msgs, fmt.Sprintf("--venv: real %q rc=%d, ours %q (%v)", real.out, real.rc, venv, verr))
					}
				}
				mu.Lock()
				for _, m := range msgs {
					fail = append(fail, fmt.Sprintf("case %d %s\n  setup: %s", i, m, c.desc))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, f := range fail {
		t.Error(f)
	}
	t.Logf("%d generated projects compared with the real pipenv (--where, --venv): %d mismatches", n, len(fail))
}
