package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

// MaxResponseBytes bounds a response the Client reads: 64 MiB, far above getAllProcessInfo
// for thousands of processes.
const MaxResponseBytes = 64 << 20

// Client calls a supervisord (or supervisord-lite) XML-RPC server, as supervisorctl does.
// It is safe for concurrent use.
type Client struct {
	url        string // the server URL as given
	base       string // http://host[:port] used in request URLs
	user, pass string
	hc         *http.Client
}

// HTTPError is a response other than 200, e.g. 401 when the credentials are missing or
// wrong.
type HTTPError struct {
	StatusCode int
	Status     string // "401 Unauthorized"
}

func (e *HTTPError) Error() string { return "rpc: server answered " + e.Status }

// Dial returns a Client for serverURL: "unix:///path/to/supervisor.sock" or
// "http://host:port". user and pass are sent with HTTP basic auth when user is not "".
// It does not connect: each Call opens (or reuses) a connection.
func Dial(serverURL, user, pass string) (*Client, error) {
	c := &Client{url: serverURL, user: user, pass: pass}
	tr := &http.Transport{
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 0, // a waited start may take startsecs or longer
		DisableCompression:    true,
	}
	switch {
	case strings.HasPrefix(serverURL, "unix://"):
		path := serverURL[len("unix://"):]
		if path == "" {
			return nil, fmt.Errorf("rpc: %q names no socket path", serverURL)
		}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		c.base = "http://localhost"
	case strings.HasPrefix(serverURL, "http://"):
		u, err := url.Parse(serverURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("rpc: bad server URL %q", serverURL)
		}
		c.base = "http://" + u.Host
		tr.Proxy = nil
	default:
		return nil, fmt.Errorf("rpc: unknown protocol for server URL %q (want unix:// or http://)", serverURL)
	}
	c.hc = &http.Client{Transport: tr}
	return c, nil
}

// URL returns the server URL the Client was made with.
func (c *Client) URL() string { return c.url }

// Close releases idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// Call calls method with args and returns the decoded result: int64, bool, string,
// float64, time.Time, []byte, []any or Struct (see internal/xmlrpc). A fault is returned as
// a *Fault error, a non-200 answer as *HTTPError, a connection failure as the net error.
func (c *Client) Call(ctx context.Context, method string, args ...any) (any, error) {
	body, err := xmlrpc.AppendCall(nil, method, args...)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/RPC2", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	req.Header.Set("User-Agent", "supervisord-lite")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, &HTTPError{resp.StatusCode, resp.Status}
	}
	var data []byte
	if n := resp.ContentLength; n >= 0 && n <= MaxResponseBytes {
		data = make([]byte, n)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, err
		}
	} else if data, err = io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1)); err != nil {
		return nil, err
	}
	if len(data) > MaxResponseBytes {
		return nil, fmt.Errorf("rpc: %s: response larger than %d bytes", method, MaxResponseBytes)
	}
	return xmlrpc.DecodeResponse(data)
}

// Tail streams GET path (e.g. "/logtail/web/stdout" or "/mainlogtail") into w until ctx ends
// or the server closes the stream; it returns nil when ctx ended.
func (c *Client) Tail(ctx context.Context, path string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{resp.StatusCode, resp.Status}
	}
	_, err = io.Copy(w, resp.Body)
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
