package logrotate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestReadFileRules(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "r.log")
	require.NoError(t, os.WriteFile(name, []byte("0123456789"), 0o644))
	for _, tc := range []struct {
		offset, length int64
		want           string
		kind           error
	}{
		{0, 0, "0123456789", nil},
		{3, 0, "3456789", nil},
		{3, 4, "3456", nil},
		{8, 100, "89", nil},
		{10, 0, "", nil},
		{50, 5, "", nil},
		{-3, 0, "789", nil},
		{-100, 0, "0123456789", nil},
		{math.MinInt64, 0, "0123456789", nil},
		{-3, 2, "", ErrBadArguments},
		{-3, -2, "", ErrBadArguments},
		{0, -1, "", ErrBadArguments},
	} {
		got, err := ReadFile(name, tc.offset, tc.length)
		if tc.kind != nil {
			assert.ErrorIs(t, err, tc.kind, "offset %d length %d", tc.offset, tc.length)
			var fe *FileError
			if assert.ErrorAs(t, err, &fe) {
				assert.Equal(t, name, fe.Path)
				assert.Contains(t, fe.Error(), name)
			}
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(got), "offset %d length %d", tc.offset, tc.length)
	}

	_, err := ReadFile(filepath.Join(dir, "missing"), 0, 0)
	assert.ErrorIs(t, err, ErrNoFile)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ReadFile(dir, 0, 0) // a directory exists but cannot be read
	assert.ErrorIs(t, err, ErrFailed)

	data, off, over, err := TailFile(filepath.Join(dir, "missing"), 5, 10)
	assert.ErrorIs(t, err, ErrNoFile)
	assert.Equal(t, []any{"", int64(0), false}, []any{string(data), off, over})
}

// pyCase is one call of supervisor.options.readFile or tailFile.
type pyCase struct {
	Fn     string `json:"fn"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

type pyResult struct {
	Data     string `json:"data"`
	Offset   int64  `json:"offset"`
	Overflow bool   `json:"overflow"`
	Err      string `json:"err"`
}

const pyDriver = `import json, os, sys
from supervisor.options import readFile, tailFile
out = []
for c in json.load(sys.stdin):
    r = {"data": "", "offset": 0, "overflow": False, "err": ""}
    if c["fn"] == "read":
        # rpcinterface checks existence before calling readFile
        if not os.path.exists(c["path"]):
            r["err"] = "NO_FILE"
        else:
            try:
                d = readFile(c["path"], c["offset"], c["length"])
                r["data"] = d.decode("latin-1")
            except ValueError as e:
                r["err"] = e.args[0]
    else:
        if not os.path.exists(c["path"]):
            r["err"] = "NO_FILE"
        else:
            d, off, over = tailFile(c["path"], c["offset"], c["length"])
            r["data"], r["offset"], r["overflow"] = d, off, over
    out.append(r)
json.dump(out, sys.stdout)
`

// ReadFile and TailFile against supervisord's own readFile and tailFile (python3 and the
// Debian supervisor package), over a grid of sizes, offsets and lengths.
func TestReadTailDifferentialAgainstSupervisor(t *testing.T) {
	// Debian's python3, the one the supervisor package is installed for (python3 on PATH may be
	// a pyenv shim).
	python := "/usr/bin/python3"
	testenv.RequireFile(t, python, "Debian package python3")
	testenv.RequireFile(t, "/usr/lib/python3/dist-packages/supervisor/options.py", "Debian package supervisor")
	dir := t.TempDir()
	var cases []pyCase
	for _, size := range []int{0, 1, 10, 100} {
		path := filepath.Join(dir, "f"+strings.Repeat("x", size%7)+string(rune('a'+size%26)))
		content := make([]byte, size)
		for i := range content {
			content[i] = byte('a' + i%26)
		}
		require.NoError(t, os.WriteFile(path, content, 0o644))
		for _, off := range []int64{-200, -101, -100, -99, -10, -1, 0, 1, 9, 10, 11, 99, 100, 101, 1000} {
			for _, l := range []int64{-5, -1, 0, 1, 5, 10, 99, 100, 101, 500} {
				cases = append(cases, pyCase{"read", path, off, l}, pyCase{"tail", path, off, l})
			}
		}
	}
	missing := filepath.Join(dir, "missing")
	cases = append(cases, pyCase{"read", missing, 0, 0}, pyCase{"tail", missing, 3, 4})

	in, err := json.Marshal(cases)
	require.NoError(t, err)
	cmd := exec.Command(python, "-c", pyDriver)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var want []pyResult
	require.NoError(t, json.Unmarshal(out, &want))
	require.Len(t, want, len(cases))

	faults := map[string]error{"NO_FILE": ErrNoFile, "BAD_ARGUMENTS": ErrBadArguments, "FAILED": ErrFailed}
	for i, c := range cases {
		w := want[i]
		var got pyResult
		switch c.Fn {
		case "read":
			d, err := ReadFile(c.Path, c.Offset, c.Length)
			got.Data = string(d)
			if err != nil {
				for name, kind := range faults {
					if errors.Is(err, kind) {
						got.Err = name
					}
				}
			}
		case "tail":
			d, off, over, err := TailFile(c.Path, c.Offset, c.Length)
			got = pyResult{Data: string(d), Offset: off, Overflow: over}
			if errors.Is(err, ErrNoFile) {
				got.Err = "NO_FILE"
			}
		}
		assert.Equal(t, w, got, "%s(size %s, offset %d, length %d)", c.Fn, filepath.Base(c.Path), c.Offset, c.Length)
	}
}

// tailModel is tailFile with Python's unbounded integers.
func tailModel(sz, offset, length int64) (pos, n int64, overflow bool) {
	S, O, L := big.NewInt(sz), big.NewInt(offset), big.NewInt(length)
	sum := func() *big.Int { return new(big.Int).Add(O, L) }
	one := big.NewInt(1)
	if S.Cmp(sum()) > 0 {
		overflow = true
		O = new(big.Int).Sub(S, one)
	}
	if sum().Cmp(S) > 0 {
		if O.Cmp(new(big.Int).Sub(S, one)) > 0 {
			L = big.NewInt(0)
		}
		O = new(big.Int).Sub(S, L)
	}
	if O.Sign() < 0 {
		O = big.NewInt(0)
	}
	if L.Sign() < 0 {
		L = big.NewInt(0)
	}
	// Reads beyond the end return nothing; clamp what cannot be represented.
	if !O.IsInt64() {
		O = big.NewInt(math.MaxInt64)
	}
	return O.Int64(), L.Int64(), overflow
}

func clip(content []byte, pos, n int64) string {
	if n <= 0 || pos >= int64(len(content)) {
		return ""
	}
	end := int64(len(content))
	if n < end-pos {
		end = pos + n
	}
	return string(content[pos:end])
}

func fuzzFile(t *testing.T, size uint16) (string, []byte) {
	content := make([]byte, int(size)%4096)
	for i := range content {
		content[i] = byte(i * 7)
	}
	name := filepath.Join(t.TempDir(), "fz.log")
	require.NoError(t, os.WriteFile(name, content, 0o644))
	return name, content
}

func FuzzTailFile(f *testing.F) {
	for _, s := range [][3]int64{{0, 0, 0}, {10, 5, 3}, {100, -1, 10}, {100, math.MaxInt64, math.MaxInt64},
		{100, math.MinInt64, math.MinInt64}, {100, math.MaxInt64, math.MinInt64}, {7, math.MinInt64, 5},
		{4000, 3990, 1 << 40}, {50, 60, -100}} {
		f.Add(uint16(s[0]), s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, size uint16, offset, length int64) {
		name, content := fuzzFile(t, size)
		data, newOff, over, err := TailFile(name, offset, length)
		require.NoError(t, err)
		pos, n, wantOver := tailModel(int64(len(content)), offset, length)
		assert.Equal(t, int64(len(content)), newOff)
		assert.Equal(t, wantOver, over)
		assert.Equal(t, clip(content, pos, n), string(data))
	})
}

func FuzzReadFile(f *testing.F) {
	for _, s := range [][3]int64{{0, 0, 0}, {10, 5, 3}, {100, -1, 0}, {100, -1, 1}, {100, 3, -1},
		{100, math.MaxInt64, math.MaxInt64}, {100, math.MinInt64, 0}, {4000, 1 << 62, 0}, {30, 10, 1 << 50}} {
		f.Add(uint16(s[0]), s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, size uint16, offset, length int64) {
		name, content := fuzzFile(t, size)
		data, err := ReadFile(name, offset, length)
		if (offset < 0 && length != 0) || (offset >= 0 && length < 0) {
			assert.ErrorIs(t, err, ErrBadArguments)
			return
		}
		require.NoError(t, err)
		sz := big.NewInt(int64(len(content)))
		var want string
		switch {
		case offset < 0:
			pos := new(big.Int).Add(sz, big.NewInt(offset))
			if pos.Sign() < 0 {
				pos.SetInt64(0)
			}
			want = string(content[pos.Int64():])
		case length == 0:
			want = clip(content, offset, math.MaxInt64)
		default:
			want = clip(content, offset, length)
		}
		assert.Equal(t, want, string(data))
	})
}
