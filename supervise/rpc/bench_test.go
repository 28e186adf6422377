package rpc

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// getAllProcessInfo with 500 processes, end to end: the client encodes the call, the server
// (over unix socket) asks the engine, encodes 500 structs, and the client decodes them.
func BenchmarkGetAllProcessInfo500(b *testing.B) {
	none := supervise.Log{Path: supervise.LogNone}
	var groups []supervise.Group
	for g := 0; g < 50; g++ {
		grp := supervise.Group{Name: fmt.Sprintf("g%02d", g)}
		for p := 0; p < 10; p++ {
			grp.Programs = append(grp.Programs, supervise.Program{Name: fmt.Sprintf("p%d", p), Command: "/bin/true",
				AutoStart: supervise.Off, Stdout: none, Stderr: none})
		}
		groups = append(groups, grp)
	}
	sv := runEngine(b, groups...)
	benchCall(b, Options{Backend: sv}, 500)
}

// The same with 500 RUNNING processes held by the fake backend (descriptions with uptimes).
func BenchmarkGetAllProcessInfo500Running(b *testing.B) {
	f := &fake{now: time.Now(), stdin: map[string]string{}}
	for i := 0; i < 500; i++ {
		f.procs = append(f.procs, &fakeProc{info: supervise.ProcessInfo{Name: fmt.Sprintf("web_%03d", i), Group: "web",
			State: supervise.Running, Start: f.now.Add(-time.Hour), Pid: 10000 + i,
			StdoutLogfile: fmt.Sprintf("/var/log/app/web_%03d-stdout.log", i), StderrLogfile: fmt.Sprintf("/var/log/app/web_%03d-stderr.log", i)}})
	}
	benchCall(b, Options{Backend: f}, 500)
}

func benchCall(b *testing.B, opts Options, n int) {
	sock := serve(b, opts)
	c, err := Dial("unix://"+sock, "", "")
	require.NoError(b, err)
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
		if err != nil {
			b.Fatal(err)
		}
		if len(v.([]any)) != n {
			b.Fatalf("%d processes", len(v.([]any)))
		}
	}
}

// The server's share alone: decode the call, ask the backend, encode 500 RUNNING processes.
func BenchmarkServeGetAllProcessInfo500Running(b *testing.B) {
	f := &fake{now: time.Now(), stdin: map[string]string{}}
	for i := 0; i < 500; i++ {
		f.procs = append(f.procs, &fakeProc{info: supervise.ProcessInfo{Name: fmt.Sprintf("web_%03d", i), Group: "web",
			State: supervise.Running, Start: f.now.Add(-time.Hour), Pid: 10000 + i}})
	}
	h := NewServer(Options{Backend: f}).Handler()
	body := []byte("<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getAllProcessInfo</methodName>\n<params>\n</params>\n</methodCall>\n")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/RPC2", bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
