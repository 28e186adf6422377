package web

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

//go:embed assets/page.html assets/app.js assets/app.css
var assets embed.FS

var pages = template.Must(template.ParseFS(assets, "assets/page.html"))

// Options configure a Handler. Backend is required; every other zero value works.
type Options struct {
	// Backend is the engine shown and driven (a *supervise.Supervisor, or a daemon's type
	// around one).
	Backend Backend
	// Identifier is the title of the page (supervisord's identifier); "" = "supervisor".
	Identifier string
	// MainLog is the supervisor's own log file, shown and followed as "main log";
	// "" = no main log view.
	MainLog string
	// CertExpiry returns when the certificate served by the process spec ("group:name")
	// expires, if it serves one ([gunicorn:x] programs); the row then shows the days left,
	// as a warning under 14 days. nil = no certificate column.
	CertExpiry func(spec string) (time.Time, bool)
	// CSRFKey is the secret the anti-CSRF token is derived from; keep the same key across a
	// daemon's reloads so that open pages keep working. nil = 32 random bytes at New.
	CSRFKey []byte
	// TailBytes is how much of a log a tail view starts with, in bytes; 0 = 16 KiB.
	TailBytes int64
	// MaxStreams bounds the event and log streams open at once (each holds a goroutine and,
	// for a log, a 32 KiB buffer and a 50 ms poll); more get HTTP 503. 0 = 32.
	MaxStreams int
	// ActionTimeout bounds how long an action waits for its processes to start or stop;
	// 0 = 2 minutes.
	ActionTimeout time.Duration
	// WriteTimeout bounds writing one response or one event of a stream to a client; a client
	// that does not read for this long is dropped. 0 = 30 s.
	WriteTimeout time.Duration
	// Logger gets what goes wrong serving pages (write failures, streams ended by errors);
	// nil = discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Identifier == "" {
		o.Identifier = "supervisor"
	}
	if o.TailBytes <= 0 {
		o.TailBytes = 16 << 10
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 32
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 2 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Handler is the dashboard, an http.Handler meant for the root ("/") of the listeners that
// serve the XML-RPC API, behind their authentication. Its paths: "/" (the page, ?q= filters),
// "/action" (POST only, with the CSRF token), "/events" (server-sent events of row changes),
// "/tail" (a log page: ?p=group:name&ch=stdout|stderr, or ?ch=main), "/follow" (the same log
// as server-sent events) and "/static/" (the embedded script and style sheet). It starts no
// goroutine of its own: a stream lives as long as its request.
type Handler struct {
	opts    Options
	token   string // the CSRF token every form carries
	streams atomic.Int64
	assetV  string // a digest of the assets, for cache busting
}

// New returns the dashboard over opts.Backend. It fails only when opts.Backend is nil or
// no random key can be read for the CSRF token.
func New(opts Options) (*Handler, error) {
	if opts.Backend == nil {
		return nil, errors.New("web: Options.Backend is nil")
	}
	opts = opts.withDefaults()
	key := opts.CSRFKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, &Error{Op: "csrf key", Err: err}
		}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("supervisord-lite dashboard actions"))
	h := &Handler{opts: opts, token: base64.RawURLEncoding.EncodeToString(mac.Sum(nil))}
	sum := sha256.New()
	for _, name := range []string{"assets/app.js", "assets/app.css"} {
		b, _ := assets.ReadFile(name)
		sum.Write(b)
	}
	h.assetV = base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:6])
	return h, nil
}

// Error is a failure of the dashboard's own, naming the operation.
type Error struct {
	Op  string
	Err error
}

func (e *Error) Error() string { return "web: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

var _ http.Handler = (*Handler)(nil)

// ServeHTTP routes a request to the page, an action, a stream or an asset.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	switch r.URL.Path {
	case "/action":
		h.serveAction(w, r)
		return
	case "/static/app.js":
		h.serveAsset(w, r, "assets/app.js", "text/javascript; charset=utf-8")
		return
	case "/static/app.css":
		h.serveAsset(w, r, "assets/app.css", "text/css; charset=utf-8")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/", "/index.html":
		h.servePage(w, r)
	case "/events":
		h.serveEvents(w, r)
	case "/tail":
		h.serveTail(w, r)
	case "/follow":
		h.serveFollow(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, name, ctype string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b, err := assets.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "max-age=86400")
	h.write(w, r, b)
}

// pageData is what the page template shows.
type pageData struct {
	Title, Identifier, CSRF, Filter, Flash, Version, AssetV string
	NowUnix                                                 int64
	MainLog                                                 bool
	Count                                                   int
	Groups                                                  []group
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	infos, err := h.opts.Backend.Status("")
	if err != nil {
		http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	filter := r.URL.Query().Get("q")
	d := pageData{Title: h.opts.Identifier + " · supervisord-lite", Identifier: h.opts.Identifier,
		CSRF: h.token, Filter: filter, Version: version(infos, h.opts.CertExpiry), AssetV: h.assetV,
		NowUnix: time.Now().Unix(), MainLog: h.opts.MainLog != "", Count: len(infos),
		Groups: groupRows(infos, filter, h.opts.CertExpiry)}
	if len(infos) > 0 {
		d.NowUnix = infos[0].Now.Unix()
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			d.Flash = v
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
	h.render(w, r, "page", d)
}

// render executes a template into a buffer and writes it; a template error is a 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.opts.Logger.Error("dashboard template failed", "template", name, "err", err)
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	h.write(w, r, buf.Bytes())
}

// write sends b, gzipped when the client takes it and b is worth it.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, b []byte) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
	w.Header().Add("Vary", "Accept-Encoding")
	if len(b) > 1024 && acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		if r.Method != http.MethodHead {
			_, _ = gz.Write(b)
		}
		if err := gz.Close(); err != nil {
			h.opts.Logger.Debug("dashboard write failed", "err", err)
		}
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(b); err != nil {
		h.opts.Logger.Debug("dashboard write failed", "err", err)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// validToken reports whether the form's token is the Handler's, in constant time.
func (h *Handler) validToken(given string) bool {
	return subtle.ConstantTimeCompare([]byte(given), []byte(h.token)) == 1
}

// crossSite reports a request a browser marks as coming from another site: by Sec-Fetch-Site
// when the browser sends it (every current one does), else by an Origin whose host is neither
// the request's Host nor its X-Forwarded-Host (a reverse proxy's). Refused even with a token.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return true
	}
	return u.Host != r.Host && u.Host != r.Header.Get("X-Forwarded-Host")
}

// acquire takes one of MaxStreams; false (and a 503 sent) when all are taken.
func (h *Handler) acquire(w http.ResponseWriter) bool {
	if h.streams.Add(1) > int64(h.opts.MaxStreams) {
		h.streams.Add(-1)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many open streams", http.StatusServiceUnavailable)
		return false
	}
	return true
}

func (h *Handler) release() { h.streams.Add(-1) }
