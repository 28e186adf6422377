package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Serve a Supervisor's XML-RPC API on a unix socket (what supervisorctl's
// serverurl=unix:///... talks to) and call it with the Go client.
func Example() {
	dir, _ := os.MkdirTemp("", "rpc-example")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "supervisor.sock")

	ctx, cancel := context.WithCancel(context.Background())
	sv := supervise.New(supervise.Options{})
	svDone := make(chan error, 1)
	go func() { svDone <- sv.Serve(ctx) }()
	_ = sv.Add(ctx, supervise.Group{Name: "app", Programs: []supervise.Program{{
		Name: "web", Command: "/bin/sleep", Args: []string{"1000"}, AutoStart: supervise.Off,
		Stdout: supervise.Log{Path: supervise.LogNone}, Stderr: supervise.Log{Path: supervise.LogNone},
	}}})

	srv := rpc.NewServer(rpc.Options{Backend: sv,
		Listeners: []rpc.Listener{{Network: "unix", Address: sock, Chmod: 0o700}}})
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx) }()

	c, _ := rpc.Dial("unix://"+sock, "", "")
	defer c.Close()
	var v any
	var err error
	for i := 0; i < 100; i++ { // until the socket is up
		if v, err = c.Call(ctx, "supervisor.getAPIVersion"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("API", v)

	info, _ := c.Call(ctx, "supervisor.getProcessInfo", "app:web")
	m := info.(rpc.Struct).Map()
	fmt.Println(m["group"], m["name"], m["statename"], m["description"])

	_, err = c.Call(ctx, "supervisor.startProcess", "nosuch")
	var f *rpc.Fault
	if errors.As(err, &f) {
		fmt.Println(f.Code, f.String)
	}

	cancel()
	<-srvDone
	<-svDone
	// Output:
	// API 3.0
	// app web STOPPED Not started
	// 10 BAD_NAME: nosuch
}
