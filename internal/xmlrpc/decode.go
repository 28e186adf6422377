package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDepth is how deeply values may nest (arrays and structs inside each other) in a decoded
// document. Deeper input is a *SyntaxError.
const MaxDepth = 64

// SyntaxError is malformed or unsupported input: what was wrong and at which byte offset.
type SyntaxError struct {
	Offset int // byte offset into the document
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("xmlrpc: invalid document at byte %d: %s", e.Offset, e.Msg)
}

// Call is a decoded methodCall.
type Call struct {
	Method string // "" when the document has no <methodName> or an empty one
	Params []any  // nil when there is no <params>
}

// DecodeCall reads a methodCall document. A missing <params> gives nil Params; a missing
// or empty <methodName> gives Method "" (supervisord answers both cases with HTTP 400).
func DecodeCall(data []byte) (*Call, error) {
	p, err := newParser(data)
	if err != nil {
		return nil, err
	}
	if err := p.openRoot("methodCall"); err != nil {
		return nil, err
	}
	c := &Call{}
	for {
		name, end, err := p.nextTag()
		if err != nil {
			return nil, err
		}
		if end {
			if string(name) != "methodCall" {
				return nil, p.errorf("unexpected </%s> in <methodCall>", name)
			}
			if err := p.finishTag(); err != nil {
				return nil, err
			}
			break
		}
		switch string(name) {
		case "methodName":
			empty, err := p.startTag()
			if err != nil {
				return nil, err
			}
			if !empty {
				if c.Method, err = p.text(); err != nil {
					return nil, err
				}
				if err := p.close("methodName"); err != nil {
					return nil, err
				}
			}
		case "params":
			if c.Params, err = p.params(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf("unexpected <%s> in <methodCall>", name)
		}
	}
	return c, p.end()
}

// DecodeResponse reads a methodResponse document: the returned value, or a *Fault as the
// error when the response is a fault.
func DecodeResponse(data []byte) (any, error) {
	p, err := newParser(data)
	if err != nil {
		return nil, err
	}
	if err := p.openRoot("methodResponse"); err != nil {
		return nil, err
	}
	name, end, err := p.nextTag()
	if err != nil {
		return nil, err
	}
	if end {
		return nil, p.errorf("empty <methodResponse>")
	}
	var v any
	var fault *Fault
	switch string(name) {
	case "params":
		params, err := p.params()
		if err != nil {
			return nil, err
		}
		if len(params) != 1 {
			return nil, p.errorf("a response has %d params, want 1", len(params))
		}
		v = params[0]
	case "fault":
		if _, err := p.startTag(); err != nil {
			return nil, err
		}
		fv, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.close("fault"); err != nil {
			return nil, err
		}
		s, ok := fv.(Struct)
		code, okc := s.Map()["faultCode"].(int64)
		str, oks := s.Map()["faultString"].(string)
		if !ok || !okc || !oks {
			return nil, p.errorf("a fault needs an int faultCode and a string faultString")
		}
		fault = &Fault{Code: int(code), String: str}
	default:
		return nil, p.errorf("unexpected <%s> in <methodResponse>", name)
	}
	if err := p.close("methodResponse"); err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	if fault != nil {
		return nil, fault
	}
	return v, nil
}

type parser struct {
	data   []byte
	pos    int
	depth  int
	sb     []byte            // scratch for text with entities
	intern map[string]string // struct member names, which repeat in every struct of an array
}

// internedText is text for a struct member name: the same names come back in every struct
// of an array, so each distinct one is allocated once (at most 256 of them).
func (p *parser) internedText() (string, error) {
	start := p.pos
	i := bytes.IndexByte(p.data[start:], '<')
	if i < 0 || i > 64 || bytes.IndexByte(p.data[start:start+i], '&') >= 0 || bytes.IndexByte(p.data[start:start+i], '\r') >= 0 ||
		bytes.HasPrefix(p.data[start+i:], []byte("<!")) {
		return p.text()
	}
	raw := p.data[start : start+i]
	if s, ok := p.intern[string(raw)]; ok {
		p.pos = start + i
		return s, nil
	}
	s := string(raw)
	if p.intern == nil {
		p.intern = make(map[string]string)
	}
	if len(p.intern) < 256 {
		p.intern[s] = s
	}
	p.pos = start + i
	return s, nil
}

func newParser(data []byte) (*parser, error) {
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &SyntaxError{i, "invalid UTF-8"}
	}
	return &parser{data: data}, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{p.pos, fmt.Sprintf(format, args...)}
}

// misc skips whitespace, comments and processing instructions.
func (p *parser) misc() error {
	for {
		for p.pos < len(p.data) && isSpace(p.data[p.pos]) {
			p.pos++
		}
		rest := p.data[p.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			i := bytes.Index(rest, []byte("?>"))
			if i < 0 {
				return p.errorf("unterminated processing instruction")
			}
			p.pos += i + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			i := bytes.Index(rest[4:], []byte("-->"))
			if i < 0 {
				return p.errorf("unterminated comment")
			}
			p.pos += 4 + i + 3
		case bytes.HasPrefix(rest, []byte("<!")) && !bytes.HasPrefix(rest, []byte("<![CDATA[")):
			return p.errorf("DOCTYPE and declarations are not accepted")
		default:
			return nil
		}
	}
}

func (p *parser) openRoot(name string) error {
	if err := p.misc(); err != nil {
		return err
	}
	got, end, err := p.peekTag()
	if err != nil || end || string(got) != name {
		return p.errorf("the document is not a <%s>", name)
	}
	empty, err := p.startTag()
	if err != nil {
		return err
	}
	if empty {
		return p.errorf("empty <%s/>", name)
	}
	return nil
}

// end checks that nothing but whitespace, comments and PIs follows the root.
func (p *parser) end() error {
	if err := p.misc(); err != nil {
		return err
	}
	if p.pos != len(p.data) {
		return p.errorf("content after the document element")
	}
	return nil
}

// peekTag returns the name of the tag at pos (without moving), and whether it is an end tag.
func (p *parser) peekTag() (name []byte, end bool, err error) {
	i := p.pos
	if i >= len(p.data) || p.data[i] != '<' {
		return nil, false, p.errorf("expected a tag")
	}
	i++
	if i < len(p.data) && p.data[i] == '/' {
		end = true
		i++
	}
	j := i
	for j < len(p.data) && isNameByte(p.data[j]) {
		j++
	}
	if j == i {
		return nil, false, p.errorf("expected a tag name")
	}
	return p.data[i:j], end, nil
}

// nextTag skips whitespace and comments, then peeks the next tag; text other than
// whitespace is an error.
func (p *parser) nextTag() ([]byte, bool, error) {
	if err := p.misc(); err != nil {
		return nil, false, err
	}
	if p.pos >= len(p.data) {
		return nil, false, p.errorf("unexpected end of document")
	}
	return p.peekTag()
}

// startTag consumes the start tag at pos (attributes are skipped) and reports whether it
// was self-closing.
func (p *parser) startTag() (empty bool, err error) {
	i := p.pos + 1
	var quote byte
	for ; i < len(p.data); i++ {
		c := p.data[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<':
			return false, p.errorf("'<' inside a tag")
		case c == '>':
			empty = p.data[i-1] == '/'
			p.pos = i + 1
			return empty, nil
		}
	}
	return false, p.errorf("unterminated tag")
}

// finishTag consumes an end tag at pos.
func (p *parser) finishTag() error {
	i := bytes.IndexByte(p.data[p.pos:], '>')
	if i < 0 {
		return p.errorf("unterminated end tag")
	}
	for _, c := range p.data[p.pos+2 : p.pos+i] {
		if !isNameByte(c) && !isSpace(c) {
			return p.errorf("malformed end tag")
		}
	}
	p.pos += i + 1
	return nil
}

// close expects whitespace and then </name>.
func (p *parser) close(name string) error {
	got, end, err := p.nextTag()
	if err != nil {
		return err
	}
	if !end || string(got) != name {
		return p.errorf("expected </%s>", name)
	}
	return p.finishTag()
}

// open expects whitespace and then <name> or <name/>.
func (p *parser) open(name string) (empty bool, err error) {
	got, end, err := p.nextTag()
	if err != nil {
		return false, err
	}
	if end || string(got) != name {
		return false, p.errorf("expected <%s>", name)
	}
	return p.startTag()
}

// text reads character data up to the next tag (comments are skipped and CDATA included),
// resolving entities and normalizing line ends as XML parsers do.
func (p *parser) text() (string, error) {
	start := p.pos
	simple := true
	for i := p.pos; i < len(p.data); i++ {
		c := p.data[i]
		if c == '<' {
			if !bytes.HasPrefix(p.data[i:], []byte("<!")) {
				p.pos = i
				return string(p.data[start:i]), nil
			}
			simple = false
			break
		}
		if c == '&' || c == '\r' {
			simple = false
			break
		}
	}
	if simple {
		p.pos = len(p.data)
		return "", p.errorf("unexpected end of document")
	}
	sb := p.sb[:0]
	i := start
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '<':
			rest := p.data[i:]
			switch {
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				j := bytes.Index(rest, []byte("]]>"))
				if j < 0 {
					p.pos = i
					return "", p.errorf("unterminated CDATA section")
				}
				sb = appendNormalized(sb, rest[9:j])
				i += j + 3
			case bytes.HasPrefix(rest, []byte("<!--")):
				j := bytes.Index(rest[4:], []byte("-->"))
				if j < 0 {
					p.pos = i
					return "", p.errorf("unterminated comment")
				}
				i += 4 + j + 3
			case bytes.HasPrefix(rest, []byte("<!")):
				p.pos = i
				return "", p.errorf("declaration inside content")
			default:
				p.pos = i
				p.sb = sb
				return string(sb), nil
			}
		case c == '&':
			j := bytes.IndexByte(p.data[i:], ';')
			if j < 0 || j > 12 {
				p.pos = i
				return "", p.errorf("malformed entity reference")
			}
			r, ok := entity(string(p.data[i+1 : i+j]))
			if !ok {
				p.pos = i
				return "", p.errorf("unknown entity &%s;", p.data[i+1:i+j])
			}
			sb = utf8.AppendRune(sb, r)
			i += j + 1
		case c == '\r':
			sb = append(sb, '\n')
			i++
			if i < len(p.data) && p.data[i] == '\n' {
				i++
			}
		default:
			sb = append(sb, c)
			i++
		}
	}
	p.pos = i
	return "", p.errorf("unexpected end of document")
}

func appendNormalized(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		}
		dst = append(dst, b[i])
	}
	return dst
}

func entity(name string) (rune, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if name[1] == 'x' {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	r := rune(n)
	if err != nil || !isXMLChar(r) {
		return 0, false
	}
	return r, true
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// blank reads text that must be whitespace only.
func (p *parser) blank(where string) error {
	t, err := p.text()
	if err != nil {
		return err
	}
	if strings.TrimLeft(t, " \t\r\n") != "" {
		return p.errorf("unexpected text in <%s>", where)
	}
	return nil
}

// params reads <params> (at pos) up to and including </params>.
func (p *parser) params() ([]any, error) {
	empty, err := p.startTag()
	if err != nil {
		return nil, err
	}
	params := []any{}
	if empty {
		return params, nil
	}
	for {
		name, end, err := p.nextTag()
		if err != nil {
			return nil, err
		}
		if end && string(name) == "params" {
			return params, p.finishTag()
		}
		if end || string(name) != "param" {
			return nil, p.errorf("expected <param>")
		}
		if empty, err := p.startTag(); err != nil || empty {
			if err == nil {
				err = p.errorf("empty <param/>")
			}
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.close("param"); err != nil {
			return nil, err
		}
		params = append(params, v)
	}
}

// value reads whitespace then one <value> element.
func (p *parser) value() (any, error) {
	empty, err := p.open("value")
	if err != nil {
		return nil, err
	}
	if empty {
		return "", nil
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.errorf("values nested deeper than %d", MaxDepth)
	}
	t, err := p.text()
	if err != nil {
		return nil, err
	}
	name, end, err := p.peekTag()
	if err != nil {
		return nil, err
	}
	if end {
		if string(name) != "value" {
			return nil, p.errorf("expected </value>")
		}
		return t, p.finishTag()
	}
	if strings.TrimLeft(t, " \t\r\n") != "" {
		return nil, p.errorf("text and a typed value mixed in <value>")
	}
	v, err := p.typed(name)
	if err != nil {
		return nil, err
	}
	return v, p.close("value")
}

// typed reads the type element at pos, named name.
func (p *parser) typed(tag []byte) (any, error) {
	empty, err := p.startTag()
	if err != nil {
		return nil, err
	}
	switch string(tag) {
	case "array":
		if empty {
			return nil, p.errorf("<array/> without <data>")
		}
		return p.array()
	case "struct":
		if empty {
			return Struct{}, nil
		}
		return p.structValue()
	case "nil":
		return nil, p.errorf("<nil/> is not supported")
	}
	name := string(tag)
	text := ""
	if !empty {
		if text, err = p.text(); err != nil {
			return nil, err
		}
		if err := p.close(name); err != nil {
			return nil, err
		}
	}
	switch name {
	case "string":
		return text, nil
	case "int", "i4":
		v, ok := parsePyInt(text)
		if !ok {
			return nil, p.errorf("invalid <%s> %q", name, truncate(text))
		}
		return v, nil
	case "boolean":
		// supervisord's unmarshaller: "1" is true, anything else false.
		return text == "1", nil
	case "double":
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(text), "_", ""), 64)
		if err != nil && !isRangeErr(err) {
			return nil, p.errorf("invalid <double> %q", truncate(text))
		}
		return f, nil
	case "dateTime.iso8601":
		t, err := time.Parse("20060102T15:04:05", strings.TrimSpace(text))
		if err != nil {
			return nil, p.errorf("invalid <dateTime.iso8601> %q", truncate(text))
		}
		return t, nil
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, text)
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			return nil, p.errorf("invalid <base64>: %v", err)
		}
		return b, nil
	}
	return nil, p.errorf("unsupported value type <%s>", name)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (p *parser) array() (any, error) {
	empty, err := p.open("data")
	if err != nil {
		return nil, err
	}
	arr := []any{}
	if !empty {
		for {
			name, end, err := p.nextTag()
			if err != nil {
				return nil, err
			}
			if end && string(name) == "data" {
				if err := p.finishTag(); err != nil {
					return nil, err
				}
				break
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	}
	return arr, p.close("array")
}

func (p *parser) structValue() (any, error) {
	s := make(Struct, 0, 4)
	for {
		name, end, err := p.nextTag()
		if err != nil {
			return nil, err
		}
		if end && string(name) == "struct" {
			return s, p.finishTag()
		}
		if end || string(name) != "member" {
			return nil, p.errorf("expected <member>")
		}
		if empty, err := p.startTag(); err != nil || empty {
			if err == nil {
				err = p.errorf("empty <member/>")
			}
			return nil, err
		}
		empty, err := p.open("name")
		if err != nil {
			return nil, err
		}
		key := ""
		if !empty {
			if key, err = p.internedText(); err != nil {
				return nil, err
			}
			if err := p.close("name"); err != nil {
				return nil, err
			}
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.close("member"); err != nil {
			return nil, err
		}
		s = append(s, Member{key, v})
	}
}

// parsePyInt parses like Python's int(text): surrounding whitespace, a sign, digits with
// single underscores between them. Values outside int64 are refused.
func parsePyInt(text string) (int64, bool) {
	s := strings.TrimSpace(text)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return 0, false
	}
	var n uint64
	prevUnderscore := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		}
		prevUnderscore = false
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxUint64-9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == ':' || c >= 0x80
}
