// Package web is supervisord-lite's dashboard: an http.Handler that shows and drives a
// supervise.Supervisor (through the small Backend interface) in a browser, meant to be
// served at "/" on the listeners of the XML-RPC API, behind their authentication.
//
// It offers what supervisord's page does (a row per process with its state, description and
// name; start, stop, restart and clear log per process; restart all and stop all; tails of
// stdout, stderr and the main log) and what supervisord's users asked for: rows that change
// live, pushed by the server from the engine's events as server-sent events (only the rows
// that changed); a live `tail -f` of every log; group actions; a filter box; the FATAL
// reason and the countdown to a Program.FatalRetry; the days left on a [gunicorn:x]
// certificate (Options.CertExpiry); a layout that reads on a phone.
//
// Safety: state changes only by POST with a CSRF token (an HMAC of Options.CSRFKey) and
// never from another site (Sec-Fetch-Site, Origin); every name and log line goes through
// html/template or JSON, so none can inject markup; a strict Content-Security-Policy allows
// only the page's own script; streams are bounded in number (Options.MaxStreams), in write
// time (Options.WriteTimeout) and, in the page, in size; clearing a log asks first. The table
// and every action work without JavaScript.
//
// Cost: the Handler starts no goroutine and holds no subscription of its own. With no page
// open the daemon does nothing for it; an open page holds one event subscription and is sent
// something only when a process changes state. A visible tail polls its file every 50 ms
// (logrotate.Follow) for as long as it is open.
//
// The page, its script (about 6 KB, no build step, no third-party code) and its style sheet
// are embedded in the binary.
package web
