package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	cdpperf "github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// browser starts Debian's chromium headless (through the DevTools protocol, with chromedp)
// with a fresh profile; it and its processes end with the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	testenv.Short(t)
	exe := testenv.LookPath(t, "chromium", "chromium")
	profile, err := os.MkdirTemp("", "dashboard-chromium-")
	require.NoError(t, err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1100, 700),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// This chromedp's protocol tables predate some of chromium's enum values (Network events
	// it cannot decode and that no test uses); those complaints are dropped.
	errorf := func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(errorf))
	ctx, tcancel := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		tcancel()
		cancel()
		acancel() // waits for the browser process
		// Its last helpers may still be writing the profile for a moment.
		for i := 0; i < 50; i++ {
			if err := os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("profile %s could not be removed", profile)
	})
	require.NoError(t, chromedp.Run(ctx), "start chromium")
	return ctx
}

// artifact is where a screenshot of the test is kept: $DASHBOARD_ARTIFACTS if set, else the
// system's temporary directory (it outlives the test on purpose).
func artifact(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("DASHBOARD_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", p, len(png))
}

// rowState is the state shown in the row of spec.
func rowState(spec string) string {
	return `(document.getElementById("p-` + spec + `")?.querySelector("td.s").textContent || "")`
}

// In a real browser against a real Supervisor: the page shows the states, a press on stop
// turns the row STOPPED without a reload (pushed over server-sent events), the tail view
// shows new log lines as they are written, the filter hides rows, and the page fits a phone.
func TestBrowserDashboard(t *testing.T) {
	ctx := browser(t)
	sv, base, _ := realDashboard(t)

	var states map[string]string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#rows`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("live").className === "on"`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll("#rows tr:not(.g)")].map(tr => [tr.querySelector("td.n").textContent, tr.querySelector("td.s").textContent]))`, &states),
	))
	assert.Equal(t, map[string]string{"app:ticker": "RUNNING", "app:sleeper": "RUNNING", "lonely": "RUNNING",
		"broken": "FATAL", "<i>hostile</i>": "STOPPED"}, states)
	var injected bool
	var fatalDesc string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector("#rows i") !== null`, &injected),
		chromedp.Evaluate(`document.getElementById("p-broken:broken").querySelector("td.d").textContent`, &fatalDesc),
	))
	assert.False(t, injected, "a program name became markup")
	assert.Contains(t, fatalDesc, "can't find command '/nonexistent/prog'; retry in 4m5")

	// Page weight, as the browser loaded it.
	var weight struct{ Doc, Total, DocRaw, TotalRaw float64 }
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`(() => {
		const nav = performance.getEntriesByType("navigation")[0];
		const res = performance.getEntriesByType("resource").filter(r => !r.name.includes("/events"));
		return {Doc: nav.encodedBodySize, Total: nav.encodedBodySize + res.reduce((s, r) => s + r.encodedBodySize, 0),
			DocRaw: nav.decodedBodySize, TotalRaw: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0)};
	})()`, &weight)))
	t.Logf("page weight (5 processes): document %.0f bytes (%.0f gzipped), with script and style %.0f bytes (%.0f gzipped)",
		weight.DocRaw, weight.Doc, weight.TotalRaw, weight.Total)

	// Press stop on app:sleeper: the row turns STOPPED with no reload. The time from the
	// engine's state change to the page showing it is measured with the wall clock on both sides.
	events, cancel := sv.Subscribe(64)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.notReloaded = true;
		window.stoppedAt = 0;
		new MutationObserver(() => {
			if (!window.stoppedAt && `+rowState("app:sleeper")+` === "STOPPED") window.stoppedAt = Date.now();
		}).observe(document.getElementById("rows"), {childList: true, subtree: true});`, nil)))
	require.NoError(t, chromedp.Run(ctx, chromedp.Click(`button[value="stop app:sleeper"]`, chromedp.ByQuery)))
	var engineAt time.Time
	for engineAt.IsZero() {
		select {
		case ev := <-events:
			if ev.Kind == supervise.EventState && ev.Name == "sleeper" && ev.To == supervise.Stopped {
				engineAt = time.Now()
			}
		case <-ctx.Done():
			t.Fatal("no STOPPED event from the engine")
		}
	}
	var shownAt float64
	var notReloaded bool
	var msg string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Poll(`window.stoppedAt`, &shownAt, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`window.notReloaded === true`, &notReloaded),
		chromedp.Poll(`document.getElementById("msg").textContent.startsWith("stopped") && document.getElementById("msg").textContent`, &msg, chromedp.WithPollingTimeout(30*time.Second)),
	))
	assert.True(t, notReloaded, "the page was reloaded")
	assert.Equal(t, "stopped app:sleeper", msg)
	t.Logf("state change to page: %d ms (engine STOPPED event to the row showing it)",
		int64(shownAt)-engineAt.UnixMilli())
	infos, err := sv.Status("app:sleeper")
	require.NoError(t, err)
	assert.Equal(t, supervise.Stopped, infos[0].State)

	// The stdout tail of the ticker: new lines arrive while we watch.
	var first string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#p-app\:ticker a.t`, chromedp.ByQuery),
		chromedp.WaitVisible(`#tail`, chromedp.ByQuery),
		chromedp.Poll(`(document.getElementById("tailpre").textContent.match(/tick \d+\n/g) || []).length >= 2 && document.getElementById("tailpre").textContent`, &first, chromedp.WithPollingTimeout(30*time.Second)),
	))
	lines := strings.Split(strings.TrimSpace(first), "\n")
	last, err := strconv.Atoi(strings.TrimPrefix(lines[len(lines)-1], "tick "))
	require.NoError(t, err, first)
	want := "tick " + strconv.Itoa(last+3) + "\n"
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Poll(`document.getElementById("tailpre").textContent.includes(`+strconv.Quote(want)+`)`, nil, chromedp.WithPollingTimeout(30*time.Second)),
	), "the tail view never showed %q", want)

	var png []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)))
	artifact(t, "supervisord-lite-dashboard.png", png)

	// The filter box hides what does not match, without a request.
	var visible []string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys(`#q`, "tick", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#rows tr:not(.g)")].filter(tr => !tr.hidden).map(tr => tr.querySelector("td.n").textContent)`, &visible),
	))
	assert.Equal(t, []string{"app:ticker"}, visible)

	// On a phone: nothing wider than the screen.
	var overflow bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#rows`, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
		chromedp.CaptureScreenshot(&png),
	))
	assert.False(t, overflow, "the page is wider than a phone")
	artifact(t, "supervisord-lite-dashboard-phone.png", png)
}

// Clearing a log asks first; accepting the browser's dialog clears it.
func TestBrowserClearAsks(t *testing.T) {
	ctx := browser(t)
	_, base, tickerLog := realDashboard(t)
	asked := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			asked <- d.Message
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
	testenv.WaitFor(t, "the ticker's log", func() bool {
		st, err := os.Stat(tickerLog)
		return err == nil && st.Size() > 30
	})
	var msg string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#rows`, chromedp.ByQuery),
		chromedp.Click(`button[value="clear app:ticker"]`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("msg").textContent.startsWith("cleared") && document.getElementById("msg").textContent`, &msg, chromedp.WithPollingTimeout(30*time.Second)),
	))
	assert.Equal(t, "Clear the log of app:ticker?", <-asked)
	assert.Equal(t, "cleared the logs of app:ticker", msg)
	b, err := os.ReadFile(tickerLog)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "tick 1\n", "the log was cleared")
}

// 500 processes: the page loads in the browser, and a state change replaces that one row and
// no other (the other <tr> elements stay the same DOM nodes).
func TestBrowserManyRows(t *testing.T) {
	var infos []supervise.ProcessInfo
	for i := 0; i < 500; i++ {
		infos = append(infos, proc(fmt.Sprintf("group%02d", i/10), fmt.Sprintf("worker%03d", i), supervise.Running))
	}
	b := newFake(infos...)
	h := newTestHandler(t, b)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // after the browser's cleanup has closed its event stream
	ctx := browser(t)
	require.NoError(t, chromedp.Run(ctx, cdpperf.Enable()))

	var timing struct{ Response, Interactive, DOMReady, Load, Paint, Rows, Bytes, Transferred float64 }
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Poll(`document.getElementById("live").className === "on"`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`(() => {
			const n = performance.getEntriesByType("navigation")[0];
			for (const tr of document.querySelectorAll("#rows tr")) tr.kept = true;
			const fcp = performance.getEntriesByName("first-contentful-paint")[0];
			return {Response: n.responseEnd - n.startTime, Interactive: n.domInteractive - n.startTime,
				Paint: fcp ? fcp.startTime : -1, DOMReady: n.domContentLoadedEventEnd - n.startTime,
				Load: n.loadEventEnd - n.startTime, Rows: document.querySelectorAll("#rows tr:not(.g)").length,
				Bytes: n.decodedBodySize, Transferred: n.encodedBodySize};
		})()`, &timing),
	))
	assert.Equal(t, 500.0, timing.Rows)
	var metrics []*cdpperf.Metric
	require.NoError(t, chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		metrics, err = cdpperf.GetMetrics().Do(ctx)
		return err
	})))
	cpu := map[string]float64{}
	for _, m := range metrics {
		cpu[m.Name] = m.Value
	}
	t.Logf("500 processes: renderer main thread CPU %.0f ms in all (ThreadTime, since the browser started), layout %.0f ms, style %.0f ms, script %.0f ms",
		cpu["ThreadTime"]*1000, cpu["LayoutDuration"]*1000, cpu["RecalcStyleDuration"]*1000, cpu["ScriptDuration"]*1000)
	t.Logf("500 processes: response %.0f ms, parsed %.0f ms, first paint %.0f ms, DOM ready %.0f ms, loaded %.0f ms; document %.0f bytes (%.0f gzipped)",
		timing.Response, timing.Interactive, timing.Paint, timing.DOMReady, timing.Load, timing.Bytes, timing.Transferred)

	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.shownAt = 0;
		new MutationObserver(() => {
			if (!window.shownAt && `+rowState("group25:worker250")+` === "STOPPED") window.shownAt = Date.now();
		}).observe(document.getElementById("rows"), {childList: true, subtree: true});`, nil)))
	changedAt := time.Now()
	b.setState("group25:worker250", supervise.Stopped, 0)
	var shownAt float64
	var kept int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Poll(`window.shownAt`, &shownAt, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`[...document.querySelectorAll("#rows tr")].filter(tr => tr.kept).length`, &kept),
	))
	assert.Equal(t, 500+50-1, kept, "only the changed row was replaced")
	t.Logf("500 processes: state change to page %d ms", int64(shownAt)-changedAt.UnixMilli())
}

// With JavaScript off, the table and the actions still work: a stop is a form POST that comes
// back to the page with the outcome, and a clear goes through a confirmation page.
func TestBrowserWithoutJavaScript(t *testing.T) {
	ctx := browser(t)
	sv, base, _ := realDashboard(t)
	var state, msg string
	require.NoError(t, chromedp.Run(ctx,
		emulation.SetScriptExecutionDisabled(true),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#rows`, chromedp.ByQuery),
		chromedp.Text(`#p-lonely\:lonely td.s`, &state, chromedp.ByQuery),
	))
	require.Equal(t, "RUNNING", state)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`button[value="stop lonely:lonely"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#p-lonely\:lonely.stopped`, chromedp.ByQuery),
		chromedp.Text(`#msg`, &msg, chromedp.ByQuery),
	))
	assert.Equal(t, "stopped lonely:lonely", msg)
	infos, err := sv.Status("lonely:lonely")
	require.NoError(t, err)
	assert.Equal(t, supervise.Stopped, infos[0].State)

	var question string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`button[value="clear app:ticker"]`, chromedp.ByQuery),
		chromedp.WaitReady(`input[name=confirm]`, chromedp.ByQuery),
		chromedp.Text(`form p`, &question, chromedp.ByQuery),
		chromedp.Click(`button[value="clear app:ticker"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#rows`, chromedp.ByQuery),
		chromedp.Text(`#msg`, &msg, chromedp.ByQuery),
	))
	assert.Equal(t, "Clear the stdout and stderr logs of app:ticker? This cannot be undone.", question)
	assert.Equal(t, "cleared the logs of app:ticker", msg)
}
