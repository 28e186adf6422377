package conf

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EnvVar is one KEY=VALUE pair of an environment= option.
type EnvVar struct {
	Key, Value string
}

// ParseEnvironment parses an environment= value exactly as supervisord 4.2.5 does
// (datatypes.dict_of_key_value_pairs over Python's non-POSIX shlex with "/.+-():" added to
// the word characters), including its surprises: any single token separates pairs (not only
// a comma), quotes are stripped from both ends of a value, `#` starts a comment that drops
// the rest of the line, and characters such as `?`, `&` or `@` split a value into more
// tokens. A key set twice keeps its first position and its last value, as a Python dict.
//
// warnings describe the surprises found in s (a value cut by `#`, a separator that is not a
// comma, a quote inside a word), so that callers can tell users what supervisord silently
// does. The error text is supervisord's ("Unexpected end of key/value pairs in value '...'"
// or shlex's "No closing quotation").
func ParseEnvironment(s string) (vars []EnvVar, warnings []string, err error) {
	toks, comment, err := shlexTokens(s)
	if err != nil {
		return nil, nil, err
	}
	if comment {
		warnings = append(warnings, fmt.Sprintf("environment %q: '#' starts a comment there and the rest of the line is ignored; quote the value", s))
	}
	index := map[string]int{}
	for i := 0; i < len(toks); i += 4 {
		if i+3 > len(toks) || toks[i+1] != "=" {
			return nil, nil, errorf("Unexpected end of key/value pairs in value '%s'", s)
		}
		k, v := toks[i], strings.Trim(toks[i+2], `'"`)
		if strings.ContainsAny(strings.Trim(toks[i+2], `'"`), `'"`) {
			warnings = append(warnings, fmt.Sprintf("environment %q: the value of %s keeps a quote character (%q)", s, k, v))
		}
		if i+3 < len(toks) && toks[i+3] != "," {
			warnings = append(warnings, fmt.Sprintf("environment %q: %q after %s=%s is taken as a separator (only ',' is meant to separate pairs); quote values holding characters other than letters, digits and _/.+-():", s, toks[i+3], k, v))
		}
		if j, ok := index[k]; ok {
			vars[j].Value = v
			continue
		}
		index[k] = len(vars)
		vars = append(vars, EnvVar{k, v})
	}
	return vars, warnings, nil
}

func isShlexWordChar(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		strings.ContainsRune("/.+-():", r)
}

func isShlexSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// shlexTokens is list(shlex.shlex(s)) with posix=False and the extra word characters.
// comment reports whether a `#` comment dropped text.
func shlexTokens(s string) (toks []string, comment bool, err error) {
	i, n := 0, len(s)
	skipLine := func() {
		comment = true
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			i += j + 1
		} else {
			i = n
		}
	}
	pending := "" // a character pushed back as the next token
	for {
		if pending != "" {
			toks = append(toks, pending)
			pending = ""
			continue
		}
		state := ' '
		start, end := -1, -1
		var buf []byte // set when a comment inside a word makes the token non-contiguous
	loop:
		for {
			if i >= n {
				if state == '\'' || state == '"' {
					return nil, comment, errorf("No closing quotation")
				}
				break loop
			}
			c, size := rune(s[i]), 1
			if c >= utf8.RuneSelf {
				c, size = utf8.DecodeRuneInString(s[i:])
			}
			ci := i
			i += size
			switch {
			case state == ' ':
				switch {
				case isShlexSpace(c):
				case c == '#':
					skipLine()
				case isShlexWordChar(c):
					start, end, state = ci, i, 'a'
				case c == '\'' || c == '"':
					start, end, state = ci, i, c
				default:
					start, end = ci, i
					break loop
				}
			case state == '\'' || state == '"':
				end = i
				if c == state {
					break loop
				}
			default: // 'a'
				switch {
				case isShlexSpace(c):
					break loop
				case c == '#':
					if buf == nil {
						buf = append([]byte{}, s[start:end]...)
					}
					skipLine()
				case isShlexWordChar(c) || c == '\'' || c == '"':
					if buf != nil {
						buf = append(buf, s[ci:i]...)
					} else {
						end = i
					}
				default:
					pending = s[ci:i]
					break loop
				}
			}
		}
		var t string
		switch {
		case buf != nil:
			t = string(buf)
		case start >= 0:
			t = s[start:end]
		}
		if t == "" {
			return toks, comment, nil // the eof token ends the iteration
		}
		toks = append(toks, t)
	}
}
