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
// matches itself.
func fnmatch(name, pat string) bool {
	n, p := []rune(name), []rune(pat)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for j < len(p) {
			switch p[j] {
			case '*':
				for j < len(p) && p[j] == '*' {
					j++
				}
				if j == len(p) {
					return true
				}
				for k := i; k <= len(n); k++ {
					if match(k, j) {
						return true
					}
				}
				return false
			case '?':
				if i >= len(n) {
					return false
				}
				i, j = i+1, j+1
			case '[':
				end, ok := classEnd(p, j)
				if !ok {
					if i >= len(n) || n[i] != '[' {
						return false
					}
					i, j = i+1, j+1
					continue
				}
				if i >= len(n) || !inClass(n[i], p[j+1:end]) {
					return false
				}
				i, j = i+1, end+1
			default:
				if i >= len(n) || n[i] != p[j] {
					return false
				}
				i, j = i+1, j+1
			}
		}
		return i == len(n)
	}
	return match(0, 0)
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
