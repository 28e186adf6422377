package rpc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestExtraMethods(t *testing.T) {
	var stopping atomic.Bool
	sock := serve(t, Options{
		Backend: newCaptureFake(),
		State: func() supervise.SupervisorState {
			if stopping.Load() {
				return supervise.SupervisorShutdown
			}
			return supervise.SupervisorRunning
		},
		Extra: map[string]ExtraMethod{
			"lite.echo": func(_ context.Context, args []any) (any, error) { return args, nil },
			"lite.missing": func(_ context.Context, args []any) (any, error) {
				return nil, &supervise.ProcessError{Op: "update", Name: "nosuch", Err: supervise.ErrNotFound}
			},
			"lite.fault":          func(context.Context, []any) (any, error) { return nil, &Fault{Code: 99, String: "CUSTOM"} },
			"supervisor.shadowed": func(context.Context, []any) (any, error) { return "no", nil },
			"system.shadowed":     func(context.Context, []any) (any, error) { return "no", nil },
		},
	})
	c, err := Dial("unix://"+sock, "", "")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	v, err := c.Call(ctx, "lite.echo", "a", int64(2))
	require.NoError(t, err)
	assert.Equal(t, []any{"a", int64(2)}, v)

	fault := func(method string) *Fault {
		_, err := c.Call(ctx, method)
		var f *Fault
		require.True(t, errors.As(err, &f), "%s: %v", method, err)
		return f
	}
	assert.Equal(t, FaultBadName, fault("lite.missing").Code, "engine errors map to supervisord's faults")
	assert.Equal(t, Fault{Code: 99, String: "CUSTOM"}, *fault("lite.fault"))
	assert.Equal(t, FaultUnknownMethod, fault("supervisor.shadowed").Code, "supervisord's namespaces are not extended")
	assert.Equal(t, FaultUnknownMethod, fault("system.shadowed").Code)
	assert.Equal(t, FaultUnknownMethod, fault("lite.nosuch").Code)

	names, err := c.Call(ctx, "system.listMethods")
	require.NoError(t, err)
	assert.Len(t, names, 41, "extra methods are not listed")
	assert.NotContains(t, names, "lite.echo")

	stopping.Store(true)
	assert.Equal(t, FaultShutdownState, fault("lite.echo").Code)
}

// The kernel features method answers what supervise.KernelFeatures probed, and the client
// keeps the missing ones; a server without the method gives none.
func TestKernelFeaturesMethod(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake(), Extra: map[string]ExtraMethod{KernelFeaturesMethod: KernelFeaturesExtra()}})
	bare := serve(t, Options{Backend: newCaptureFake()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var want []supervise.KernelFeature
	for _, f := range supervise.KernelFeatures() {
		if !f.Available {
			want = append(want, f)
		}
	}
	c, err := Dial("unix://"+sock, "", "")
	require.NoError(t, err)
	defer c.Close()
	got, err := c.MissingKernelFeatures(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	v, err := c.Call(ctx, KernelFeaturesMethod)
	require.NoError(t, err)
	assert.Len(t, v, len(supervise.KernelFeatures()), "every feature, available or not")

	b, err := Dial("unix://"+bare, "", "")
	require.NoError(t, err)
	defer b.Close()
	got, err = b.MissingKernelFeatures(ctx)
	require.NoError(t, err)
	assert.Nil(t, got)
}

// Extra HTTP handlers are served behind the listener's authentication; the API's own paths
// stay the server's, and a path no pattern matches gets supervisord's 404 page.
func TestExtraHandlers(t *testing.T) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello "+r.URL.Path) })
	addr := tcpServer(t, Options{Backend: newCaptureFake(), Handlers: map[string]http.Handler{
		"/metrics": hello, "/RPC2/x": hello, "/dash/": hello}}, "user", "123")
	get := func(path string, auth bool) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		require.NoError(t, err)
		if auth {
			req.SetBasicAuth("user", "123")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics", true)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "hello /metrics", body)
	code, body = get("/dash/a/b", true)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "hello /dash/a/b", body)
	code, _ = get("/metrics", false)
	assert.Equal(t, http.StatusUnauthorized, code, "the same authentication as the API")
	code, body = get("/nosuch", true)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "Error code 404.")
	code, body = get("/RPC2/x", true)
	assert.NotEqual(t, "hello /RPC2/x", body, "the API's paths are not shadowed")
	assert.NotEqual(t, http.StatusOK, code)
}
