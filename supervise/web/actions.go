package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// flashCookie carries the outcome of a form action (without JavaScript) to the page the
// browser is sent back to, so that no message text ever travels in a URL.
const flashCookie = "dashboard-msg"

// maxFormBytes bounds an action's form.
const maxFormBytes = 4 << 10

// action is one request of the "do" field: "start group:name", "stop group:*", "restartall".
type action struct {
	op, target string
}

// ActionError is a malformed action request: what was wrong with it.
type ActionError struct {
	Do     string // the "do" field as sent
	Reason string
}

func (e *ActionError) Error() string { return fmt.Sprintf("web: action %q: %s", e.Do, e.Reason) }

func parseAction(do string) (action, error) {
	op, target, _ := strings.Cut(do, " ")
	a := action{op: op, target: target}
	switch op {
	case "startall", "stopall", "restartall":
		if target != "" {
			return a, &ActionError{do, op + " takes no name"}
		}
	case "start", "stop", "restart", "clear":
		g, n, ok := strings.Cut(target, ":")
		if !ok || g == "" || n == "" {
			return a, &ActionError{do, "the name must be group:name or group:*"}
		}
		if op == "clear" && n == "*" {
			return a, &ActionError{do, "clear takes one process"}
		}
	default:
		return a, &ActionError{do, "unknown action"}
	}
	return a, nil
}

// serveAction is POST /action: a CSRF-checked state change. A browser without JavaScript
// gets a 303 back to the page with the outcome in a cookie; the page's script (header
// X-Dashboard) gets {"ok":bool,"msg":string}. A clear without confirm=1 gets a page that asks
// first.
func (h *Handler) serveAction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "state changes need POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	if crossSite(r) || !h.validToken(r.PostForm.Get("csrf")) {
		http.Error(w, "forbidden: missing or wrong CSRF token (reload the page)", http.StatusForbidden)
		return
	}
	do := r.PostForm.Get("do")
	a, err := parseAction(do)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	script := r.Header.Get("X-Dashboard") != ""
	if a.op == "clear" && r.PostForm.Get("confirm") != "1" {
		h.render(w, r, "confirm", map[string]string{"Title": "clear log?", "Identifier": h.opts.Identifier,
			"CSRF": h.token, "Do": do, "AssetV": h.assetV,
			"Question": "Clear the stdout and stderr logs of " + a.target + "? This cannot be undone."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.ActionTimeout)
	defer cancel()
	msg, ok := h.perform(ctx, a)
	if script {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(struct {
			OK  bool   `json:"ok"`
			Msg string `json:"msg"`
		}{ok, msg})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// perform runs a and says what came of it.
func (h *Handler) perform(ctx context.Context, a action) (string, bool) {
	b := h.opts.Backend
	var rs []supervise.Result
	var err error
	switch a.op {
	case "start":
		rs, err = b.Start(ctx, a.target, true)
	case "stop":
		rs, err = b.Stop(ctx, a.target, true)
	case "restart":
		rs, err = b.Restart(ctx, a.target)
	case "clear":
		rs, err = b.ClearLogs(a.target)
	case "startall":
		rs = b.StartAll(ctx, true)
	case "stopall":
		rs = b.StopAll(ctx, true)
	case "restartall":
		rs = b.StopAll(ctx, true)
		if failed(rs) == 0 {
			rs = b.StartAll(ctx, true)
		}
	}
	return outcome(a, rs, err)
}

func failed(rs []supervise.Result) int {
	n := 0
	for _, r := range rs {
		if r.Err != nil {
			n++
		}
	}
	return n
}

var pastTense = map[string]string{"start": "started", "stop": "stopped", "restart": "restarted",
	"clear": "cleared the logs of", "startall": "started", "stopall": "stopped", "restartall": "restarted"}

// outcome is the message for the results of a: "stopped app:web", "app:web: not running",
// "restarted 3 processes; app:db: spawn error".
func outcome(a action, rs []supervise.Result, err error) (string, bool) {
	var errs []string
	if err != nil && (len(rs) == 0 || !errors.Is(err, rs[0].Err)) {
		errs = append(errs, err.Error())
	}
	for _, r := range rs {
		if r.Err != nil {
			errs = append(errs, r.Err.Error())
		}
	}
	done := len(rs) - failed(rs)
	var parts []string
	switch {
	case done == 1 && len(rs) == 1:
		parts = append(parts, pastTense[a.op]+" "+rs[0].Group+":"+rs[0].Name)
	case done > 0 || len(errs) == 0:
		parts = append(parts, fmt.Sprintf("%s %d processes", pastTense[a.op], done))
	}
	parts = append(parts, errs...)
	return strings.Join(parts, "; "), len(errs) == 0
}
