package gunicorn

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBind(t *testing.T) {
	good := []struct {
		in   string
		want Address
		str  string
	}{
		{"127.0.0.1:5001", Address{Kind: KindTCP, Host: "127.0.0.1", Port: 5001}, "127.0.0.1:5001"},
		{"localhost", Address{Kind: KindTCP, Host: "localhost", Port: 8000}, "localhost:8000"},
		{"LocalHost:80", Address{Kind: KindTCP, Host: "localhost", Port: 80}, "localhost:80"},
		{"tcp://10.1.2.3:443", Address{Kind: KindTCP, Host: "10.1.2.3", Port: 443}, "10.1.2.3:443"},
		{"[::1]:8080", Address{Kind: KindTCP, Host: "::1", Port: 8080}, "[::1]:8080"},
		{"[::1]", Address{Kind: KindTCP, Host: "::1", Port: 8000}, "[::1]:8000"},
		{"[::]:443", Address{Kind: KindTCP, Host: "::", Port: 443}, "[::]:443"},
		{":9000", Address{Kind: KindTCP, Host: "", Port: 9000}, ":9000"},
		{"", Address{Kind: KindTCP, Host: "0.0.0.0", Port: 8000}, "0.0.0.0:8000"},
		{"0.0.0.0:65535", Address{Kind: KindTCP, Host: "0.0.0.0", Port: 65535}, "0.0.0.0:65535"},
		{"app.example.com:1", Address{Kind: KindTCP, Host: "app.example.com", Port: 1}, "app.example.com:1"},
		{"unix:/run/app.sock", Address{Kind: KindUnix, Path: "/run/app.sock"}, "unix:/run/app.sock"},
		{"unix:///run/app.sock", Address{Kind: KindUnix, Path: "/run/app.sock"}, "unix:/run/app.sock"},
		{"unix:app.sock", Address{Kind: KindUnix, Path: "app.sock"}, "unix:app.sock"},
		{"fd://3", Address{Kind: KindFD, FD: 3}, "fd://3"},
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseBind(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, a)
			assert.Equal(t, tt.str, a.String())
		})
	}
	bad := []struct {
		in   string
		kind error
	}{
		{"127.0.0.1:notaport", ErrSyntax},
		{"127.0.0.1:", ErrSyntax},
		{"127.0.0.1:0", ErrRange},
		{"127.0.0.1:65536", ErrRange},
		{"127.0.0.1:-1", ErrSyntax},
		{"127.0.0.1:+80", ErrSyntax},
		{"::1:8000", ErrSyntax},
		{"a:1:2", ErrSyntax},
		{"[::1", ErrSyntax},
		{"[::1]8000", ErrSyntax},
		{"[127.0.0.1]:80", ErrSyntax},
		{"[nothost]:80", ErrSyntax},
		{"bad host:80", ErrSyntax},
		{"-bad-:80", ErrSyntax},
		{" 127.0.0.1:80", ErrSyntax},
		{"unix:", ErrSyntax},
		{"unix://", ErrSyntax},
		{"fd://", ErrSyntax},
		{"fd://x", ErrSyntax},
		{"fd://-1", ErrSyntax},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.in, func(t *testing.T) {
			_, err := ParseBind(tt.in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.kind), "%v should wrap %v", err, tt.kind)
			assert.Contains(t, err.Error(), tt.in, "the error names the bind")
		})
	}
}

func FuzzParseBind(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5001", "[::1]:80", "unix:/a", "fd://3", "tcp://h:1", "", ":", "[", "]:", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseBind(s)
		if err != nil {
			return
		}
		// A parsed address prints in bind syntax that parses back to itself.
		b, err := ParseBind(a.String())
		if err != nil {
			t.Fatalf("ParseBind(%q) = %+v, whose String %q does not parse: %v", s, a, a.String(), err)
		}
		if a != b {
			t.Fatalf("round trip of %q: %+v then %+v", s, a, b)
		}
	})
}
