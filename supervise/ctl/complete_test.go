package ctl

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// TestCompletions checks the candidates of supervisorctl's complete() (supervisorctl.py
// 4.2.5) for each kind of word, with the process list a completion would fetch.
func TestCompletions(t *testing.T) {
	s := &Session{commands: map[string]Command{}}
	for _, c := range builtinCommands() {
		s.commands[c.Name] = c
	}
	s.completeInfo = []rpc.ProcessInfo{
		{Name: "web", Group: "web"},
		{Name: "ga", Group: "grp"},
		{Name: "gb", Group: "grp"},
	}
	tests := []struct {
		text, line string
		want       []string
	}{
		{"", "", nil}, // every action: checked below by count
		{"st", "st", []string{"start ", "status ", "stop "}},
		{"re", "help re", []string{"reload ", "remove ", "reread ", "restart "}},
		{"re", "he re", []string{"reload ", "remove ", "reread ", "restart "}}, // `action in ('help')`
		{"", "start ", []string{"web ", "grp:ga ", "grp:* ", "grp:gb "}},
		{"g", "stop g", []string{"grp:ga ", "grp:* ", "grp:gb "}},
		{"web:", "tail web:", []string{"web:web ", "web:* "}},
		{"", "update ", []string{"web ", "grp "}},
		{"", "version ", nil},
		{"x", "nosuch x", nil},
		{"E", "E", nil}, // EOF is not offered
	}
	for _, tt := range tests {
		got := s.completions(tt.text, tt.line)
		if tt.line == "" {
			assert.Len(t, got, len(builtinCommands())-1, "every action but EOF")
			continue
		}
		if tt.want == nil {
			assert.Empty(t, got, "%q", tt.line)
			continue
		}
		assert.ElementsMatch(t, tt.want, got, "%q", tt.line)
	}
}

func TestColumnize(t *testing.T) {
	assert.Equal(t, []string{"grp:*    grp:ga   grp:gb "}, columnize([]string{"grp:* ", "grp:ga ", "grp:gb "}, 80))
	assert.Equal(t, []string{"aa  cc", "bb"}, columnize([]string{"aa", "bb", "cc"}, 9))
}

func TestSplitKey(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "ab": "a", "\x1b[A.": "\x1b[A", "\x1b[3~": "\x1b[3~", "é!": "é", "\x1bb": "\x1bb"} {
		key, n := splitKey([]byte(in))
		assert.Equal(t, want, key, "%q", in)
		assert.Equal(t, len(want), n, "%q", in)
	}
	for _, partial := range []string{"", "\x1b", "\x1b[", "\x1b[3", "\xc3"} {
		_, n := splitKey([]byte(partial))
		assert.Zero(t, n, "%q is incomplete", partial)
	}
}
