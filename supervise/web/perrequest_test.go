package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// A PerRequest follows its backend (a daemon's reload) and keeps one CSRF token.
func TestPerRequestFollowsTheBackend(t *testing.T) {
	first := newFake(proc("app", "old", supervise.Running))
	second := newFake(proc("app", "new", supervise.Running))
	current := Backend(first)
	p := &PerRequest{Options: func(r *http.Request) (Options, bool) {
		return Options{Backend: current}, r.Header.Get("X-No-Run") == ""
	}}
	body := get(t, p, "/").Body.String()
	assert.Contains(t, body, "app:old")
	token := between(body, `name="csrf" value="`, `"`)
	require.NotEmpty(t, token)
	h1 := p.h

	current = second
	body = get(t, p, "/").Body.String()
	assert.Contains(t, body, "app:new")
	assert.NotContains(t, body, "app:old")
	assert.NotSame(t, h1, p.h, "a new Handler for the new backend")
	assert.Equal(t, token, between(body, `name="csrf" value="`, `"`), "the token survives the reload")
	h2 := p.h
	get(t, p, "/")
	assert.Same(t, h2, p.h, "the same backend keeps its Handler")

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-No-Run", "1")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	assert.Equal(t, http.StatusNotFound, w.Code)
}

type uncomparable struct {
	*fakeBackend
	hooks []func()
}

func TestPerRequestNeedsAComparableBackend(t *testing.T) {
	p := &PerRequest{Options: func(*http.Request) (Options, bool) {
		return Options{Backend: uncomparable{fakeBackend: newFake()}}, true
	}}
	w := get(t, p, "/")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "not comparable (use a pointer)")
}
