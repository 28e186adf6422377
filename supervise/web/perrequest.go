package web

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"reflect"
	"sync"
)

// PerRequest is the dashboard for a server whose Backend changes over time, as a daemon's does
// at each reload (a new Supervisor): for each request Options returns the Options to serve it
// with (false = 404), and a Handler is built whenever their Backend is not the one of the last
// request (so the Backend must be comparable, as a pointer such as *supervise.Supervisor is;
// another is refused with HTTP 500). Every Handler it builds uses the same CSRF key (Options.CSRFKey, or one random key
// for the PerRequest's life), so that open pages keep working across reloads. The zero value
// is not usable: Options is required.
type PerRequest struct {
	// Options returns the Options for a request, e.g. from the daemon's run serving it.
	Options func(r *http.Request) (Options, bool)

	mu      sync.Mutex
	key     []byte
	backend Backend
	h       *Handler
}

var _ http.Handler = (*PerRequest)(nil)

// ServeHTTP serves r with the Handler of its Backend.
func (p *PerRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opts, ok := p.Options(r)
	if !ok || opts.Backend == nil {
		http.NotFound(w, r)
		return
	}
	h, err := p.handler(opts)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.ServeHTTP(w, r)
}

func (p *PerRequest) handler(opts Options) (*Handler, error) {
	if t := reflect.TypeOf(opts.Backend); !t.Comparable() {
		return nil, &Error{Op: "PerRequest", Err: fmt.Errorf("backend type %s is not comparable (use a pointer)", t)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil && p.backend == opts.Backend {
		return p.h, nil
	}
	if len(opts.CSRFKey) == 0 {
		if p.key == nil {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, &Error{Op: "csrf key", Err: err}
			}
			p.key = key
		}
		opts.CSRFKey = p.key
	}
	h, err := New(opts)
	if err != nil {
		return nil, err
	}
	p.backend, p.h = opts.Backend, h
	return h, nil
}
