package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func proc(group, name string, st supervise.State) supervise.ProcessInfo {
	i := supervise.ProcessInfo{Group: group, Name: name, State: st,
		StdoutLogfile: "/nonexistent/" + name + ".out", StderrLogfile: "/nonexistent/" + name + ".err"}
	if st == supervise.Running {
		i.Pid, i.Start = 4242, time.Unix(1_700_000_000-65, 0)
	}
	return i
}

func newTestHandler(t *testing.T, b Backend, mod ...func(*Options)) *Handler {
	t.Helper()
	o := Options{Backend: b, CSRFKey: []byte("test key")}
	for _, m := range mod {
		m(&o)
	}
	h, err := New(o)
	require.NoError(t, err)
	return h
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func post(t *testing.T, h http.Handler, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/action", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPageShowsRows(t *testing.T) {
	fatal := proc("app", "worker", supervise.Fatal)
	fatal.SpawnErr = "can't find command '/nope'"
	fatal.RetryAt = time.Unix(1_700_000_000+299, 0)
	exited := proc("app", "once", supervise.Exited)
	exited.Start, exited.Stop, exited.ExitStatus = time.Unix(1_699_999_000, 0), time.Unix(1_699_999_100, 0), 3
	b := newFake(proc("web", "web", supervise.Running), fatal, exited)
	h := newTestHandler(t, b, func(o *Options) {
		o.CertExpiry = func(spec string) (time.Time, bool) {
			return time.Unix(1_700_000_000, 0).Add(10 * 24 * time.Hour), spec == "web:web"
		}
	})
	w := get(t, h, "/")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, `<td class="n">web</td>`)
	assert.Contains(t, body, `pid 4242, uptime <time data-up="1699999935">0:01:05</time>`)
	assert.Contains(t, body, `can&#39;t find command &#39;/nope&#39;; retry in <time data-until="1700000299">4m59s</time>`)
	assert.Contains(t, body, "exit status 3, ")
	assert.Contains(t, body, `<abbr class="cert warn" title="certificate expires `)
	assert.Contains(t, body, ">cert 10d<")
	assert.Contains(t, body, `value="stop web:web"`)
	assert.Contains(t, body, `value="start app:worker"`)
	assert.Contains(t, body, `value="restart app:*"`, "group actions")
	assert.Contains(t, body, `<tr class="g" id="g-app">`)
	assert.NotContains(t, body, `id="g-web"`, "a program alone in its group has no group header")
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "script-src 'self'")

	w = get(t, h, "/?q=WORK")
	assert.Contains(t, w.Body.String(), "app:worker")
	assert.NotContains(t, w.Body.String(), "app:once", "the filter drops rows server-side too")
}

func TestStateChangesNeedPOST(t *testing.T) {
	b := newFake(proc("app", "web", supervise.Running))
	h := newTestHandler(t, b)
	for _, target := range []string{
		"/action?do=stop+app:web&csrf=" + h.token,
		"/?do=stop+app:web&csrf=" + h.token,
		"/tail?p=app:web&ch=stdout&do=stop+app:web&csrf=" + h.token,
	} {
		w := get(t, h, target)
		assert.NotEqual(t, http.StatusSeeOther, w.Code, target)
	}
	assert.Equal(t, http.StatusMethodNotAllowed, get(t, h, "/action?do=stop+app:web&csrf="+h.token).Code)
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPost} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(m, "/", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, m)
	}
	assert.Empty(t, b.Calls())
}

func TestActionsNeedCSRFToken(t *testing.T) {
	b := newFake(proc("app", "web", supervise.Running))
	h := newTestHandler(t, b)
	other := newTestHandler(t, b, func(o *Options) { o.CSRFKey = []byte("another key") })
	require.NotEqual(t, h.token, other.token)
	cases := []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"no token", url.Values{"do": {"stop app:web"}}, nil},
		{"empty token", url.Values{"do": {"stop app:web"}, "csrf": {""}}, nil},
		{"another key's token", url.Values{"do": {"stop app:web"}, "csrf": {other.token}}, nil},
		{"cross-site", url.Values{"do": {"stop app:web"}, "csrf": {h.token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin", url.Values{"do": {"stop app:web"}, "csrf": {h.token}}, map[string]string{"Origin": "http://evil.example"}},
		{"null origin", url.Values{"do": {"stop app:web"}, "csrf": {h.token}}, map[string]string{"Origin": "null"}},
		{"same-site but another origin", url.Values{"do": {"stop app:web"}, "csrf": {h.token}},
			map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://example.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := post(t, h, c.form, c.hdr)
			assert.Equal(t, http.StatusForbidden, w.Code)
		})
	}
	assert.Empty(t, b.Calls(), "no rejected request reached the engine")

	w := post(t, h, url.Values{"do": {"stop app:web"}, "csrf": {h.token}},
		map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, []string{"stop app:web"}, b.Calls())
	// Behind a reverse proxy that rewrites Host, a browser's Sec-Fetch-Site decides; without
	// it, X-Forwarded-Host may match the Origin.
	w2 := post(t, h, url.Values{"do": {"stop app:web"}, "csrf": {h.token}},
		map[string]string{"Origin": "https://ops.example.org", "Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusSeeOther, w2.Code)
	w2 = post(t, h, url.Values{"do": {"stop app:web"}, "csrf": {h.token}},
		map[string]string{"Origin": "https://ops.example.org", "X-Forwarded-Host": "ops.example.org"})
	assert.Equal(t, http.StatusSeeOther, w2.Code)
	var flash string
	for _, c := range w.Result().Cookies() {
		if c.Name == flashCookie {
			flash, _ = url.QueryUnescape(c.Value)
		}
	}
	assert.Equal(t, "stopped app:web", flash)

	// The page shows the outcome once.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape("stopped <b>app:web</b>")})
	pw := httptest.NewRecorder()
	h.ServeHTTP(pw, r)
	assert.Contains(t, pw.Body.String(), `<p id="msg" class="msg">stopped &lt;b&gt;app:web&lt;/b&gt;</p>`)
}

func TestActionsFromScriptAndBadRequests(t *testing.T) {
	b := newFake(proc("app", "web", supervise.Running))
	h := newTestHandler(t, b)
	w := post(t, h, url.Values{"do": {"restart app:*"}, "csrf": {h.token}}, map[string]string{"X-Dashboard": "1"})
	require.Equal(t, http.StatusOK, w.Code)
	var out struct {
		OK  bool
		Msg string
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
	assert.True(t, out.OK)
	assert.Equal(t, "restarted app:*", out.Msg)

	for _, do := range []string{"", "explode app:web", "stop web", "stop :web", "clear app:*", "stopall app:web"} {
		w := post(t, h, url.Values{"do": {do}, "csrf": {h.token}}, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, do)
	}
	post(t, h, url.Values{"do": {"stopall"}, "csrf": {h.token}}, nil)
	post(t, h, url.Values{"do": {"restartall"}, "csrf": {h.token}}, nil)
	assert.Equal(t, []string{"restart app:*", "stopall", "stopall", "startall"}, b.Calls())
}

func TestClearAsksFirst(t *testing.T) {
	b := newFake(proc("app", "web", supervise.Running))
	h := newTestHandler(t, b)
	w := post(t, h, url.Values{"do": {"clear app:web"}, "csrf": {h.token}}, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Clear the stdout and stderr logs of app:web?")
	assert.Contains(t, w.Body.String(), `<input type="hidden" name="confirm" value="1">`)
	assert.Empty(t, b.Calls(), "nothing cleared before the confirmation")

	w = post(t, h, url.Values{"do": {"clear app:web"}, "csrf": {h.token}, "confirm": {"1"}}, nil)
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, []string{"clear app:web"}, b.Calls())
}

const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`

func TestHostileNamesAndLogsAreEscaped(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "out.log")
	require.NoError(t, os.WriteFile(logf, []byte("ok line\n"+hostile+"\n</pre><script>bad()</script>\n"), 0o600))
	p := proc(hostile, hostile+"x", supervise.Fatal)
	p.SpawnErr = "spawn error: " + hostile
	p.StdoutLogfile = logf
	p.Note = hostile
	q := proc("g", "n", supervise.Running)
	q.Note = hostile
	b := newFake(p, q)
	h := newTestHandler(t, b, func(o *Options) { o.Identifier = hostile })

	for _, target := range []string{"/", "/?q=" + url.QueryEscape(hostile),
		"/tail?ch=stdout&p=" + url.QueryEscape(hostile+":"+hostile+"x")} {
		w := get(t, h, target)
		require.Equal(t, http.StatusOK, w.Code, target)
		body := w.Body.String()
		assert.NotContains(t, body, "<script>alert", target)
		assert.NotContains(t, body, "<img", target)
		assert.NotContains(t, body, "<script>bad", target)
		assert.Equal(t, 1, strings.Count(body, "<script"), "only the page's own script tag: %s", target)
		assert.Contains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", target)
	}
	// A fragment sent over the event stream is the same template.
	w := post(t, h, url.Values{"do": {"clear " + hostile + ":" + hostile + "x"}, "csrf": {h.token}}, nil)
	assert.NotContains(t, w.Body.String(), "<script>alert")
	assert.NotContains(t, w.Body.String(), "<img")

	// The follow stream carries log bytes as JSON strings: no raw markup, no event breaks.
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/follow?ch=stdout&from=0&p="+url.QueryEscape(hostile+":"+hostile+"x"), nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ev := readEvent(t, bufio.NewReader(resp.Body))
	assert.NotContains(t, ev.data, "<")
	var text string
	require.NoError(t, json.Unmarshal([]byte(ev.data), &text))
	assert.Equal(t, "ok line\n"+hostile+"\n</pre><script>bad()</script>\n", text)
}

type event struct{ name, id, data string }

// readEvent reads one server-sent event.
func readEvent(t *testing.T, r *bufio.Reader) event {
	t.Helper()
	var ev event
	var data []string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if data != nil {
				ev.data = strings.Join(data, "\n")
				return ev
			}
			continue
		}
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "event":
			ev.name = v
		case "id":
			ev.id = v
		case "data":
			data = append(data, v)
		}
	}
}

// openEvents opens /events?query on srv; the stream ends with the test.
func openEvents(t *testing.T, srv *httptest.Server, query string) (*bufio.Reader, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	return bufio.NewReader(resp.Body), func() { cancel(); _ = resp.Body.Close() }
}

func TestEventsPushOnlyChangedRows(t *testing.T) {
	b := newFake(proc("app", "a", supervise.Running), proc("app", "b", supervise.Running))
	h := newTestHandler(t, b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	infos, _ := b.Status("")
	v := version(infos, nil)

	r, stop := openEvents(t, srv, url.Values{"v": {v}, "t": {h.token}}.Encode())
	defer stop()
	testenv.WaitFor(t, "the subscription", func() bool { return b.subscribers() == 1 })
	b.setState("app:b", supervise.Stopped, 0)
	ev := readEvent(t, r)
	assert.Equal(t, "row", ev.name, "a current page gets no table, only the changed row")
	assert.True(t, strings.HasPrefix(ev.data, `<tr id="p-app:b" class="stopped"`), ev.data)
	assert.Contains(t, ev.data, "STOPPED")
	assert.NotContains(t, ev.data, "p-app:a")
	infos, _ = b.Status("")
	assert.Equal(t, version(infos, nil), ev.id, "the id is the table's version after the change")

	// A page with an old version gets the table first; a page from another key (before a
	// daemon reload) gets the current token.
	r2, stop2 := openEvents(t, srv, url.Values{"v": {v}, "t": {"old"}}.Encode())
	defer stop2()
	ev = readEvent(t, r2)
	assert.Equal(t, event{name: "token", data: h.token}, ev)
	ev = readEvent(t, r2)
	assert.Equal(t, "table", ev.name)
	assert.Contains(t, ev.data, `<tr id="p-app:a" class="running"`)
	assert.Contains(t, ev.data, `<tr id="p-app:b" class="stopped"`)

	stop()
	stop2()
	testenv.WaitFor(t, "the subscriptions to end", func() bool { return b.subscribers() == 0 })
}

func TestStreamsAreBounded(t *testing.T) {
	b := newFake(proc("app", "a", supervise.Running))
	h := newTestHandler(t, b, func(o *Options) { o.MaxStreams = 1 })
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, stop := openEvents(t, srv, "")
	defer stop()
	testenv.WaitFor(t, "the subscription", func() bool { return b.subscribers() == 1 })
	resp, err := http.Get(srv.URL + "/events")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	stop()
	testenv.WaitFor(t, "the stream to end", func() bool { return h.streams.Load() == 0 })
	assert.Equal(t, http.StatusNotFound, get(t, h, "/follow?p=app:a&ch=stdin").Code)
	assert.Equal(t, http.StatusNotFound, get(t, h, "/follow?ch=main").Code, "no main log configured")
	assert.Equal(t, http.StatusNotFound, get(t, h, "/tail?p=nosuch:x&ch=stdout").Code)
}

func TestFollowSendsAppendedLines(t *testing.T) {
	dir := t.TempDir()
	mainLog := filepath.Join(dir, "supervisord.log")
	require.NoError(t, os.WriteFile(mainLog, []byte("first\n"), 0o600))
	h := newTestHandler(t, newFake(), func(o *Options) { o.MainLog = mainLog })
	w := get(t, h, "/tail?ch=main")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "first\n</pre>")
	assert.Contains(t, w.Body.String(), `data-follow="follow?ch=main&amp;from=6"`)

	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/follow?ch=main&from=6", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	f, err := os.OpenFile(mainLog, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = f.WriteString("second\n")
	require.NoError(t, f.Close())
	var text string
	require.NoError(t, json.Unmarshal([]byte(readEvent(t, bufio.NewReader(resp.Body)).data), &text))
	assert.Equal(t, "second\n", text)
}

func TestManyProcessesRender(t *testing.T) {
	var infos []supervise.ProcessInfo
	for i := 0; i < 500; i++ {
		infos = append(infos, proc(fmt.Sprintf("g%02d", i/10), fmt.Sprintf("p%03d", i), supervise.Running))
	}
	h := newTestHandler(t, newFake(infos...))
	w := get(t, h, "/")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 500, strings.Count(w.Body.String(), `<tr id="p-`))
	assert.Equal(t, 50, strings.Count(w.Body.String(), `<tr class="g"`))
	t.Logf("500 processes: page %d bytes", w.Body.Len())
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	gw := httptest.NewRecorder()
	h.ServeHTTP(gw, r)
	assert.Equal(t, "gzip", gw.Header().Get("Content-Encoding"))
	t.Logf("500 processes: page %d bytes gzipped", gw.Body.Len())
}

func BenchmarkPage500(b *testing.B) {
	var infos []supervise.ProcessInfo
	for i := 0; i < 500; i++ {
		infos = append(infos, proc(fmt.Sprintf("g%02d", i/10), fmt.Sprintf("p%03d", i), supervise.Running))
	}
	h, _ := New(Options{Backend: newFake(infos...)})
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	}
}

// A dashboard nobody looks at costs nothing: New and a page view start no goroutine and leave
// no subscription behind.
func TestIdleCostsNothing(t *testing.T) {
	b := newFake(proc("app", "a", supervise.Running))
	h := newTestHandler(t, b)
	require.Equal(t, http.StatusOK, get(t, h, "/").Code)
	require.Equal(t, http.StatusOK, get(t, h, "/static/app.js").Code)
	assert.Equal(t, 0, b.subscribers())
	goleak.VerifyNone(t)
}
