package conf

import (
	"os"
	"path/filepath"
	"strings"
)

// pyGlob is Python's glob.glob(pattern) (not recursive): `*`, `?` and `[...]` per path
// component, names starting with '.' matched only by a component starting with '.', a
// pattern without magic returned when the path exists.
func pyGlob(pattern string) []string {
	if !hasMagic(pattern) {
		if _, err := os.Lstat(pattern); err == nil {
			return []string{pattern}
		}
		return nil
	}
	dir, base := filepath.Split(pattern)
	dir = strings.TrimRight(dir, "/")
	if dir == "" && strings.HasPrefix(pattern, "/") {
		dir = "/"
	}
	var dirs []string
	switch {
	case dir == "":
		dirs = []string{""}
	case hasMagic(dir):
		dirs = pyGlob(dir)
	default:
		dirs = []string{dir}
	}
	var out []string
	for _, d := range dirs {
		if base == "" {
			if isDir(d) {
				out = append(out, d+"/")
			}
			continue
		}
		if !hasMagic(base) {
			p := filepath.Join(d, base)
			if d == "" {
				p = base
			}
			if _, err := os.Lstat(p); err == nil {
				out = append(out, p)
			}
			continue
		}
		list := d
		if list == "" {
			list = "."
		}
		entries, err := os.ReadDir(list)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
				continue
			}
			if fnmatch(name, base) {
				if d == "" {
					out = append(out, name)
				} else if strings.HasSuffix(d, "/") {
					out = append(out, d+name)
				} else {
					out = append(out, d+"/"+name)
				}
			}
		}
	}
	return out
}

func hasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// fnmatch is Python's fnmatch.fnmatchcase: `*`, `?`, `[seq]`, `[!seq]`; an unclosed '['
// matches itself. It backtracks only to the last `*`, so it runs in O(len(name)*len(pat)).
func fnmatch(name, pat string) bool {
	n, p := []rune(name), []rune(pat)
	i, j := 0, 0
	starJ, starI := -1, 0
	for i < len(n) {
		if j < len(p) {
			switch p[j] {
			case '*':
				starJ, starI = j, i
				j++
				continue
			case '?':
				i, j = i+1, j+1
				continue
			case '[':
				if end, ok := classEnd(p, j); ok {
					if inClass(n[i], p[j+1:end]) {
						i, j = i+1, end+1
						continue
					}
				} else if n[i] == '[' {
					i, j = i+1, j+1
					continue
				}
			default:
				if n[i] == p[j] {
					i, j = i+1, j+1
					continue
				}
			}
		}
		if starJ < 0 {
			return false
		}
		starI++
		i, j = starI, starJ+1
	}
	for j < len(p) && p[j] == '*' {
		j++
	}
	return j == len(p)
}

// classEnd returns the index of the ']' closing the class opened at p[j].
func classEnd(p []rune, j int) (int, bool) {
	k := j + 1
	if k < len(p) && p[k] == '!' {
		k++
	}
	if k < len(p) && p[k] == ']' {
		k++
	}
	for k < len(p) && p[k] != ']' {
		k++
	}
	return k, k < len(p)
}

func inClass(c rune, cls []rune) bool {
	neg := false
	if len(cls) > 0 && cls[0] == '!' {
		neg, cls = true, cls[1:]
	}
	found := false
	for k := 0; k < len(cls); k++ {
		if k+2 < len(cls) && cls[k+1] == '-' {
			if cls[k] <= c && c <= cls[k+2] {
				found = true
			}
			k += 2
			continue
		}
		if cls[k] == c {
			found = true
		}
	}
	return found != neg
}
