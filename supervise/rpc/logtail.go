package rpc

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// serveLogtail is GET /logtail/<namespec>/<stdout|stderr>: the last 1024 bytes of the log,
// then everything appended, as a chunked stream that ends when the client goes away or the
// server stops. 404 when there is no such process or log file.
func (s *Server) serveLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		errorPage(w, http.StatusBadRequest)
		return
	}
	p := r.URL.Path
	if strings.Contains(r.URL.RawPath, "%") || strings.Contains(p, "%") {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	}
	p = strings.TrimLeft(p, "/")
	_, rest, ok := strings.Cut(p, "/")
	if !ok {
		errorPage(w, http.StatusNotFound)
		return
	}
	name, channel, ok := strings.Cut(rest, "/")
	if !ok {
		channel = "stdout"
	}
	if channel != "stdout" && channel != "stderr" {
		errorPage(w, http.StatusNotFound)
		return
	}
	path, err := s.logPath(name, channel)
	if err != nil || path == "" {
		errorPage(w, http.StatusNotFound)
		return
	}
	s.follow(w, r, path, true)
}

// serveMainLogtail is GET /mainlogtail: the same stream over the supervisor's own log.
func (s *Server) serveMainLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		errorPage(w, http.StatusBadRequest)
		return
	}
	if s.opts.MainLog == "" {
		errorPage(w, http.StatusNotFound)
		return
	}
	s.follow(w, r, s.opts.MainLog, false)
}

func (s *Server) follow(w http.ResponseWriter, r *http.Request, path string, accelHeader bool) {
	st, err := os.Stat(path)
	if err != nil {
		errorPage(w, http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Last-Modified", st.ModTime().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "text/plain;charset=utf-8")
	if accelHeader {
		h.Set("X-Accel-Buffering", "no")
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	fw := &flushWriter{w: w, rc: rc, timeout: s.opts.WriteTimeout}
	if err := s.opts.Logs.Follow(r.Context(), path, -1024, fw); err != nil {
		s.opts.Logger.Debug("log tail stream ended", "path", path, "err", err)
	}
}

// flushWriter sends every write at once, each within the write timeout, so that a client
// that stops reading is dropped instead of holding the stream.
type flushWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (f *flushWriter) Write(p []byte) (int, error) {
	_ = f.rc.SetWriteDeadline(time.Now().Add(f.timeout))
	n, err := f.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, f.rc.Flush()
}
