// Package shlex splits a command line the way Python's shlex.split(s) does (POSIX mode, no
// comments), which is how supervisord turns command= into argv. No shell ever runs.
package shlex

import "errors"

// The errors Python's shlex raises, with its exact texts (supervisord shows them in spawnerr:
// `can't parse command "...": No closing quotation`).
var (
	// ErrNoClosingQuotation: the line ends inside '...' or "...".
	ErrNoClosingQuotation = errors.New("No closing quotation")
	// ErrNoEscapedCharacter: the line ends with a lone backslash.
	ErrNoEscapedCharacter = errors.New("No escaped character")
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Split returns the words of s under POSIX shell quoting: whitespace separates words; '...'
// keeps everything literally; "..." keeps everything except that a backslash escapes '"' and
// '\'; outside quotes a backslash escapes any character; quotes join with adjacent text
// (a'b'c is "abc") and an empty quoted string is an empty word. A nil slice means s had no
// words.
func Split(s string) ([]string, error) {
	var (
		words  []string
		word   []byte
		inWord bool // a word has started (possibly empty, through quotes)
	)
	rs := []byte(s) // quotes, backslash and spaces are ASCII: bytes keep any other text as it is, valid UTF-8 or not
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case isSpace(c):
			if inWord {
				words = append(words, string(word))
				word, inWord = word[:0], false
			}
		case c == '\\':
			if i+1 >= len(rs) {
				return nil, ErrNoEscapedCharacter
			}
			i++
			word, inWord = append(word, rs[i]), true
		case c == '\'' || c == '"':
			q := c
			inWord = true
			closed := false
			for i++; i < len(rs); i++ {
				d := rs[i]
				if d == q {
					closed = true
					break
				}
				if q == '"' && d == '\\' {
					if i+1 >= len(rs) {
						return nil, ErrNoEscapedCharacter
					}
					if n := rs[i+1]; n == '"' || n == '\\' {
						i++
						word = append(word, n)
						continue
					}
				}
				word = append(word, d)
			}
			if !closed {
				return nil, ErrNoClosingQuotation
			}
		default:
			word, inWord = append(word, c), true
		}
	}
	if inWord {
		words = append(words, string(word))
	}
	return words, nil
}
