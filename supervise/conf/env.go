package conf

import (
	"fmt"
	"strings"
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
	rs := []rune(s)
	i := 0
	skipLine := func() {
		comment = true
		for i < len(rs) {
			c := rs[i]
			i++
			if c == '\n' {
				return
			}
		}
	}
	var pushback []string
	for {
		if len(pushback) > 0 {
			toks = append(toks, pushback[0])
			pushback = pushback[1:]
			continue
		}
		// read_token
		state := ' '
		var tok strings.Builder
		emitted := false
	loop:
		for {
			if i >= len(rs) {
				if state == '\'' || state == '"' {
					return nil, comment, errorf("No closing quotation")
				}
				break loop
			}
			c := rs[i]
			i++
			switch {
			case state == ' ':
				switch {
				case isShlexSpace(c):
					if tok.Len() > 0 {
						break loop
					}
				case c == '#':
					skipLine()
				case isShlexWordChar(c):
					tok.WriteRune(c)
					state = 'a'
				case c == '\'' || c == '"':
					tok.WriteRune(c)
					state = c
				default:
					tok.WriteRune(c)
					break loop
				}
			case state == '\'' || state == '"':
				tok.WriteRune(c)
				if c == state {
					break loop
				}
			default: // 'a'
				switch {
				case isShlexSpace(c):
					break loop
				case c == '#':
					skipLine()
				case isShlexWordChar(c) || c == '\'' || c == '"':
					tok.WriteRune(c)
				default:
					pushback = append([]string{string(c)}, pushback...)
					break loop
				}
			}
		}
		t := tok.String()
		if t == "" {
			// the eof token ends the iteration
			_ = emitted
			return toks, comment, nil
		}
		toks = append(toks, t)
	}
}
