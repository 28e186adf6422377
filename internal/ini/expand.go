package ini

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// next decodes the character at s[i] and returns it with the index after it.
func next(s string, i int) (rune, int) {
	if s[i] < utf8.RuneSelf {
		return rune(s[i]), i + 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return r, i + size
}

// KeyError is a `%(name)s` whose name is not in the mapping (Python's KeyError).
type KeyError struct {
	Key string
}

// Error returns str(KeyError): the repr of the key, e.g. 'ENV_NOPE' with its quotes.
func (e *KeyError) Error() string { return Repr(e.Key) }

// FormatError is a badly formatted string (Python's ValueError or TypeError from `%`), with
// Python's message, e.g. "unsupported format character 'Y' (0x59) at index 64".
type FormatError struct {
	Msg string
}

func (e *FormatError) Error() string { return e.Msg }

// Expand returns Python's `format % vars` for a mapping: `%(name)s`, `%(name)02d` and every
// other conversion (d i u o x X e E f F g G c s r a) with its flags, width and precision, and
// `%%`. Values in vars must be string or int. Errors are *KeyError or *FormatError, the first
// one Python would raise.
//
// One deliberate difference: an unkeyed `%s`, `%r` or `%a` (which Python fills with the repr
// of the whole mapping) is a *FormatError here.
func Expand(format string, vars map[string]any) (string, error) {
	return ExpandFunc(format, func(k string) (any, bool) {
		v, ok := vars[k]
		return v, ok
	})
}

// ExpandFunc is Expand with the mapping given as a lookup function.
func ExpandFunc(format string, lookup func(name string) (any, bool)) (string, error) {
	if strings.IndexByte(format, '%') < 0 {
		return format, nil
	}
	rs := format
	n := len(rs)
	var out strings.Builder
	out.Grow(len(format) + 16)
	// Python keeps one "current argument": the mapping itself until a %(key) replaces it with
	// the key's value; each conversion (and each '*') consumes it once.
	var arg any = mappingArg{}
	used := false
	nextArg := func() (any, error) {
		if used {
			return nil, &FormatError{"not enough arguments for format string"}
		}
		used = true
		return arg, nil
	}
	incomplete := &FormatError{"incomplete format"}
	i := 0
	for i < n {
		c := rune(rs[i])
		if c != '%' {
			j := strings.IndexByte(rs[i:], '%')
			if j < 0 {
				j = n - i
			}
			out.WriteString(rs[i : i+j])
			i += j
			continue
		}
		i++
		if i >= n {
			return "", incomplete
		}
		if rs[i] == '%' {
			out.WriteByte('%')
			i++
			continue
		}
		var sp spec
		sp.width, sp.prec = -1, -1
		if rs[i] == '(' {
			depth := 1
			i++
			start := i
			for depth > 0 && i < n {
				switch rs[i] {
				case ')':
					depth--
				case '(':
					depth++
				}
				i++
			}
			if depth > 0 {
				return "", &FormatError{"incomplete format key"}
			}
			key := rs[start : i-1]
			v, ok := lookup(key)
			if !ok {
				return "", &KeyError{Key: key}
			}
			arg, used = v, false
		}
		// flags
		for {
			if i >= n {
				return "", incomplete
			}
			c, i = next(rs, i)
			switch c {
			case '-':
				sp.minus = true
				continue
			case '+':
				sp.plus = true
				continue
			case ' ':
				sp.space = true
				continue
			case '#':
				sp.alt = true
				continue
			case '0':
				sp.zero = true
				continue
			}
			break
		}
		// width
		if c == '*' {
			v, err := nextArg()
			if err != nil {
				return "", err
			}
			w, ok := v.(int)
			if !ok {
				return "", &FormatError{"* wants int"}
			}
			if w < 0 {
				sp.minus = true
				w = -w
			}
			sp.width = w
			if i >= n {
				return "", incomplete
			}
			c, i = next(rs, i)
		} else if isDigit(c) {
			var err error
			if sp.width, c, i, err = decimal(rs, i, c, "width"); err != nil {
				return "", err
			}
		}
		// precision
		if c == '.' {
			sp.prec = 0
			if i >= n {
				return "", incomplete
			}
			c, i = next(rs, i)
			if c == '*' {
				v, err := nextArg()
				if err != nil {
					return "", err
				}
				p, ok := v.(int)
				if !ok {
					return "", &FormatError{"* wants int"}
				}
				if p < 0 {
					p = 0
				}
				sp.prec = p
				if i >= n {
					return "", incomplete
				}
				c, i = next(rs, i)
			} else if isDigit(c) {
				var err error
				if sp.prec, c, i, err = decimal(rs, i, c, "precision"); err != nil {
					return "", err
				}
			}
		}
		if c == 'h' || c == 'l' || c == 'L' {
			if i >= n {
				return "", incomplete
			}
			c, i = next(rs, i)
		}
		sp.conv = c
		v, err := nextArg()
		if err != nil {
			return "", err
		}
		if !strings.ContainsRune("diuoxXeEfFgGcsra", c) {
			ch := '?'
			if c >= 32 && c <= 126 {
				ch = c
			}
			return "", &FormatError{fmt.Sprintf("unsupported format character '%c' (0x%x) at index %d", ch, c, utf8.RuneCountInString(rs[:i])-1)}
		}
		if sp.width > maxFormatted || (sp.prec > maxFormatted && !strings.ContainsRune("sra", c)) {
			// Python would try to build it and fail with MemoryError (or succeed after
			// gigabytes); a config value never wants that much padding.
			return "", &FormatError{fmt.Sprintf("width or precision over %d", maxFormatted)}
		}
		s, err := sp.format(v)
		if err != nil {
			return "", err
		}
		out.WriteString(s)
	}
	return out.String(), nil
}

// mappingArg stands for the mapping itself, which unkeyed conversions receive in Python.
type mappingArg struct{}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// decimal reads the width or precision of a conversion whose first digit, c, has just been
// read from s (i is the index after it): it returns the number and the first character after
// it with the index after that, or Python's errors ("incomplete format", "width too big").
func decimal(s string, i int, c rune, what string) (int, rune, int, error) {
	v := int(c - '0')
	for {
		if i >= len(s) {
			return 0, 0, i, &FormatError{"incomplete format"}
		}
		c, i = next(s, i)
		if !isDigit(c) {
			return v, c, i, nil
		}
		if v > (math.MaxInt64-int(c-'0'))/10 {
			return 0, 0, i, &FormatError{what + " too big"}
		}
		v = v*10 + int(c-'0')
	}
}

// maxFormatted bounds a conversion's width, and the precision of a number, in characters:
// beyond it a value would take gigabytes (%.3111111111111111111d).
const maxFormatted = 1 << 20

type spec struct {
	minus, plus, space, alt, zero bool
	width, prec                   int
	conv                          rune
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case int:
		return "int"
	case mappingArg:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

func (sp spec) format(v any) (string, error) {
	switch sp.conv {
	case 's', 'r', 'a':
		var s string
		switch x := v.(type) {
		case string:
			switch sp.conv {
			case 's':
				s = x
			case 'r':
				s = Repr(x)
			default:
				s = ASCII(x)
			}
		case int:
			s = strconv.Itoa(x)
		default:
			return "", &FormatError{fmt.Sprintf("unkeyed %%%c (the whole mapping) is not supported", sp.conv)}
		}
		if sp.prec >= 0 {
			rs := []rune(s)
			if len(rs) > sp.prec {
				s = string(rs[:sp.prec])
			}
		}
		return sp.pad(s, false), nil
	case 'c':
		switch x := v.(type) {
		case int:
			if x < 0 || x >= 0x110000 {
				return "", &FormatError{"%c arg not in range(0x110000)"}
			}
			return sp.pad(string(rune(x)), false), nil
		case string:
			if len([]rune(x)) == 1 {
				return sp.pad(x, false), nil
			}
		}
		return "", &FormatError{"%c requires int or char"}
	case 'd', 'i', 'u', 'o', 'x', 'X':
		x, ok := v.(int)
		if !ok {
			what := "a real number"
			if sp.conv == 'o' || sp.conv == 'x' || sp.conv == 'X' {
				what = "an integer"
			}
			return "", &FormatError{fmt.Sprintf("%%%c format: %s is required, not %s", sp.conv, what, typeName(v))}
		}
		neg := x < 0
		u := uint64(x)
		if neg {
			u = uint64(-(x + 1)) + 1
		}
		var digits, prefix string
		switch sp.conv {
		case 'o':
			digits = strconv.FormatUint(u, 8)
			if sp.alt {
				prefix = "0o"
			}
		case 'x':
			digits = strconv.FormatUint(u, 16)
			if sp.alt {
				prefix = "0x"
			}
		case 'X':
			digits = strings.ToUpper(strconv.FormatUint(u, 16))
			if sp.alt {
				prefix = "0X"
			}
		default:
			digits = strconv.FormatUint(u, 10)
		}
		if sp.prec > len(digits) {
			digits = strings.Repeat("0", sp.prec-len(digits)) + digits
		}
		return sp.padNumber(neg, prefix, digits), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		x, ok := v.(int)
		if !ok {
			return "", &FormatError{"must be real number, not " + typeName(v)}
		}
		f := float64(x)
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		verb := byte(sp.conv)
		upper := verb == 'E' || verb == 'F' || verb == 'G'
		lower := verb | 0x20
		var s string
		switch lower {
		case 'e':
			s = strconv.FormatFloat(math.Abs(f), 'e', prec, 64)
		case 'f':
			s = strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
			if sp.alt && prec == 0 {
				s += "."
			}
		case 'g':
			if prec == 0 {
				prec = 1
			}
			s = formatG(math.Abs(f), prec, sp.alt)
		}
		if upper {
			s = strings.ToUpper(s)
		}
		return sp.padNumber(f < 0, "", s), nil
	}
	return "", &FormatError{"unsupported format"}
}

// formatG is C's %g: %e when the exponent is < -4 or >= prec, else %f, trailing zeros
// removed unless alt.
func formatG(f float64, prec int, alt bool) string {
	e := strconv.FormatFloat(f, 'e', prec-1, 64)
	exp := 0
	if k := strings.IndexByte(e, 'e'); k >= 0 {
		exp, _ = strconv.Atoi(e[k+1:])
	}
	var s string
	if exp < -4 || exp >= prec {
		s = e
		if !alt {
			k := strings.IndexByte(s, 'e')
			mant := s[:k]
			if strings.Contains(mant, ".") {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			s = mant + s[k:]
		}
	} else {
		s = strconv.FormatFloat(f, 'f', prec-1-exp, 64)
		if !alt && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		} else if alt && !strings.Contains(s, ".") {
			s += "."
		}
	}
	return s
}

func (sp spec) pad(s string, _ bool) string {
	n := len([]rune(s))
	if sp.width <= n {
		return s
	}
	fill := strings.Repeat(" ", sp.width-n)
	if sp.minus {
		return s + fill
	}
	return fill + s
}

func (sp spec) padNumber(neg bool, prefix, digits string) string {
	sign := ""
	switch {
	case neg:
		sign = "-"
	case sp.plus:
		sign = "+"
	case sp.space:
		sign = " "
	}
	body := sign + prefix + digits
	if sp.width <= len(body) {
		return body
	}
	switch {
	case sp.minus:
		return body + strings.Repeat(" ", sp.width-len(body))
	case sp.zero:
		return sign + prefix + strings.Repeat("0", sp.width-len(body)) + digits
	}
	return strings.Repeat(" ", sp.width-len(body)) + body
}
