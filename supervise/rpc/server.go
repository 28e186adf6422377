package rpc

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// MaxRequestBytes is the largest XML-RPC request body accepted; a larger one gets HTTP 400
// (one announced larger by its Content-Length is refused before it is read).
const MaxRequestBytes = 1 << 20

// maxHeaderBytes bounds a request's header block; a larger one gets HTTP 431.
const maxHeaderBytes = 64 << 10

// Options configure a Server. Backend is required; every other zero value works.
type Options struct {
	// Backend is the engine (a *supervise.Supervisor).
	Backend Backend
	// Listeners are where to serve. Serve opens each (or uses its Listener) and closes them.
	Listeners []Listener
	// Identification is getIdentification's answer (supervisord's identifier);
	// "" = "supervisor".
	Identification string
	// SupervisorVersion is getSupervisorVersion's answer (what `supervisorctl version`
	// prints); "" = "4.2.5", the supervisord release whose API this package serves.
	SupervisorVersion string
	// PID returns getPID's answer; nil = os.Getpid.
	PID func() int
	// MainLog is the supervisor's own log file for readLog, clearLog and /mainlogtail;
	// "" = none (NO_FILE, 404).
	MainLog string
	// ReopenMainLog is called after clearLog removed MainLog; nil = nothing.
	ReopenMainLog func() error
	// ConfigInfo returns getAllConfigInfo's entries (supervisorctl avail); nil = none.
	ConfigInfo func() []ConfigInfo
	// Reloader implements reloadConfig, addProcessGroup and removeProcessGroup; nil =
	// CANT_REREAD and BAD_NAME.
	Reloader Reloader
	// Shutdown is called by the shutdown (restart=false) and restart (restart=true) methods,
	// after which (for shutdown) every supervisor.* call gets SHUTDOWN_STATE. It must not
	// block: the answer goes out after it returns. nil = nothing but the refusal.
	Shutdown func(restart bool)
	// State is the daemon's state (supervisord's mood): getState answers it, and while it is
	// not SupervisorRunning (or SupervisorFatal) calls get SHUTDOWN_STATE, as in supervisord.
	// The daemon owns it (supervise/daemon's); Shutdown must make it SupervisorShutdown
	// before it returns. nil = the Backend's State if it has one (as *supervise.Supervisor:
	// SupervisorShutdown once its Serve ended), else SupervisorRunning, and
	// SupervisorShutdown after the shutdown method. Once Serve's ctx ended it is always
	// SupervisorShutdown.
	State func() supervise.SupervisorState
	// RemoteComm receives sendRemoteCommEvent's type and data; nil = dropped.
	RemoteComm func(typ, data string)
	// Logs reads log files; nil = package logrotate's ReadFile, TailFile and Follow.
	Logs LogReader
	// Logger gets request errors (malformed XML, write failures); nil = discard.
	Logger *slog.Logger
	// ReadTimeout bounds reading a request (headers and body); 0 = 30 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response, or one chunk of a /logtail stream, once it is
	// ready (a call that waits for a process to start may take longer before that);
	// 0 = 30 s.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle this long; 0 = 60 s.
	IdleTimeout time.Duration
	// MaxConns bounds the open connections of each listener: beyond it, and whenever the
	// process has no file descriptor left for a new one, the connection that has waited
	// longest without a request (idle, or still sending its headers slowly) is closed, so that
	// a flood of such connections cannot keep other clients out. Connections in the middle of
	// a request or a log stream are never closed for it. 0 = 512.
	MaxConns int
	// ShutdownTimeout is how long Serve waits for answers in flight when ctx ends before it
	// closes the connections; 0 = 5 s.
	ShutdownTimeout time.Duration
	// Extra adds methods beside supervisord's, by full name ("myns.method"; the supervisor and
	// system namespaces are supervisord's and are not extended). They are callable but not
	// listed by system.listMethods, so supervisorctl sees exactly supervisord's API.
	Extra map[string]ExtraMethod
	// Handlers are HTTP handlers served beside the XML-RPC API on every listener, behind the
	// same authentication, by net/http.ServeMux pattern ("/" for a dashboard, "/metrics").
	// /RPC2, /logtail and /mainlogtail stay the server's whatever the patterns; a request no
	// pattern matches gets supervisord's 404 page. nil = none.
	Handlers map[string]http.Handler
}

func (o Options) withDefaults() Options {
	if o.Identification == "" {
		o.Identification = "supervisor"
	}
	if o.SupervisorVersion == "" {
		o.SupervisorVersion = "4.2.5"
	}
	if o.PID == nil {
		o.PID = os.Getpid
	}
	if o.Logs == nil {
		o.Logs = fileLogs{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.ReadTimeout = orDuration(o.ReadTimeout, 30*time.Second)
	o.WriteTimeout = orDuration(o.WriteTimeout, 30*time.Second)
	o.IdleTimeout = orDuration(o.IdleTimeout, 60*time.Second)
	o.ShutdownTimeout = orDuration(o.ShutdownTimeout, 5*time.Second)
	if o.MaxConns <= 0 {
		o.MaxConns = 512
	}
	return o
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Server serves supervisord's XML-RPC API over HTTP.
type Server struct {
	opts     Options
	methods  map[string]*method
	extra    *http.ServeMux // Options.Handlers; nil when there are none
	shutting atomic.Bool
}

// NewServer returns a Server; it starts nothing until Serve. It panics, as http.ServeMux
// does, when two Handlers patterns conflict or one is malformed (a programming error).
func NewServer(opts Options) *Server {
	s := &Server{opts: opts.withDefaults(), methods: methodTable()}
	if len(opts.Handlers) > 0 {
		s.extra = http.NewServeMux()
		for pattern, h := range opts.Handlers {
			s.extra.Handle(pattern, h)
		}
	}
	return s
}

// state is the daemon's state: SHUTDOWN once Serve is ending, else Options.State when given,
// else the server's own view.
func (s *Server) state() supervise.SupervisorState {
	if s.shutting.Load() {
		return supervise.SupervisorShutdown
	}
	if s.opts.State != nil {
		return s.opts.State()
	}
	if st, ok := s.opts.Backend.(stater); ok {
		return st.State()
	}
	return supervise.SupervisorRunning
}

// stopping reports supervisord's mood < RUNNING: every call but a few gets SHUTDOWN_STATE.
func (s *Server) stopping() bool {
	return s.state() < supervise.SupervisorRunning
}

func (s *Server) shutdown(restart bool) bool {
	if !restart && s.opts.State == nil {
		s.shutting.Store(true)
	}
	if s.opts.Shutdown != nil {
		s.opts.Shutdown(restart)
	}
	return true
}

// Serve opens every listener and answers requests until ctx ends; then it waits up to
// ShutdownTimeout for answers in flight, ends /logtail streams and waiting calls, closes
// everything and removes the unix sockets it created. It returns nil after ctx ended, or the
// error that stopped it (a listener that could not be opened: then nothing is served).
func (s *Server) Serve(ctx context.Context) error {
	if s.opts.Backend == nil {
		return errors.New("rpc: Options.Backend is nil")
	}
	if len(s.opts.Listeners) == 0 {
		return errors.New("rpc: no listeners")
	}
	var opened []*openListener
	closeAll := func() {
		for _, o := range opened {
			o.close()
		}
	}
	for _, l := range s.opts.Listeners {
		o, err := l.open()
		if err != nil {
			closeAll()
			return err
		}
		opened = append(opened, o)
	}
	defer closeAll()

	serveCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	servers := make([]*http.Server, len(opened))
	errc := make(chan error, len(opened))
	var wg sync.WaitGroup
	for i, o := range opened {
		guard := newConnGuard(s.opts.MaxConns, o.ln.Addr().String(), s.opts.Logger)
		hs := &http.Server{
			Handler:           s.handler(o.cfg),
			ConnState:         guard.state,
			ReadHeaderTimeout: s.opts.ReadTimeout,
			ReadTimeout:       s.opts.ReadTimeout,
			IdleTimeout:       s.opts.IdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			// "OPTIONS *" goes to the handler (and its authentication) too, instead of
			// net/http's built-in 200 answer to anyone.
			DisableGeneralOptionsHandler: true,
			BaseContext:                  func(net.Listener) context.Context { return serveCtx },
			ErrorLog:                     slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
		}
		servers[i] = hs
		wg.Add(1)
		go func(ln net.Listener) {
			defer wg.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(guardedListener{o.ln, guard})
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.shutting.Store(true)
	// Streams and waiting calls end now; answers being written get ShutdownTimeout.
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer scancel()
	var errs *multierror.Error
	for _, hs := range servers {
		if e := hs.Shutdown(sctx); e != nil {
			_ = hs.Close()
		}
	}
	wg.Wait()
	if err != nil {
		errs = multierror.Append(errs, fmt.Errorf("rpc: serving: %w", err))
	}
	return errs.ErrorOrNil()
}

// Handler returns the HTTP handler of the API without authentication, for embedding in an
// http.Server of one's own; Serve is the usual way.
func (s *Server) Handler() http.Handler { return s.handler(Listener{}) }

func (s *Server) handler(l Listener) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.Username != "" && !s.authorized(w, r, l) {
			return
		}
		uri := r.RequestURI
		switch {
		case strings.HasPrefix(uri, "/RPC2"):
			s.serveRPC(w, r)
		case strings.HasPrefix(uri, "/logtail"):
			s.serveLogtail(w, r)
		case strings.HasPrefix(uri, "/mainlogtail"):
			s.serveMainLogtail(w, r)
		default:
			if s.extra != nil {
				if h, pattern := s.extra.Handler(r); pattern != "" {
					h.ServeHTTP(w, r)
					return
				}
			}
			errorPage(w, http.StatusNotFound)
		}
	})
}

// authorized checks HTTP basic auth as supervisord's auth handler: a bad base64 cookie is
// 400, anything else wrong 401 with its page.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, l Listener) bool {
	h := r.Header.Get("Authorization")
	scheme, cookie, _ := strings.Cut(strings.TrimSpace(h), " ")
	if h != "" && strings.EqualFold(scheme, "basic") {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cookie))
		if err != nil {
			errorPage(w, http.StatusBadRequest)
			return false
		}
		user, pass, _ := strings.Cut(string(dec), ":")
		// Both checks run, in time that depends on neither the name nor the password given.
		userOK := equalSecret(user, l.Username)
		if checkPassword(l.Password, pass) && userOK {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
	w.Header().Set("Connection", "close")
	errorPage(w, http.StatusUnauthorized)
	return false
}

// checkPassword compares a password with the configured one, plain or "{SHA}" + hex SHA-1 (as
// supervisord: the lower-case hex digest of the given password must equal the stored text).
func checkPassword(stored, given string) bool {
	if hexDigest, ok := strings.CutPrefix(stored, "{SHA}"); ok {
		sum := sha1.Sum([]byte(given))
		return equalSecret(hex.EncodeToString(sum[:]), hexDigest)
	}
	return equalSecret(stored, given)
}

// equalSecret compares a and b in time independent of their contents and lengths (a plain
// constant-time comparison of the strings would tell a length mismatch at once): it compares
// their SHA-256 digests.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// errorPage writes medusa's error response page, as supervisord sends it.
func errorPage(w http.ResponseWriter, code int) {
	reason := http.StatusText(code)
	body := fmt.Sprintf("<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code %d.\r\n<p>Message: %s.\r\n</body>\r\n", code, reason)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		errorPage(w, http.StatusBadRequest)
		return
	}
	if r.ContentLength > MaxRequestBytes {
		// Refused before a byte of it is read: a client that announces a huge body and sends
		// it slowly does not hold the connection until ReadTimeout.
		s.opts.Logger.Error("XML-RPC request too large", "bytes", r.ContentLength, "remote", r.RemoteAddr)
		w.Header().Set("Connection", "close")
		errorPage(w, http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		s.opts.Logger.Error("XML-RPC request unreadable", "err", err, "remote", r.RemoteAddr)
		w.Header().Set("Connection", "close")
		errorPage(w, http.StatusBadRequest)
		return
	}
	call, err := xmlrpc.DecodeCall(data)
	if err != nil {
		s.opts.Logger.Error("XML-RPC request data is invalid: unmarshallable", "err", err)
		errorPage(w, http.StatusBadRequest)
		return
	}
	if call.Method == "" {
		s.opts.Logger.Error("XML-RPC request data is invalid: no method name")
		errorPage(w, http.StatusBadRequest)
		return
	}
	v, err := s.call(r.Context(), call.Method, call.Params)
	if err != nil {
		v = faultOf(err, "")
	}
	buf := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 4<<20 { // keep the usual sizes only
			bufPool.Put(buf)
		}
	}()
	body, err := xmlrpc.AppendResponse((*buf)[:0], v)
	if err != nil {
		s.opts.Logger.Error("XML-RPC response unmarshallable", "method", call.Method, "err", err)
		errorPage(w, http.StatusInternalServerError)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if _, err := w.Write(body); err != nil {
		s.opts.Logger.Debug("XML-RPC response not sent", "method", call.Method, "err", err)
	}
	*buf = body
}

// bufPool holds response buffers, so that a client polling getAllProcessInfo does not make
// the server allocate its answer anew each time.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
