package gunicorn

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Address kinds, as Address.Kind.
const (
	KindTCP  = "tcp"  // host:port, [ipv6]:port, or tcp://host:port
	KindUnix = "unix" // unix:/path
	KindFD   = "fd"   // fd://N, an inherited listening socket
)

// Address is one parsed Bind entry.
type Address struct {
	Kind string // KindTCP, KindUnix or KindFD
	Host string // TCP only: IP address or host name, lower case; "" means all interfaces
	Port int    // TCP only: 1..65535 (gunicorn's default 8000 when the entry has none)
	Path string // unix only: the socket path as written (relative paths are relative to Chdir)
	FD   int    // fd only: the descriptor number
}

// String gives the address in gunicorn's bind syntax.
func (a Address) String() string {
	switch a.Kind {
	case KindUnix:
		return "unix:" + a.Path
	case KindFD:
		return "fd://" + strconv.Itoa(a.FD)
	}
	s := net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
	if strings.HasPrefix(s, "unix:") { // a host named "unix" would read back as a socket path
		return "tcp://" + s
	}
	return s
}

// ParseBind parses one bind entry the way gunicorn 20.1 does ("HOST", "HOST:PORT",
// "[V6]:PORT", "unix:PATH", "unix://PATH", "fd://N", "tcp://HOST:PORT"; the port defaults to
// 8000), but strictly: where gunicorn would fail only at startup (a bad port) or silently bind
// something else ("::1:80" without brackets, "a:1:2"), ParseBind returns an error wrapping
// ErrSyntax or ErrRange. Port 0 (a random port) is refused too.
func ParseBind(s string) (Address, error) {
	if s != strings.TrimSpace(s) {
		return Address{}, fmt.Errorf("%q has surrounding spaces: %w", s, ErrSyntax)
	}
	if strings.HasPrefix(s, "unix:") {
		p := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if p == "" {
			return Address{}, fmt.Errorf("%q has no socket path: %w", s, ErrSyntax)
		}
		return Address{Kind: KindUnix, Path: p}, nil
	}
	if strings.HasPrefix(s, "fd://") {
		n, err := strconv.Atoi(s[len("fd://"):])
		if err != nil || n < 0 || strings.HasPrefix(s[len("fd://"):], "+") {
			return Address{}, fmt.Errorf("%q: %q is not a file descriptor number: %w", s, s[len("fd://"):], ErrSyntax)
		}
		return Address{Kind: KindFD, FD: n}, nil
	}
	netloc := strings.TrimPrefix(s, "tcp://")
	host, port := netloc, "8000"
	switch {
	case strings.HasPrefix(netloc, "["):
		end := strings.Index(netloc, "]")
		if end < 0 {
			return Address{}, fmt.Errorf("%q: missing ']' after the IPv6 address: %w", s, ErrSyntax)
		}
		host = netloc[1:end]
		rest := netloc[end+1:]
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":"):
			port = rest[1:]
		default:
			return Address{}, fmt.Errorf("%q: expected ':PORT' after ']': %w", s, ErrSyntax)
		}
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil || strings.Contains(host, "%") {
			return Address{}, fmt.Errorf("%q: %q in brackets is not an IPv6 address: %w", s, host, ErrSyntax)
		}
	case strings.Count(netloc, ":") > 1:
		return Address{}, fmt.Errorf("%q: more than one ':' (an IPv6 address needs brackets, [::1]:8000): %w", s, ErrSyntax)
	case strings.Contains(netloc, ":"):
		host, port, _ = strings.Cut(netloc, ":")
	case netloc == "":
		host = "0.0.0.0"
	}
	n, err := strconv.Atoi(port)
	if err != nil || port[0] == '+' || port[0] == '-' {
		return Address{}, fmt.Errorf("%q: %q is not a valid port number: %w", s, port, ErrSyntax)
	}
	if n < 1 || n > 65535 {
		return Address{}, fmt.Errorf("%q: port %d is outside 1..65535: %w", s, n, ErrRange)
	}
	host = strings.ToLower(host)
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return Address{}, fmt.Errorf("%q: %q is neither an IP address nor a host name: %w", s, host, ErrSyntax)
	}
	return Address{Kind: KindTCP, Host: host, Port: n}, nil
}

// validHostname reports whether h is a syntactically valid DNS host name (RFC 1123 labels).
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			ok := r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
			if !ok {
				return false
			}
		}
	}
	return true
}
