package web

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// eventBuffer is how many engine events a page's stream holds before the engine drops some
// for it (then the stream sends the whole table instead of rows).
const eventBuffer = 1024

// sse writes server-sent events, each within the write timeout and flushed at once.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     bytes.Buffer
}

func newSSE(w http.ResponseWriter, timeout time.Duration) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	s := &sse{w: w, rc: http.NewResponseController(w), timeout: timeout}
	// A stream lasts as long as the page is open: no read deadline (the server's ReadTimeout
	// bounds reading the request, which is over). net/http already clears it when it starts
	// watching the idle connection for the client going away; this does not rely on that.
	// Each write gets its own deadline (send).
	_ = s.rc.SetReadDeadline(time.Time{})
	_ = s.rc.SetWriteDeadline(time.Now().Add(timeout))
	w.WriteHeader(http.StatusOK)
	_ = s.rc.Flush()
	return s
}

// send writes one event; data may span lines (each becomes a data: field).
func (s *sse) send(event, id, data string) error {
	s.buf.Reset()
	if event != "" {
		s.buf.WriteString("event: " + event + "\n")
	}
	if id != "" {
		s.buf.WriteString("id: " + id + "\n")
	}
	for _, line := range strings.Split(strings.ReplaceAll(data, "\r", ""), "\n") {
		s.buf.WriteString("data: ")
		s.buf.WriteString(line)
		s.buf.WriteByte('\n')
	}
	s.buf.WriteByte('\n')
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return err
	}
	return s.rc.Flush()
}

// serveEvents is GET /events?v=VERSION&t=TOKEN: the page's live rows. It subscribes to the
// engine, sends the current CSRF token if the page's is another (a page loaded before a daemon
// reload, whose Handler had another key; only a same-origin page can read the stream), sends
// the whole table at once if it changed since the page's version, then, for each burst
// of state changes, one "row" event per changed process (the <tr> as the page renders it);
// group changes and events the engine dropped send the whole table again. Every event's id
// is the table's version after it. Nothing is sent, and nothing runs, while nothing changes.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	if !h.acquire(w) {
		return
	}
	defer h.release()
	// Subscribed before the snapshot, and both before the response starts: a client that has
	// the headers misses no change after them.
	events, cancel := h.opts.Backend.Subscribe(eventBuffer)
	defer cancel()
	infos, err := h.opts.Backend.Status("")
	if err != nil {
		http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s := newSSE(w, h.opts.WriteTimeout)
	ctx := r.Context()
	if r.URL.Query().Get("t") != h.token { // a page from before a daemon reload
		if err := s.send("token", "", h.token); err != nil {
			return
		}
	}
	if v := version(infos, h.opts.CertExpiry); v != r.URL.Query().Get("v") {
		if err := h.sendTable(s, infos); err != nil {
			return
		}
	}
	dirty := map[string]bool{}
	for {
		var ev supervise.Event
		var ok bool
		select {
		case <-ctx.Done():
			return
		case ev, ok = <-events:
			if !ok {
				return
			}
		}
		full := false
		clear(dirty)
		for more := true; more; {
			switch {
			case ev.Dropped > 0 || ev.Kind == supervise.EventGroupAdded || ev.Kind == supervise.EventGroupRemoved:
				full = true
			case ev.Kind == supervise.EventState:
				dirty[ev.Group+":"+ev.Name] = true
			}
			select { // the rest of a burst (a group stop) goes out together
			case ev, ok = <-events:
				if !ok {
					return
				}
			default:
				more = false
			}
		}
		if !full && len(dirty) == 0 {
			continue
		}
		if err := h.sendChanges(s, full, dirty); err != nil {
			h.opts.Logger.Debug("dashboard event stream ended", "err", err)
			return
		}
	}
}

// sendChanges sends the rows of dirty, or the whole table when full (or when a row's process
// is gone).
func (h *Handler) sendChanges(s *sse, full bool, dirty map[string]bool) error {
	infos, err := h.opts.Backend.Status("")
	if err != nil {
		return err
	}
	if full {
		return h.sendTable(s, infos)
	}
	v := version(infos, h.opts.CertExpiry)
	var buf bytes.Buffer
	sent := 0
	for _, info := range infos {
		if !dirty[info.Group+":"+info.Name] {
			continue
		}
		buf.Reset()
		if err := pages.ExecuteTemplate(&buf, "row", newRow(info, h.opts.CertExpiry)); err != nil {
			return err
		}
		if err := s.send("row", v, buf.String()); err != nil {
			return err
		}
		sent++
	}
	if sent < len(dirty) {
		return h.sendTable(s, infos)
	}
	return nil
}

func (h *Handler) sendTable(s *sse, infos []supervise.ProcessInfo) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "rows", groupRows(infos, "", h.opts.CertExpiry)); err != nil {
		return err
	}
	return s.send("table", version(infos, h.opts.CertExpiry), buf.String())
}
