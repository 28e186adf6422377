package supervise

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A prober makes one check attempt, bounded by ctx; nil means success and an error says what
// failed, in words for the log and the status description.
type prober interface {
	probe(ctx context.Context) error
	close()
}

// newProber returns the prober of a tcp://, http:// or https:// target (validated before);
// with anyStatus every HTTP answer is a success.
func newProber(target string, anyStatus bool) (prober, error) {
	u, err := CheckTarget(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "tcp" {
		return tcpProber{addr: u.Host}, nil
	}
	tr := &http.Transport{
		// The check is whether the program answers, not who it is: its own self-signed
		// certificate, or a public one for a name other than the address checked, is fine.
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		DisableKeepAlives: true,
		Proxy:             nil,
	}
	return &httpProber{url: u, anyStatus: anyStatus, client: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

type tcpProber struct{ addr string }

func (t tcpProber) probe(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return fmt.Errorf("connect %s: %w", t.addr, trimOpErr(err))
	}
	return c.Close()
}

func (tcpProber) close() {}

type httpProber struct {
	url       *url.URL
	anyStatus bool
	client    *http.Client
}

func (h *httpProber) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "supervisord-lite check")
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("GET %s: %w", h.url.Redacted(), trimOpErr(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 400 && !h.anyStatus {
		return fmt.Errorf("GET %s: %s", h.url.Redacted(), resp.Status)
	}
	return nil
}

func (h *httpProber) close() { h.client.CloseIdleConnections() }

// trimOpErr drops the address repetition of a *net.OpError ("dial tcp 127.0.0.1:1: connect:
// connection refused" -> "connection refused"), since the message already names the target.
func trimOpErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// commandProber runs a shell command as a child of the supervisor (through its Spawner, so the
// one reaper owns it) with the program's environment, directory and user.
type commandProber struct {
	spawner Spawner
	cmd     Cmd // template; Stdout and Stderr are replaced per run
	line    string
}

func (c *commandProber) probe(ctx context.Context) error {
	out := &tailBuffer{max: 512}
	cmd := c.cmd
	cmd.Stdout, cmd.Stderr, cmd.RedirectStderr = out, out, true
	child, err := c.spawner.Spawn(&cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", c.line, err)
	}
	var es ExitStatus
	select {
	case es = <-child.Done():
	case <-ctx.Done():
		child.Signal(syscall.SIGKILL, true)
		<-child.Done() // SIGKILL ends it; its output pipes close with its group
		return fmt.Errorf("%s: no answer within the timeout (killed)", c.line)
	}
	if es.Code == 0 && es.Signal == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s: %s", c.line, es)
	if t := strings.TrimSpace(out.String()); t != "" {
		msg += ": " + lastLine(t)
	}
	return errors.New(msg)
}

func (*commandProber) close() {}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// pollInterval returns the wait before readiness attempt n (0-based): 100 ms doubling up to 1 s.
func pollInterval(n int) time.Duration {
	d := 100 * time.Millisecond
	for i := 0; i < n && d < time.Second; i++ {
		d *= 2
	}
	return min(d, time.Second)
}
