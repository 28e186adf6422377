package rpc

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestMain(m *testing.M) {
	// The captures were taken with TZ=UTC: stop times print as "Nov 25 11:28 PM" there.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}

// serve runs a Server with opts on a unix socket in a temp dir until the test ends and
// returns the socket path.
func serve(t testing.TB, opts Options) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "s.sock")
	opts.Listeners = append(opts.Listeners, Listener{Network: "unix", Address: sock})
	startServer(t, opts)
	return sock
}

func startServer(t testing.TB, opts Options) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := NewServer(opts)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	// Wait until every listener answers.
	for _, l := range opts.Listeners {
		if l.Network != "unix" {
			continue
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := net.Dial("unix", l.Address)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-done:
				t.Fatalf("Serve: %v", err)
			default:
			}
			require.True(t, time.Now().Before(deadline), "server did not come up: %v", err)
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// rawExchange sends the captured request bytes and returns the parsed response.
func rawExchange(t testing.TB, network, addr string, req []byte) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Write(req)
	require.NoError(t, err)
	// The request, parsed, tells ReadResponse whether a body follows (none for HEAD).
	parsed, _ := http.ReadRequest(bufio.NewReader(bytes.NewReader(req)))
	resp, err := http.ReadResponse(bufio.NewReader(c), parsed)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// golden splits a captured response into its status code, headers and body.
func golden(t testing.TB, name string) (*http.Response, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/wire", name))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	require.NoError(t, err)
	if resp.TransferEncoding != nil { // the tail -f stream: the first chunk is what we compare
		br := bufio.NewReader(resp.Body)
		b := make([]byte, 13)
		_, err := io.ReadFull(br, b)
		require.NoError(t, err)
		return resp, b
	}
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func readWire(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/wire", name))
	require.NoError(t, err)
	return b
}

// Every capture whose answer does not depend on the wall clock: the captured request goes to
// our server (over a fake holding the capture's processes) and the answer must be the
// captured one, byte for byte (status, Content-Type and body; Date, Server and
// Content-Length aside).
func TestWireGolden(t *testing.T) {
	dir := t.TempDir()
	webOut := filepath.Join(dir, "web.out")
	webErr := filepath.Join(dir, "web.err")
	mainLog := filepath.Join(dir, "main.log")
	useFiles := func(f *fake) {
		p := f.proc("web", "web")
		p.info.StdoutLogfile, p.info.StderrLogfile = webOut, webErr
	}
	tests := []struct {
		capture string // request and response file prefix
		setup   func(f *fake, o *Options)
		files   map[string]string
	}{
		{capture: "getAllProcessInfo"},
		{capture: "getAllConfigInfo"},
		{capture: "ctl_avail.conn1", setup: func(f *fake, o *Options) {
			// captured after a reload: AUTO log paths then show as 'auto'
			conf := captureConfig(f)
			o.ConfigInfo = func() []ConfigInfo {
				cs := conf()
				for i := range cs {
					cs[i].StdoutLogfile, cs[i].StderrLogfile = "auto", "auto"
				}
				return cs
			}
		}},
		{capture: "getState"},
		{capture: "system.listMethods"},
		{capture: "system.multicall"},
		{capture: "reloadConfig"},
		{capture: "ctl_reread.conn1"},
		{capture: "ctl_update.conn1"},
		{capture: "startProcessGroup_workers"},
		{capture: "stopProcessGroup_workers"},
		{capture: "ctl_restart_workers.conn3", setup: func(f *fake, _ *Options) {
			// captured after stopProcessGroup_workers: nothing left to stop
			for _, n := range []string{"w_00", "w_01"} {
				f.proc("workers", n).info.State = supervise.Stopped
			}
		}},
		{capture: "ctl_restart_workers.conn5", setup: func(f *fake, _ *Options) {
			for _, n := range []string{"w_00", "w_01"} {
				f.proc("workers", n).info.State = supervise.Stopped
			}
		}},
		{capture: "fault_getProcessInfo_BAD_NAME"},
		{capture: "fault_startProcess_ALREADY_STARTED"},
		{capture: "fault_stopProcess_NOT_RUNNING"},
		{capture: "fault_startProcess_NO_FILE"},
		{capture: "fault_signalProcess_BAD_SIGNAL"},
		{capture: "fault_UNKNOWN_METHOD"},
		{capture: "fault_INCORRECT_PARAMETERS"},
		{capture: "ctl_version.conn1"},
		{capture: "ctl_version.conn2"},
		{capture: "ctl_pid.conn2", setup: func(_ *fake, o *Options) { o.PID = func() int { return 22951 } }},
		{capture: "ctl_pid_web.conn2", setup: func(f *fake, _ *Options) {
			// captured after `stop web` and `start web`
			p := f.proc("web", "web")
			p.info.Pid, p.info.Start, p.info.Stop = 23702, unix(1795649342), unix(1795649342)
			f.now = unix(1795649347)
		}},
		{capture: "ctl_start_nosuch.conn2"},
		{capture: "ctl_stop_web.conn2"},
		{capture: "ctl_start_web.conn2", setup: func(f *fake, _ *Options) { f.proc("web", "web").info.State = supervise.Stopped }},
		{capture: "ctl_signal_HUP_web.conn2"},
		{capture: "ctl_clear_web.conn2", setup: func(f *fake, _ *Options) { useFiles(f) }, files: map[string]string{webOut: "x\n"}},
		{capture: "tailProcessStdoutLog", setup: func(f *fake, _ *Options) { useFiles(f) }, files: map[string]string{webOut: "hello-stdout\n"}},
		{capture: "ctl_tail_web.conn2", setup: func(f *fake, _ *Options) { useFiles(f) },
			files: map[string]string{webOut: strings.Repeat("hello-stdout\n", 3)}},
		{capture: "ctl_tail_web_stderr.conn2", setup: func(f *fake, _ *Options) { useFiles(f) },
			files: map[string]string{webErr: strings.Repeat("hello-stderr\n", 3)}},
		{capture: "ctl_maintail.conn2", setup: func(_ *fake, o *Options) { o.MainLog = mainLog },
			files: map[string]string{mainLog: "2026-11-25 23:29:08,000 INFO exited: web (terminated by S" +
				"IGHUP; not expected)\n2026-11-25 23:29:08,213 INFO spawned: 'web' with pid 24132\n2026-11-25 23:29:09,545 INFO success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)\n"}},
		{capture: "ctl_tail_f_web.conn2", setup: func(f *fake, _ *Options) { useFiles(f) }, files: map[string]string{webOut: "hello-stdout\n"}},
		{capture: "ctl_reload.conn1"},
		{capture: "ctl_shutdown.conn1"},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			for path, content := range tt.files {
				require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
			}
			f := newCaptureFake()
			opts := Options{Backend: f, ConfigInfo: captureConfig(f), Reloader: &fakeReloader{}}
			if tt.setup != nil {
				tt.setup(f, &opts)
			}
			sock := serve(t, opts)
			req := readWire(t, tt.capture+".request.http")
			wantResp, wantBody := golden(t, tt.capture+".response.http")
			resp, body := rawExchangeStream(t, sock, req, wantResp.TransferEncoding != nil, len(wantBody))
			assert.Equal(t, wantResp.StatusCode, resp.StatusCode)
			assert.Equal(t, wantResp.Header.Get("Content-Type"), resp.Header.Get("Content-Type"))
			assert.Equal(t, wantResp.TransferEncoding, resp.TransferEncoding)
			if wantResp.Header.Get("X-Accel-Buffering") != "" {
				assert.Equal(t, "no", resp.Header.Get("X-Accel-Buffering"))
			}
			assert.Equal(t, string(wantBody), string(body))
		})
	}
}

// rawExchangeStream is rawExchange that, for a streamed answer, reads only n bytes of it.
func rawExchangeStream(t testing.TB, sock string, req []byte, stream bool, n int) (*http.Response, []byte) {
	t.Helper()
	if !stream {
		return rawExchange(t, "unix", sock, req)
	}
	c, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Write(req)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	b := make([]byte, n)
	_, err = io.ReadFull(resp.Body, b)
	require.NoError(t, err)
	return resp, b
}

type fakeReloader struct {
	mu                      sync.Mutex
	added, changed, removed []string
	err                     error
	active                  map[string]bool
	inConfig                map[string]bool
}

func (r *fakeReloader) Reread(context.Context) ([]string, []string, []string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.added, r.changed, r.removed, r.err
}

func (r *fakeReloader) AddGroup(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.inConfig[name] {
		return supervise.ErrNotFound
	}
	if r.active[name] {
		return supervise.ErrAlreadyAdded
	}
	r.active[name] = true
	return nil
}

func (r *fakeReloader) RemoveGroup(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active[name] {
		return supervise.ErrNotFound
	}
	if name == "busy" {
		return &supervise.ProcessError{Op: "remove", Name: name, Err: supervise.ErrStillRunning}
	}
	delete(r.active, name)
	return nil
}
