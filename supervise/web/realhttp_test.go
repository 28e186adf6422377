package web

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Against a real Supervisor: a stop posted as a form reaches the engine, and the open event
// stream of a page pushes the changed row.
func TestRealStopPushesRow(t *testing.T) {
	_, base, _ := realDashboard(t)
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	page := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(page)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page.String(), `<tr id="p-app:sleeper" class="running"`)
	assert.Contains(t, page.String(), "; retry in <time")
	assert.Contains(t, page.String(), "&lt;i&gt;hostile&lt;/i&gt;")
	token := between(page.String(), `name="csrf" value="`, `"`)
	v := between(page.String(), `data-v="`, `"`)
	require.NotEmpty(t, token)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events?"+url.Values{"v": {v}, "t": {token}}.Encode(), nil)
	es, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer es.Body.Close()
	require.Equal(t, http.StatusOK, es.StatusCode)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.PostForm(base+"/action", url.Values{"csrf": {token}, "do": {"stop app:sleeper"}})
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusSeeOther, r.StatusCode)

	br := bufio.NewReader(es.Body)
	var states []string
	for !contains(states, "STOPPED") {
		ev := readEvent(t, br)
		require.Equal(t, "row", ev.name, "only rows for a page that was current: %s", ev.data)
		require.True(t, strings.HasPrefix(ev.data, `<tr id="p-app:sleeper"`), ev.data)
		states = append(states, between(ev.data, `<td class="s"><span>`, `<`))
	}
	for _, st := range states { // STOPPING may come in the same burst as STOPPED
		assert.Contains(t, []string{"STOPPING", "STOPPED"}, st)
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
