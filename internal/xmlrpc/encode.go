package xmlrpc

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

const header = "<?xml version='1.0'?>\n"

// AppendResponse appends the methodResponse document for v to dst, as Python's
// xmlrpc.client.dumps((v,), methodresponse=True) writes it; a *Fault v gives the fault
// document instead.
func AppendResponse(dst []byte, v any) ([]byte, error) {
	if f, ok := v.(*Fault); ok {
		return AppendFault(dst, f), nil
	}
	dst = append(dst, header...)
	dst = append(dst, "<methodResponse>\n<params>\n<param>\n"...)
	dst, err := AppendValue(dst, v)
	if err != nil {
		return nil, err
	}
	return append(dst, "</param>\n</params>\n</methodResponse>\n"...), nil
}

// AppendFault appends the methodResponse document of fault f.
func AppendFault(dst []byte, f *Fault) []byte {
	dst = append(dst, header...)
	dst = append(dst, "<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>"...)
	dst = strconv.AppendInt(dst, Capped(int64(f.Code)), 10)
	dst = append(dst, "</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>"...)
	dst = appendEscaped(dst, f.String)
	return append(dst, "</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"...)
}

// AppendCall appends the methodCall document calling method with params.
func AppendCall(dst []byte, method string, params ...any) ([]byte, error) {
	dst = append(dst, header...)
	dst = append(dst, "<methodCall>\n<methodName>"...)
	dst = appendEscaped(dst, method)
	dst = append(dst, "</methodName>\n<params>\n"...)
	for _, p := range params {
		var err error
		dst = append(dst, "<param>\n"...)
		if dst, err = AppendValue(dst, p); err != nil {
			return nil, err
		}
		dst = append(dst, "</param>\n"...)
	}
	return append(dst, "</params>\n</methodCall>\n"...), nil
}

// AppendValue appends one <value> element and its newline.
func AppendValue(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case int:
		return appendInt(dst, int64(x))
	case int32:
		return appendInt(dst, int64(x))
	case int64:
		return appendInt(dst, x)
	case bool:
		if x {
			return append(dst, "<value><boolean>1</boolean></value>\n"...), nil
		}
		return append(dst, "<value><boolean>0</boolean></value>\n"...), nil
	case string:
		dst = append(dst, "<value><string>"...)
		dst = appendEscaped(dst, x)
		return append(dst, "</string></value>\n"...), nil
	case float64:
		dst = append(dst, "<value><double>"...)
		dst = appendPyFloat(dst, x)
		return append(dst, "</double></value>\n"...), nil
	case time.Time:
		dst = append(dst, "<value><dateTime.iso8601>"...)
		dst = x.AppendFormat(dst, "20060102T15:04:05")
		return append(dst, "</dateTime.iso8601></value>\n"...), nil
	case []byte:
		dst = append(dst, "<value><base64>\n"...)
		dst = appendBase64Lines(dst, x)
		return append(dst, "</base64></value>\n"...), nil
	case []any:
		dst = append(dst, "<value><array><data>\n"...)
		for _, e := range x {
			if dst, err = AppendValue(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, "</data></array></value>\n"...), nil
	case []string:
		dst = append(dst, "<value><array><data>\n"...)
		for _, e := range x {
			dst, _ = AppendValue(dst, e)
		}
		return append(dst, "</data></array></value>\n"...), nil
	case []int:
		dst = append(dst, "<value><array><data>\n"...)
		for _, e := range x {
			if dst, err = appendInt(dst, int64(e)); err != nil {
				return nil, err
			}
		}
		return append(dst, "</data></array></value>\n"...), nil
	case Struct:
		dst = append(dst, "<value><struct>\n"...)
		for _, m := range x {
			dst = append(dst, "<member>\n<name>"...)
			dst = appendEscaped(dst, m.Name)
			dst = append(dst, "</name>\n"...)
			if dst, err = AppendValue(dst, m.Value); err != nil {
				return nil, err
			}
			dst = append(dst, "</member>\n"...)
		}
		return append(dst, "</struct></value>\n"...), nil
	case map[string]any:
		return AppendValue(dst, StructOf(x))
	case *Fault:
		return AppendValue(dst, Struct{{"faultCode", x.Code}, {"faultString", x.String}})
	case nil:
		return nil, fmt.Errorf("xmlrpc: cannot marshal None (no <nil/>)")
	}
	return nil, fmt.Errorf("xmlrpc: cannot marshal %T", v)
}

func appendInt(dst []byte, v int64) ([]byte, error) {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return nil, &OverflowError{v}
	}
	dst = append(dst, "<value><int>"...)
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, "</int></value>\n"...), nil
}

// appendPyFloat writes f as Python's repr: the shortest round-trip digits, positional for
// exponents -4..15 (always with a ".0" when integral), else 1e+16 / 1.5e-05.
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one near powers of ten; take the exponent from the 'e' form.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			exp, _ = strconv.Atoi(e[i+1:])
			break
		}
	}
	if exp < -4 || exp >= 16 {
		return append(dst, e...)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	dst = append(dst, s...)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// appendBase64Lines writes base64 in lines of 76 characters, each ending in a newline
// (Python's base64.encodebytes).
func appendBase64Lines(dst, b []byte) []byte {
	const chunk = 57 // 57 bytes -> 76 characters
	for len(b) > 0 {
		n := len(b)
		if n > chunk {
			n = chunk
		}
		dst = base64.StdEncoding.AppendEncode(dst, b[:n])
		dst = append(dst, '\n')
		b = b[n:]
	}
	return dst
}

// appendEscaped writes s as XML character data: &, < and > escaped as Python does. Bytes that
// XML 1.0 cannot carry (invalid UTF-8, control characters other than tab, newline and carriage
// return) become U+FFFD, so that every client can parse the document.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		var repl string
		size := 1
		switch c {
		case '&':
			repl = "&amp;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			if c < 0x20 {
				repl = "\uFFFD"
				break
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
				repl = "\uFFFD"
			} else {
				i += n
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, repl...)
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}
