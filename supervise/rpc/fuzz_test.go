package rpc

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

// Any request body gets 200 (a value or a fault) or 400, never a panic or a hang; a 200 body
// always decodes.
func FuzzServeRPC(f *testing.F) {
	files, _ := filepath.Glob("testdata/wire/*.request.http")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.Index(raw, []byte("\r\n\r\n")); i > 0 && bytes.HasPrefix(raw, []byte("POST")) {
			f.Add(raw[i+4:])
		}
	}
	for _, call := range [][]any{
		{"supervisor.signalProcess", "workers:*", "NOPE"}, {"supervisor.readProcessLog", "web", int64(-5), int64(3)},
		{"supervisor.sendProcessStdin", "web", []byte{0xff}}, {"system.methodSignature", "supervisor.startProcess"},
		{"supervisor.stopAllProcesses", false}, {"supervisor.clearAllProcessLogs"}, {"system.multicall", []any{"x", int64(1)}},
	} {
		b, err := xmlrpc.AppendCall(nil, call[0].(string), call[1:]...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fk := newCaptureFake()
		h := NewServer(Options{Backend: fk, ConfigInfo: captureConfig(fk), Reloader: &fakeReloader{}}).Handler()
		req := httptest.NewRequest(http.MethodPost, "/RPC2", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if _, err := xmlrpc.DecodeResponse(rec.Body.Bytes()); err != nil {
				var fl *xmlrpc.Fault
				if !strings.Contains(rec.Body.String(), "<fault>") || !errors.As(err, &fl) {
					t.Fatalf("undecodable answer %q: %v", rec.Body.String(), err)
				}
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
