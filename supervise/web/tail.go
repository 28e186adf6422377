package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// ErrNoLog is a tail of a log that does not exist: an unknown process, a channel other than
// stdout, stderr and main, or a log configured as NONE.
var ErrNoLog = errors.New("no such log")

// logPath resolves the ?p=group:name&ch=stdout|stderr (or ?ch=main) of a tail request.
func (h *Handler) logPath(q url.Values) (path, name string, err error) {
	p, ch := q.Get("p"), q.Get("ch")
	if ch == "main" && p == "" {
		if h.opts.MainLog == "" {
			return "", "", ErrNoLog
		}
		return h.opts.MainLog, "main log", nil
	}
	if ch != "stdout" && ch != "stderr" || p == "" {
		return "", "", ErrNoLog
	}
	infos, err := h.opts.Backend.Status(p)
	if err != nil || len(infos) != 1 {
		return "", "", ErrNoLog
	}
	path = infos[0].StdoutLogfile
	if ch == "stderr" {
		path = infos[0].StderrLogfile
	}
	if path == "" {
		return "", "", ErrNoLog
	}
	return path, infos[0].Namespec() + " " + ch, nil
}

type link struct{ Href, Text string }

// serveTail is GET /tail: the last TailBytes of a log as a page (with JavaScript it then
// follows the log live).
func (h *Handler) serveTail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path, name, err := h.logPath(q)
	if err != nil {
		http.Error(w, "tail: "+err.Error(), http.StatusNotFound)
		return
	}
	d := struct {
		Title, Name, Text, Err, Follow, Self, AssetV string
		Links                                        []link
	}{Title: name + " · " + h.opts.Identifier, Name: name, Self: "tail?" + q.Encode(), AssetV: h.assetV}
	data, size, _, terr := logrotate.TailFile(path, 0, h.opts.TailBytes)
	if terr != nil && !errors.Is(terr, logrotate.ErrNoFile) {
		d.Err = terr.Error()
	}
	d.Text = string(data)
	fq := url.Values{"ch": {q.Get("ch")}, "from": {strconv.FormatInt(size, 10)}}
	if p := q.Get("p"); p != "" {
		fq.Set("p", p)
		for _, ch := range []string{"stdout", "stderr"} {
			if ch != q.Get("ch") {
				d.Links = append(d.Links, link{"tail?" + url.Values{"p": {p}, "ch": {ch}}.Encode(), ch})
			}
		}
	}
	d.Follow = "follow?" + fq.Encode()
	h.render(w, r, "tail", d)
}

// serveFollow is GET /follow: a log as server-sent events, each a JSON string of the bytes
// appended (at most 32 KiB), starting at ?from= (a byte offset; negative or absent = the last
// TailBytes), until the client goes away. Bytes that are not UTF-8 arrive as U+FFFD.
func (h *Handler) serveFollow(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path, _, err := h.logPath(q)
	if err != nil {
		http.Error(w, "follow: "+err.Error(), http.StatusNotFound)
		return
	}
	from := -h.opts.TailBytes
	if f := q.Get("from"); f != "" {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			http.Error(w, "follow: from must be a byte offset", http.StatusBadRequest)
			return
		}
		if n >= 0 {
			from = n
		}
	}
	if !h.acquire(w) {
		return
	}
	defer h.release()
	s := newSSE(w, h.opts.WriteTimeout)
	err = logrotate.Follow(r.Context(), path, from, chunkWriter{s})
	if err != nil {
		h.opts.Logger.Debug("dashboard log stream ended", "path", path, "err", err)
	}
}

// chunkWriter sends each write as one event of JSON-encoded text, so that no byte of a log
// can end an event or be taken for markup.
type chunkWriter struct{ s *sse }

func (c chunkWriter) Write(p []byte) (int, error) {
	b, _ := json.Marshal(string(p))
	if err := c.s.send("", "", string(b)); err != nil {
		return 0, err
	}
	return len(p), nil
}
