package pyenv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseVersionFile(t *testing.T) {
	long := "#" + strings.Repeat("x", 1099) + "\n3.11.7\n"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"one", "3.11.7\n", []string{"3.11.7"}},
		{"no newline", "3.11.7", []string{"3.11.7"}},
		{"crlf", "3.11.7\r\n", []string{"3.11.7"}},
		{"leading cr and words", " \t3.10.13   this is ignored\r\n\r3.9.18\n", []string{"3.10.13", "3.9.18"}},
		{"comments", "# pinned\n\n   # another\n\n3.11.7\n", []string{"3.11.7"}},
		{"inline hash is part of word", "3.10.13#c\n", []string{"3.10.13#c"}},
		{"bom kept", "\xef\xbb\xbf3.11.7\n", []string{"\xef\xbb\xbf3.11.7"}},
		{"colon kept", "3.11.7:3.10.13\n", []string{"3.11.7:3.10.13"}},
		{"blank only", " \r\n\t\n", nil},
		{"empty", "", nil},
		{"nul dropped", "3.1\x001.7\n", []string{"3.11.7"}},
		{"1024 chunks", long, []string{strings.Repeat("x", 76), "3.11.7"}},
		{"vertical tab not trimmed", "\v3.11\n", []string{"\v3.11"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVersionFile(strings.NewReader(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLatestOf(t *testing.T) {
	std := []string{"2.7.18", "3.6.15", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"}
	tests := []struct {
		name   string
		cands  []string
		prefix string
		want   string // "" = no match
	}{
		{"numeric patch", append(std, "3.11.10", "3.11.4"), "3.11", "3.11.10"},
		{"numeric minor", std, "3", "3.13.0"},
		{"boundary", std, "3.1", ""},
		{"boundary match", append(std, "3.1.5"), "3.1", "3.1.5"},
		{"partial patch", []string{"3.11.10", "3.11.12"}, "3.11.1", ""},
		{"prerelease skipped", append(std, "3.14.0rc1", "3.14-dev"), "3.14", ""},
		{"free-threaded skipped", append(std, "3.13.1t"), "3.13", "3.13.0"},
		{"free-threaded asked", append(std, "3.13.1t"), "3.13t", "3.13.1t"},
		{"tie-break debug", append(std, "3.11.7-debug"), "3.11", "3.11.7-debug"},
		{"pypy", []string{"pypy3.10-7.3.12", "pypy3.10-7.3.15"}, "pypy3.10", "pypy3.10-7.3.15"},
		{"pypy no boundary", []string{"pypy3.10-7.3.12"}, "pypy", ""},
		{"alnum dash key", []string{"miniconda3-4.7.12", "miniconda3-23.1.0"}, "miniconda3", "miniconda3-23.1.0"},
		{"major 2", std, "2", "2.7.18"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := latestOf(tc.cands, tc.prefix)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSplitColon(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a:", []string{"a"}},
		{"a::", []string{"a", ""}},
		{":a", []string{"", "a"}},
		{"a::b", []string{"a", "", "b"}},
		{":", []string{""}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, splitColon(tc.in), "%q", tc.in)
	}
}

func TestStripBinSuffix(t *testing.T) {
	assert.Equal(t, "/usr", stripBinSuffix("/usr/bin/python"))
	assert.Equal(t, "/a/bin/b", stripBinSuffix("/a/bin/b/bin/python"))
	assert.Equal(t, "", stripBinSuffix("/bin/python"))
	assert.Equal(t, "/opt", stripBinSuffix("/opt/sbin/python3"))
	assert.Equal(t, "/opt/python", stripBinSuffix("/opt/python"))
}

func TestParseVersionFileUTF8(t *testing.T) {
	line := "#" + strings.Repeat("é", 600) + "\n3.9.18\n"
	bytesWords, err := parseVersionFile(strings.NewReader(line), false)
	require.NoError(t, err)
	charWords, err := parseVersionFile(strings.NewReader(line), true)
	require.NoError(t, err)
	assert.Equal(t, []string{"3.9.18"}, charWords, "600 characters fit one read")
	require.Len(t, bytesWords, 2, "1201 bytes do not")
	assert.Equal(t, "3.9.18", bytesWords[1])
	assert.True(t, utf8Locale(envMap{"LC_ALL": "C.UTF-8"}))
	assert.True(t, utf8Locale(envMap{"LANG": "C.utf8"}))
	assert.False(t, utf8Locale(envMap{"LC_ALL": "C", "LANG": "C.UTF-8"}))
	assert.False(t, utf8Locale(envMap{}))
}
