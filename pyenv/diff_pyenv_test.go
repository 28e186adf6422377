package pyenv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The differential tests build fake PYENV_ROOTs and app trees, run the real
// pyenv 2.6.30 on them and compare its stdout and exit status with ours.

// hermeticTools is a directory of symlinks to the coreutils pyenv needs, so
// that "system" means only what a case puts in its sys/bin.
func hermeticTools(t *testing.T) string {
	dir := t.TempDir()
	for _, name := range []string{"bash", "env", "readlink", "realpath", "cat", "tr", "sed", "grep", "sort", "awk",
		"cut", "basename", "dirname", "xargs", "head", "tail", "uname", "ls", "mkdir", "rm", "id", "tee", "wc"} {
		p, err := exec.LookPath(name)
		require.NoError(t, err, name)
		require.NoError(t, os.Symlink(p, filepath.Join(dir, name)))
	}
	return dir
}

type pyenvCase struct {
	desc string
	dir  string   // logical directory to run in
	env  []string // full environment of the tool
}

type queryResult struct {
	out string
	rc  int
}

var (
	diffRootPool = []string{"2.7.18", "3.9.18", "3.10.13", "3.11.4", "3.11.7", "3.11.10", "3.11.7-debug",
		"3.12.1", "3.13.0", "3.13.1t", "3.14.0rc1", "3.14-dev", "pypy3.10-7.3.12", "pypy3.10-7.3.15",
		"miniconda3-4.7.12", "miniconda3-23.1.0", "3.1.5", ".hidden", "python-3.11", "3.11.7-src"}
	diffWords = []string{"3.11.7", "3.10.13", "3.9.18", "2.7.18", "3", "3.11", "3.1", "3.13", "3.13t", "2",
		"python-3.11", "python-3.11.7", "python-3.9", "pypy3.10", "pypy", "3.11.1", "3.14", "3.14.0rc1",
		"miniconda3", "system", "3.99.0", "../versions/3.11.7", "3.11.7/envs/web", "3.11.7/", "/3.11.7",
		"..", "../../app", "web", "3.11-web", "oldenv", "3.11.7:3.10.13", ":3.11.7", "3.11.7::3.9.18",
		"#3.11.7", "\xef\xbb\xbf3.11.7", "3.10.13#c", ".hidden", "3.11.7-debug", "3.12.5", "3.11.7/envs/../../3.9.18"}
)

// genPyenvCase builds case i under base.
func genPyenvCase(t *testing.T, base, tools string, i int) pyenvCase {
	rng := rand.New(rand.NewSource(int64(i) * 7919))
	tr := &tree{t: t, base: base}
	pick := func(p float64) bool { return rng.Float64() < p }
	var desc []string

	tr.mkdir("root/versions")
	for _, v := range diffRootPool {
		if !pick(0.5) {
			continue
		}
		var exes []string
		if pick(0.9) {
			exes = append(exes, "python")
		}
		if pick(0.3) {
			exes = append(exes, "gunicorn")
		}
		if len(exes) == 0 {
			tr.mkdir("root/versions/" + v + "/bin")
		} else {
			tr.ver(v, exes...)
		}
		desc = append(desc, v)
	}
	if pick(0.3) {
		tr.ver("3.11.7/envs/web", "python", "gunicorn")
		tr.symlink(tr.p("root/versions/3.11.7/envs/web"), "root/versions/web")
		if pick(0.5) {
			tr.symlink(tr.p("root/versions/3.11.7/envs/web"), "root/versions/3.11-web")
		}
		desc = append(desc, "web-env")
	}
	if pick(0.2) {
		tr.symlink("3.11.4", "root/versions/3.11")
		desc = append(desc, "alias-3.11")
	}
	if pick(0.2) {
		tr.symlink(tr.p("root/versions/3.9.18/envs/oldenv"), "root/versions/oldenv")
	}
	if pick(0.2) {
		tr.write("root/versions/3.12.5", "not a dir\n")
	}
	tr.mkdir("sys/bin")
	for _, e := range []string{"python", "python3", "gunicorn"} {
		if pick(0.4) {
			tr.exe("sys/bin/" + e)
		}
	}
	dirs := []string{"app", "app/a", "app/a/b"}
	for _, d := range dirs {
		tr.mkdir(d)
	}
	word := func() string { return diffWords[rng.Intn(len(diffWords))] }
	one := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	line := func() string {
		w := word()
		switch rng.Intn(8) {
		case 0:
			w = " \t" + w
		case 1:
			w = w + "   trailing words"
		case 2:
			w = "\r" + w + "\r"
		case 3:
			w = "# comment " + w
		case 4:
			w = strings.Repeat("y", 1000+rng.Intn(60)) + w
		case 5:
			// multibyte: the 1024 limit counts bytes in C, characters in C.UTF-8
			w = one("", "#") + strings.Repeat("é", 505+rng.Intn(30)) + w
		}
		return w
	}
	versionFile := func() string {
		n := rng.Intn(4)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteString(line())
			if j < n-1 || pick(0.8) {
				if pick(0.2) {
					b.WriteString("\r\n")
				} else {
					b.WriteString("\n")
				}
			}
			if pick(0.1) {
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	for _, d := range append(dirs, "root/version") {
		if pick(0.35) {
			name := d + "/.python-version"
			if d == "root/version" {
				name = d
			}
			switch {
			case pick(0.05):
				tr.mkdir(name)
			case pick(0.05):
				tr.symlink(tr.p("nowhere"), name)
			default:
				tr.write(name, versionFile())
			}
			desc = append(desc, "file@"+d)
		}
	}
	dir := tr.p(dirs[rng.Intn(len(dirs))])
	if pick(0.15) {
		tr.symlink(tr.p("app/a/b"), "deploy/current")
		tr.write("deploy/.python-version", "3.10.13\n")
		dir = tr.p("deploy/current")
		desc = append(desc, "symlinked-dir")
	}
	root := tr.p("root")
	switch {
	case pick(0.1):
		root += "/"
	case pick(0.05):
		root += "//"
	case pick(0.1):
		phys, err := filepath.EvalSymlinks(dir)
		require.NoError(t, err)
		rel, err := filepath.Rel(phys, root)
		require.NoError(t, err)
		root = rel
		desc = append(desc, "relative root "+rel)
	}
	env := []string{"HOME=" + tr.p("home"), "LC_ALL=" + one("C", "C", "C.UTF-8"), "PATH=" + tr.p("sys/bin") + ":" + tools,
		"PWD=" + dir, "PYENV_ROOT=" + root}
	if pick(0.25) {
		v := word()
		if pick(0.2) {
			v = word() + ":" + word()
		}
		env = append(env, "PYENV_VERSION="+v)
		desc = append(desc, "PYENV_VERSION="+v)
	} else if pick(0.05) {
		env = append(env, "PYENV_VERSION=")
	}
	if pick(0.15) {
		pd := []string{tr.p("app/a"), "a", "b", tr.p("elsewhere"), "../app"}[rng.Intn(5)]
		tr.mkdir("elsewhere")
		env = append(env, "PYENV_DIR="+pd)
		desc = append(desc, "PYENV_DIR="+pd)
	}
	return pyenvCase{desc: strings.Join(desc, " "), dir: dir, env: env}
}

var pyenvQueries = [][]string{{"version-name"}, {"prefix"}, {"version-origin"}, {"which", "python"}, {"which", "gunicorn"}}

func runRealPyenv(bin string, c pyenvCase, args []string) queryResult {
	cmd := exec.Command(bin, args...)
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

func ourPyenv(c pyenvCase) map[string]queryResult {
	res, err := Resolve(Options{Dir: c.dir, Env: c.env})
	got := map[string]queryResult{}
	var de *DirError
	if errors.As(err, &de) {
		for _, q := range pyenvQueries {
			got[strings.Join(q, " ")] = queryResult{rc: 1}
		}
		return got
	}
	rc := 0
	if err != nil {
		rc = 1
	}
	got["version-name"] = queryResult{res.VersionName(), rc}
	if p, err := res.Prefix(); err != nil {
		got["prefix"] = queryResult{rc: 1}
	} else {
		got["prefix"] = queryResult{out: p}
	}
	got["version-origin"] = queryResult{out: res.Origin}
	for _, cmd := range []string{"python", "gunicorn"} {
		if p, err := res.Which(cmd); err != nil {
			got["which "+cmd] = queryResult{rc: 127}
		} else {
			got["which "+cmd] = queryResult{out: p}
		}
	}
	return got
}

func TestDifferentialPyenv(t *testing.T) {
	bin := os.Getenv("HOME") + "/.pyenv/bin/pyenv"
	testenv.RequireFile(t, bin, "pyenv 2.6.30")
	n := diffCases(128, 30)
	tools := hermeticTools(t)
	base := t.TempDir()
	base, err := filepath.EvalSymlinks(base)
	require.NoError(t, err)

	cases := make([]pyenvCase, n)
	for i := range cases {
		d := filepath.Join(base, fmt.Sprintf("c%03d", i))
		require.NoError(t, os.Mkdir(d, 0o755))
		cases[i] = genPyenvCase(t, d, tools, i)
	}
	type mismatch struct {
		i    int
		q    string
		want queryResult
		got  queryResult
	}
	var (
		mu         sync.Mutex
		mismatches []mismatch
		checks     int
		wg         sync.WaitGroup
	)
	work := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cases[i]
				ours := ourPyenv(c)
				for _, q := range pyenvQueries {
					key := strings.Join(q, " ")
					want := runRealPyenv(bin, c, q)
					got := ours[key]
					ok := want.out == got.out && (want.rc == 0) == (got.rc == 0)
					if strings.HasPrefix(key, "which") && want.rc == 127 {
						ok = got.rc == 127
					}
					if want.rc != 0 && key != "version-name" {
						ok = ok || (got.rc != 0 && got.out == "" && want.out == "")
					}
					mu.Lock()
					checks++
					if !ok {
						mismatches = append(mismatches, mismatch{i, key, want, got})
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, m := range mismatches {
		c := cases[m.i]
		t.Errorf("case %d %s: real %q rc=%d, ours %q rc=%d\n  dir=%s\n  env=%q\n  setup: %s",
			m.i, m.q, m.want.out, m.want.rc, m.got.out, m.got.rc, c.dir, c.env, c.desc)
	}
	assert.Empty(t, mismatches)
	t.Logf("%d cases, %d checks against the real pyenv, %d mismatches", n, checks, len(mismatches))
}

// diffCases is the number of generated cases: PYENV_DIFF_CASES when set
// (for deeper local runs), else def, or short under -short.
func diffCases(def, short int) int {
	if v, err := strconv.Atoi(os.Getenv("PYENV_DIFF_CASES")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return short
	}
	return def
}
