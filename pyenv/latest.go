package pyenv

import (
	"os"
	"regexp"
	"sort"
	"strings"
)

var (
	freeThreaded = regexp.MustCompile(`^(.*[0-9])t$`)
	preRelease   = regexp.MustCompile(`(a|b|rc)[0-9]+$`)
	digitT       = regexp.MustCompile(`[0-9]t$`)
)

// Installed lists the names pyenv considers installed for prefix
// resolution (`pyenv versions --bare --skip-envs`): every entry of
// $PYENV_ROOT/versions, dot-names included, that is a directory or a symlink
// to one, in directory order. envs under a version are not listed.
func (r *resolver) installed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cands != nil {
		return *r.cands
	}
	var names []string
	vdir := r.fs.abs(r.root + "/versions")
	if ents, err := os.ReadDir(vdir); err == nil {
		for _, e := range ents {
			// a real directory needs no stat; a symlink counts if it
			// leads to one
			if e.IsDir() || (e.Type()&os.ModeSymlink != 0 && r.fs.isDir(vdir+"/"+e.Name())) {
				names = append(names, e.Name())
			}
		}
	}
	r.cands = &names
	return names
}

// latest is `pyenv-latest -b P` (installed mode): the exact directory name
// if it exists, else the newest installed version named P[-.]..., skipping
// -dev, -src, -latest, aN/bN/rcN and (unless P ends in "<digit>t") free-
// threaded builds. ok is false when nothing matches.
func (r *resolver) latest(p string) (string, bool) {
	if r.fs.isDir(r.root + "/versions/" + p) {
		return p, true
	}
	return r.latestNoDir(p)
}

// latestNoDir is latest for a p already known not to be a directory.
func (r *resolver) latestNoDir(p string) (string, bool) {
	cands := r.installed()
	if len(cands) == 0 && p == "" {
		// `printf '%s\n'` of no candidates prints one empty line, which
		// `grep -x ""` matches.
		return p, true
	}
	for _, c := range cands {
		if c == p {
			return p, true
		}
	}
	return latestOf(cands, p)
}

// latestOf picks the newest of cands matching prefix p, as pyenv-latest's
// grep, sed, awk, sort and cut pipeline does under LC_ALL=C with mawk.
func latestOf(cands []string, p string) (string, bool) {
	suffix := ""
	if m := freeThreaded.FindStringSubmatch(p); m != nil {
		suffix = "t"
		p = m[1]
	}
	var keys []string
	for _, c := range cands {
		if strings.ContainsRune(c, '\n') {
			continue
		}
		if len(c) < len(p)+1 || !strings.HasPrefix(c, p) || (c[len(p)] != '-' && c[len(p)] != '.') {
			continue
		}
		if !strings.HasSuffix(c[len(p)+1:], suffix) {
			continue
		}
		if strings.HasSuffix(c, "-dev") || strings.HasSuffix(c, "-src") || strings.HasSuffix(c, "-latest") ||
			preRelease.MatchString(c) || (suffix == "" && digitT.MatchString(c)) {
			continue
		}
		keys = append(keys, sortKey(c))
	}
	sort.SliceStable(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	for _, k := range keys {
		if v := cutField2(k); v != "" {
			return v, true
		}
	}
	return "", false
}

// sortKey is pyenv-latest's awk key: NAME+"...|"+NAME, with the first "-"
// turned into "." for names starting with [[:alnum:]]+-.
func sortKey(c string) string {
	n := 0
	for n < len(c) && isAlnum(c[n]) {
		n++
	}
	if n > 0 && n < len(c) && c[n] == '-' {
		return c[:n] + "." + c[n+1:] + "..|" + c
	}
	return c + "...|" + c
}

func isAlnum(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// cutField2 is `cut -f2 -d'|'`.
func cutField2(line string) string {
	parts := strings.Split(line, "|")
	if len(parts) < 2 {
		return line
	}
	return parts[1]
}

// keyLess is GNU `sort -t. -k1,1r -k2,2nr -k3,3nr -k4,4nr` under LC_ALL=C,
// including sort's last-resort byte comparison of whole lines.
func keyLess(a, b string) bool {
	fa, fb := strings.Split(a, "."), strings.Split(b, ".")
	field := func(f []string, i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	if c := strings.Compare(field(fa, 0), field(fb, 0)); c != 0 {
		return c > 0
	}
	for i := 1; i <= 3; i++ {
		if c := numCompare(field(fa, i), field(fb, i)); c != 0 {
			return c > 0
		}
	}
	return a < b
}

// numCompare compares the leading numbers of a and b as GNU sort -n does in
// the C locale: optional blanks, optional '-', digits; anything else is 0.
func numCompare(a, b string) int {
	na, sa := leadingNumber(a)
	nb, sb := leadingNumber(b)
	if na == "" {
		sa = false
	}
	if nb == "" {
		sb = false
	}
	if sa != sb {
		if sa {
			return -1
		}
		return 1
	}
	c := cmpDigits(na, nb)
	if sa {
		return -c
	}
	return c
}

// leadingNumber returns the digits (without leading zeros) and the sign.
func leadingNumber(s string) (digits string, neg bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return strings.TrimLeft(s[i:j], "0"), neg
}

func cmpDigits(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
