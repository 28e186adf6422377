package pyenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// ReadChunk is the number of bytes pyenv 2.6.30 reads at a time from a
// version file (`read -n 1024` in the C locale; in a UTF-8 locale it counts
// characters, and Resolve follows the locale of Options.Env). The rest of a
// longer line is parsed as if it were a new line.
const ReadChunk = 1024

// ParseVersionFile splits the contents of a .python-version file into the
// words pyenv considers, before its traversal check: the first word of
// every line (a line being at most ReadChunk bytes), words separated by
// space, tab, CR or LF, NUL bytes dropped, blank lines and words starting
// with "#" skipped. A UTF-8 BOM is kept (pyenv does not strip it). It reads
// r to the end; the error is r's read error (the words before it are
// returned, as pyenv uses them).
func ParseVersionFile(r io.Reader) ([]string, error) {
	return parseVersionFile(r, false)
}

// parseVersionFile is ParseVersionFile; with utf8Chars the 1024 limit
// counts characters, as bash's read does in a UTF-8 locale.
func parseVersionFile(r io.Reader, utf8Chars bool) ([]string, error) {
	br := bufio.NewReader(r)
	var words []string
	for {
		chunk, eof, err := readChunk(br, utf8Chars)
		if err != nil {
			return words, err
		}
		w := firstWord(chunk)
		if eof && w == "" {
			return words, nil
		}
		if w != "" && w[0] != '#' {
			words = append(words, w)
		}
		if eof {
			return words, nil
		}
	}
}

// readChunk is bash `read -n 1024 -r` with the delimiter "\n": it returns
// what was read and whether the input ended before a delimiter or the byte
// limit (read's failure status).
func readChunk(br *bufio.Reader, utf8Chars bool) (chunk []byte, eof bool, err error) {
	for n := 0; n < ReadChunk; {
		c, err := br.ReadByte()
		if err == io.EOF {
			return chunk, true, nil
		}
		if err != nil {
			return chunk, true, err
		}
		if c == 0 {
			continue // bash read drops NUL bytes without counting them
		}
		if c == '\n' {
			return chunk, false, nil
		}
		chunk = append(chunk, c)
		n++
		if utf8Chars && c >= 0x80 {
			// bash's read_mbchar: add bytes while the sequence is an
			// incomplete character; the whole sequence counts as one.
			start := len(chunk) - 1
			for len(chunk)-start < utf8.UTFMax && !utf8.FullRune(chunk[start:]) {
				next, err := br.ReadByte()
				if err != nil {
					break
				}
				chunk = append(chunk, next)
			}
		}
	}
	return chunk, false, nil
}

// utf8Locale reports whether bash started with env would run in a UTF-8
// locale: LC_ALL, else LC_CTYPE, else LANG names a UTF-8 codeset and the
// locale exists (C.UTF-8 always does; others need to be installed, or
// bash falls back to C).
func utf8Locale(env envMap) bool {
	name := env.get("LC_ALL")
	if name == "" {
		name = env.get("LC_CTYPE")
	}
	if name == "" {
		name = env.get("LANG")
	}
	lang, codeset, ok := strings.Cut(name, ".")
	if !ok {
		return false
	}
	codeset, _, _ = strings.Cut(codeset, "@")
	if cs := strings.ToLower(strings.ReplaceAll(codeset, "-", "")); cs != "utf8" {
		return false
	}
	if lang == "C" || lang == "POSIX" {
		return true
	}
	for _, n := range []string{name, lang + ".utf8", lang + ".UTF-8"} {
		if st, err := os.Stat("/usr/lib/locale/" + n); err == nil && st.IsDir() {
			return true
		}
	}
	if v, ok := localeArchiveCache.Load(lang); ok {
		return v.(bool)
	}
	archive, err := os.ReadFile("/usr/lib/locale/locale-archive")
	found := err == nil && bytes.Contains(archive, []byte(lang+".utf8\x00"))
	localeArchiveCache.Store(lang, found)
	return found
}

// localeArchiveCache remembers which locales the (multi-megabyte) glibc
// locale archive holds, so that it is read once per locale name and
// process, not once per resolution.
var localeArchiveCache sync.Map

func isIFS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// firstWord returns the first IFS-separated word of b.
func firstWord(b []byte) string {
	i := 0
	for i < len(b) && isIFS(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isIFS(b[j]) {
		j++
	}
	return string(b[i:j])
}

// fileRead is the outcome of pyenv-version-file-read.
type fileRead struct {
	value    string   // the accepted words joined with ":"
	ok       bool     // the command's success: at least one word accepted
	warnings []string // what pyenv prints on stderr without failing
}

// readVersionFile is pyenv-version-file-read FILE: parse, then drop (with a
// warning) every word that is ".." or contains "/" unless a logical cd to
// $PYENV_ROOT/versions/WORD lands inside "$PYENV_ROOT/versions/".
func (r *resolver) readVersionFile(file string) fileRead {
	var out fileRead
	if !r.fs.nonEmpty(file) {
		return out
	}
	f, err := os.Open(r.fs.abs(file))
	if err != nil {
		out.warnings = append(out.warnings, fmt.Sprintf("pyenv: cannot read version file `%s': %s", file, errText(err)))
		return out
	}
	defer f.Close()
	words, err := parseVersionFile(f, r.utf8)
	if err != nil {
		out.warnings = append(out.warnings, fmt.Sprintf("pyenv: read error in version file `%s': %s", file, errText(err)))
	}
	var kept []string
	for _, w := range words {
		if !r.versionSafe(w) {
			out.warnings = append(out.warnings, fmt.Sprintf("pyenv: invalid version `%s' ignored in `%s'", w, file))
			continue
		}
		kept = append(kept, w)
	}
	if len(kept) == 0 {
		return out
	}
	out.value = strings.Join(kept, ":")
	out.ok = true
	return out
}

// errText is the bare reason of a file error ("permission denied").
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// versionSafe is pyenv's is_version_safe (the CVE-2022-35861 check).
func (r *resolver) versionSafe(v string) bool {
	if v != ".." && !strings.Contains(v, "/") {
		return true
	}
	pwd, ok := r.fs.cd(r.root + "/versions/" + v)
	if !ok {
		return false
	}
	return strings.HasPrefix(pwd, r.root+"/versions/")
}

// findLocalVersionFile is pyenv-version-file's find_local_version_file.
func (r *resolver) findLocalVersionFile(root string) (string, bool) {
	for !isDoubleSlashTop(root) {
		f := root + "/.python-version"
		if r.fs.isFile(f) {
			return f, true
		}
		if root == "" {
			break
		}
		i := strings.LastIndexByte(root, '/')
		if i < 0 {
			break
		}
		root = root[:i]
	}
	return "", false
}

// isDoubleSlashTop matches ^//[^/]*$.
func isDoubleSlashTop(s string) bool {
	return strings.HasPrefix(s, "//") && !strings.Contains(s[2:], "/")
}

// versionFile is pyenv-version-file without an argument.
func (r *resolver) versionFile() string {
	if f, ok := r.findLocalVersionFile(r.dir); ok {
		return f
	}
	if r.dir != r.pwd {
		if f, ok := r.findLocalVersionFile(r.pwd); ok {
			return f
		}
	}
	return r.root + "/version"
}
