package pyenv

import (
	"regexp"
	"strings"
)

// dotenv parsing follows python-dotenv as vendored by pipenv 2022.12.19:
// "[export ]KEY=VALUE" bindings, single-quoted (\\ and \' decoded),
// double-quoted (\\ \' \" \a \b \f \n \r \t \v decoded) or unquoted values
// (a " #comment" tail dropped, trailing space trimmed), a key without "="
// binds nothing, an unparsable line is skipped, and ${NAME} / ${NAME:-default}
// are interpolated in every value.

var (
	dotenvWS         = regexp.MustCompile(`^\s*`)
	dotenvExport     = regexp.MustCompile(`^(?:export[^\S\r\n]+)?`)
	dotenvSQKey      = regexp.MustCompile(`^'([^']+)'`)
	dotenvKey        = regexp.MustCompile(`^([^=#\s]+)`)
	dotenvInlineWS   = regexp.MustCompile(`^[^\S\r\n]*`)
	dotenvEqual      = regexp.MustCompile(`^(=[^\S\r\n]*)`)
	dotenvSQValue    = regexp.MustCompile(`^'((?:\\'|[^'])*)'`)
	dotenvDQValue    = regexp.MustCompile(`^"((?:\\"|[^"])*)"`)
	dotenvUnquoted   = regexp.MustCompile(`^([^\r\n]*)`)
	dotenvComment    = regexp.MustCompile(`^(?:[^\S\r\n]*#[^\r\n]*)?`)
	dotenvEOL        = regexp.MustCompile(`^[^\S\r\n]*(?:\r\n|\n|\r|$)`)
	dotenvRestOfLine = regexp.MustCompile(`^[^\r\n]*(?:\r|\n|\r\n)?`)
	dotenvTailCmt    = regexp.MustCompile(`\s+#.*`)
	dotenvVar        = regexp.MustCompile(`\$\{([^}:]*)(?::-([^}]*))?\}`)
)

type dotenvBinding struct {
	key   string
	value string
	set   bool // a value was given (KEY=...)
}

// parseDotenv parses .env content into bindings in file order.
func parseDotenv(s string) []dotenvBinding {
	var out []dotenvBinding
	pos := 0
	eat := func(re *regexp.Regexp) ([]string, bool) {
		m := re.FindStringSubmatch(s[pos:])
		if m == nil {
			return nil, false
		}
		pos += len(m[0])
		return m, true
	}
	for pos < len(s) {
		eat(dotenvWS)
		if pos >= len(s) {
			break
		}
		b, ok := parseDotenvBinding(s, &pos, eat)
		if !ok {
			eat(dotenvRestOfLine)
			continue
		}
		if b.key != "" {
			out = append(out, b)
		}
	}
	return out
}

func parseDotenvBinding(s string, pos *int, eat func(*regexp.Regexp) ([]string, bool)) (dotenvBinding, bool) {
	var b dotenvBinding
	eat(dotenvExport)
	peek := func() byte {
		if *pos < len(s) {
			return s[*pos]
		}
		return 0
	}
	switch peek() {
	case '#':
		// a comment: no key
	case '\'':
		m, ok := eat(dotenvSQKey)
		if !ok {
			return b, false
		}
		b.key = m[1]
	default:
		m, ok := eat(dotenvKey)
		if !ok {
			return b, false
		}
		b.key = m[1]
	}
	eat(dotenvInlineWS)
	if peek() == '=' {
		eat(dotenvEqual)
		b.set = true
		switch peek() {
		case '\'':
			m, ok := eat(dotenvSQValue)
			if !ok {
				return b, false
			}
			b.value = decodeEscapes(m[1], `\'`)
		case '"':
			m, ok := eat(dotenvDQValue)
			if !ok {
				return b, false
			}
			b.value = decodeEscapes(m[1], `\'"abfnrtv`)
		case 0, '\n', '\r':
		default:
			m, _ := eat(dotenvUnquoted)
			b.value = strings.TrimRight(dotenvTailCmt.ReplaceAllString(m[1], ""), " \t\n\r\f\v")
		}
	}
	eat(dotenvComment)
	if _, ok := eat(dotenvEOL); !ok {
		return b, false
	}
	return b, true
}

// decodeEscapes decodes backslash escapes whose letter is in set.
func decodeEscapes(s, set string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(set, s[i+1]) >= 0 {
			b.WriteString(escapeValue(s[i+1]))
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func escapeValue(c byte) string {
	switch c {
	case 'a':
		return "\a"
	case 'b':
		return "\b"
	case 'f':
		return "\f"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'v':
		return "\v"
	}
	return string(c)
}

// applyDotenv loads bindings into env as load_dotenv(override=True) does:
// values are interpolated against the environment overlaid with the
// bindings read so far, then set.
func applyDotenv(env envMap, bindings []dotenvBinding) {
	newValues := map[string]*string{}
	var order []string
	for _, b := range bindings {
		if !b.set {
			newValues[b.key] = nil
			order = append(order, b.key)
			continue
		}
		v := dotenvVar.ReplaceAllStringFunc(b.value, func(m string) string {
			sm := dotenvVar.FindStringSubmatch(m)
			name, def := sm[1], sm[2]
			if nv, ok := newValues[name]; ok {
				if nv == nil {
					return ""
				}
				return *nv
			}
			if ev, ok := env[name]; ok {
				return ev
			}
			return def
		})
		newValues[b.key] = &v
		order = append(order, b.key)
	}
	for _, k := range order {
		if v := newValues[k]; v != nil {
			env[k] = *v
		}
	}
}
