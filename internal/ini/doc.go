// Package ini reads supervisord.conf files the way supervisord 4.2.5 reads them: Python's
// configparser.RawConfigParser with inline_comment_prefixes=(';', '#') and strict=False.
//
// The rules, all reproduced here (Python 3.11's configparser is the reference):
//
//   - `;` and `#` start a full-line comment (after optional leading whitespace).
//   - An inline comment needs whitespace (or the start of the line) before its `;` or `#`;
//     `daemon off;` keeps its `;`. Python's search for inline comments finds, round after round,
//     the next `;` and the next `#`; the first round that finds any valid one wins (so in rare
//     lines a later `#` beats an earlier ` ;`), and so does this reader.
//   - `key = value` or `key: value`: the first `=` or `:` splits; the key is trimmed and
//     lower-cased, the value trimmed.
//   - A line indented deeper than its key line continues the value (joined with "\n", leading
//     whitespace removed); blank lines inside a value are kept, comment lines are skipped, and
//     trailing blank lines are dropped.
//   - Duplicate sections merge and duplicate keys overwrite (last value wins), also across files.
//   - [DEFAULT] holds values every section falls back to.
//   - Lines are split on "\n", "\r\n" and "\r" (Python's universal newlines).
//   - Bad lines are collected and reported together as Python words it
//     ("Source contains parsing errors: 'file'\n\t[line 15]: 'text\n'"); a key line before any
//     section header stops the file at once ("File contains no section headers.").
//
// Every value keeps the file and line it came from, for error messages.
//
// The package also implements Python's `%` formatting with a mapping (Expand), which
// supervisord applies to almost every value: `%(name)s`, `%(name)02d`, `%%` and the other
// conversions, with Python's error texts.
package ini
