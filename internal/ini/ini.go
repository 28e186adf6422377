package ini

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultSection is the name of the section whose values every other section falls back to.
const DefaultSection = "DEFAULT"

// Value is one option value with where it was (last) set.
type Value struct {
	// Raw is the value as read: trimmed, comments removed, continuation lines joined with "\n".
	Raw string
	// File is the name of the file the value was read from, as passed to Read.
	File string
	// Line is the 1-based line of the `key = value` line.
	Line int
}

// Section is one [name] section, merged over every header with that name.
type Section struct {
	// Name is the text between the brackets, not trimmed (Python does not trim it either).
	Name string
	// File is the file whose header created the section (supervisord's section_to_file keeps
	// the first one).
	File string
	// Line is the line of that first header.
	Line int

	entries []entry
	index   map[string]int // built once the section has many keys
	parent  *File
}

type entry struct {
	key string
	val Value
}

// find returns the index of key in entries, or -1.
func (s *Section) find(key string) int {
	if s.index != nil {
		if i, ok := s.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range s.entries {
		if s.entries[i].key == key {
			return i
		}
	}
	return -1
}

// Keys returns the section's own keys (not [DEFAULT]'s), lower-cased, in the order they first
// appeared.
func (s *Section) Keys() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.key
	}
	return out
}

// Options returns the keys Python's parser.options(section) returns: the section's own keys,
// then the [DEFAULT] keys it does not define.
func (s *Section) Options() []string {
	out := s.Keys()
	if d := s.parent.defaults; d != nil && d != s {
		for _, e := range d.entries {
			if s.find(e.key) < 0 {
				out = append(out, e.key)
			}
		}
	}
	return out
}

// Get returns the value of key (lower-cased by the caller or not: it is lower-cased here),
// falling back to [DEFAULT]. ok is false when neither defines it.
func (s *Section) Get(key string) (v Value, ok bool) {
	key = strings.ToLower(key)
	if i := s.find(key); i >= 0 {
		return s.entries[i].val, true
	}
	if d := s.parent.defaults; d != nil && d != s {
		if i := d.find(key); i >= 0 {
			return d.entries[i].val, true
		}
	}
	return Value{}, false
}

// Has reports whether Get would find key.
func (s *Section) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// Set sets key (lower-cased) to v in this section.
func (s *Section) Set(key string, v Value) {
	s.set(strings.ToLower(key), v)
}

// set stores v under the lower-case key and returns its index in entries.
func (s *Section) set(key string, v Value) int {
	if i := s.find(key); i >= 0 {
		s.entries[i].val = v
		return i
	}
	s.entries = append(s.entries, entry{key, v})
	i := len(s.entries) - 1
	if s.index != nil {
		s.index[key] = i
	} else if len(s.entries) > 32 {
		s.index = make(map[string]int, 64)
		for j, e := range s.entries {
			s.index[e.key] = j
		}
	}
	return i
}

// File is a parsed configuration: one or more files read into the same set of sections.
type File struct {
	sections []*Section
	byName   map[string]*Section
	defaults *Section
}

// New returns an empty File.
func New() *File {
	return &File{byName: map[string]*Section{}}
}

// Parse reads one file's content into a new File. name is used in errors and in Value.File.
func Parse(name string, data []byte) (*File, error) {
	f := New()
	if err := f.Read(name, data); err != nil {
		return nil, err
	}
	return f, nil
}

// Sections returns every section except [DEFAULT], in the order they first appeared.
func (f *File) Sections() []*Section {
	return append([]*Section(nil), f.sections...)
}

// Section returns the named section, or nil. "DEFAULT" returns the defaults section, if any.
func (f *File) Section(name string) *Section {
	if name == DefaultSection {
		return f.defaults
	}
	return f.byName[name]
}

// Defaults returns the [DEFAULT] section, or nil when no file had one.
func (f *File) Defaults() *Section { return f.defaults }

func (f *File) section(name, file string, line int) *Section {
	if name == DefaultSection {
		if f.defaults == nil {
			f.defaults = &Section{Name: name, File: file, Line: line, parent: f}
		}
		return f.defaults
	}
	if s, ok := f.byName[name]; ok {
		return s
	}
	s := &Section{Name: name, File: file, Line: line, parent: f}
	f.byName[name] = s
	f.sections = append(f.sections, s)
	return s
}

// LineError is one line Python's parser could not read.
type LineError struct {
	Line int    // 1-based
	Text string // the whole line, with its "\n" if it had one
}

// ParseError is a file with lines that are neither comments, headers, options nor
// continuations (Python's ParsingError), or a key line before any header
// (MissingSectionHeaderError, NoSection set).
type ParseError struct {
	File      string
	Lines     []LineError
	NoSection bool
}

// Error returns Python's text, e.g.
// "Source contains parsing errors: 'f.conf'\n\t[line  5]: 'oops\n'".
func (e *ParseError) Error() string {
	if e.NoSection {
		l := e.Lines[0]
		return fmt.Sprintf("File contains no section headers.\nfile: %s, line: %d\n%s", Repr(e.File), l.Line, Repr(l.Text))
	}
	var b strings.Builder
	b.WriteString("Source contains parsing errors: ")
	b.WriteString(Repr(e.File))
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n\t[line %2d]: %s", l.Line, Repr(l.Text))
	}
	return b.String()
}

// EncodingError reports a file that is not valid UTF-8 (Python would crash with a traceback).
type EncodingError struct {
	File string
	Line int
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("%s: line %d is not valid UTF-8", e.File, e.Line)
}

// IsSpace reports whether Python's str.isspace() is true for r.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip trims Python whitespace from both ends (str.strip()).
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// commentStart returns the byte index where an inline comment starts, or -1, following
// Python's round-by-round search.
func commentStart(line string) int {
	if strings.IndexByte(line, ';') < 0 && strings.IndexByte(line, '#') < 0 {
		return -1
	}
	prefixes := [2]byte{';', '#'}
	index := [2]int{-1, -1}
	alive := [2]bool{true, true}
	start := -1
	for start == -1 && (alive[0] || alive[1]) {
		for p := 0; p < 2; p++ {
			if !alive[p] {
				continue
			}
			i := strings.IndexByte(line[index[p]+1:], prefixes[p])
			if i < 0 {
				alive[p] = false
				continue
			}
			i += index[p] + 1
			index[p] = i
			if i == 0 || precededBySpace(line, i) {
				if start == -1 || i < start {
					start = i
				}
			}
		}
	}
	return start
}

func precededBySpace(line string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(line[:i])
	return IsSpace(r)
}

// Read parses one more file into f, as Python's parser.read does for an included file:
// sections already present are merged, new ones remember this file.
// On a *ParseError the sections read before the bad line are kept (as in Python); callers
// that need all-or-nothing discard f.
func (f *File) Read(name string, data []byte) error {
	type optRef struct {
		sec *Section
		i   int
	}
	var (
		cur    *Section
		opt    optRef // the value the current option line set; sec nil after a header
		indent = 0
		perr   *ParseError
		parts  map[optRef][]string // multi-line values, joined at the end
	)
	defer func() {
		for r, ps := range parts {
			r.sec.entries[r.i].val.Raw = strings.TrimRightFunc(strings.Join(ps, "\n"), IsSpace)
		}
	}()
	appendPart := func(s string) {
		if parts == nil {
			parts = map[optRef][]string{}
		}
		ps, ok := parts[opt]
		if !ok {
			ps = []string{opt.sec.entries[opt.i].val.Raw}
		}
		parts[opt] = append(ps, s)
	}
	text := string(data)
	lineno := 0
	for len(text) > 0 {
		lineno++
		line := text
		if j := strings.IndexAny(text, "\r\n"); j >= 0 {
			line = text[:j+1]
			text = text[j+1:]
			if line[j] == '\r' {
				line = line[:j] + "\n"
				if strings.HasPrefix(text, "\n") {
					text = text[1:]
				}
			}
		} else {
			text = ""
		}
		if !utf8.ValidString(line) {
			return &EncodingError{File: name, Line: lineno}
		}
		cs := commentStart(line)
		stripped := Strip(line)
		if strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			cs = 0
		}
		value := stripped
		if cs >= 0 {
			value = Strip(line[:cs])
		}
		if value == "" {
			if cs < 0 && cur != nil && opt.sec != nil {
				appendPart("")
			}
			continue
		}
		curIndent := 0
		if !IsSpace(rune(line[0])) && line[0] < utf8.RuneSelf {
			curIndent = 0
		} else {
			k := strings.IndexFunc(line, func(r rune) bool { return !IsSpace(r) })
			curIndent = utf8.RuneCountInString(line[:k])
		}
		if cur != nil && opt.sec != nil && curIndent > indent {
			appendPart(value)
			continue
		}
		indent = curIndent
		if header, ok := sectionHeader(value); ok {
			cur = f.section(header, name, lineno)
			opt = optRef{}
			continue
		}
		if cur == nil {
			return &ParseError{File: name, Lines: []LineError{{lineno, line}}, NoSection: true}
		}
		key, val, ok := splitOption(value)
		if !ok {
			perr = addLineError(perr, name, lineno, line)
			continue
		}
		if key == "" {
			perr = addLineError(perr, name, lineno, line)
			opt = optRef{}
			continue
		}
		i := cur.set(strings.ToLower(key), Value{Raw: val, File: name, Line: lineno})
		opt = optRef{cur, i}
		delete(parts, opt)
	}
	if perr != nil {
		return perr
	}
	return nil
}

func addLineError(e *ParseError, file string, line int, text string) *ParseError {
	if e == nil {
		e = &ParseError{File: file}
	}
	e.Lines = append(e.Lines, LineError{line, text})
	return e
}

// sectionHeader matches Python's `\[(?P<header>.+)\]` at the start of value.
func sectionHeader(value string) (string, bool) {
	if !strings.HasPrefix(value, "[") {
		return "", false
	}
	j := strings.LastIndexByte(value, ']')
	if j < 2 {
		return "", false
	}
	return value[1:j], true
}

// splitOption matches Python's `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`.
func splitOption(value string) (key, val string, ok bool) {
	i := strings.IndexAny(value, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimRightFunc(value[:i], IsSpace), strings.TrimLeftFunc(value[i+1:], IsSpace), true
}

// ReplaceHere replaces the text "%(here)s" with dir in every value of every section
// (including values a section inherits from [DEFAULT], which are then copied into it), as
// supervisord's expand_here does after reading a file when the config has an [include].
func (f *File) ReplaceHere(dir string) {
	const here = "%(here)s"
	for _, s := range f.sections {
		for _, k := range s.Options() {
			v, _ := s.Get(k)
			if strings.Contains(v.Raw, here) {
				v.Raw = strings.ReplaceAll(v.Raw, here, dir)
				s.Set(k, v)
			}
		}
	}
}
