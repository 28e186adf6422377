package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Serve a configuration written to a temporary directory, ask it over its unix socket what it
// runs, and stop it.
func Example() {
	dir, err := os.MkdirTemp("", "daemon-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "supervisor.sock")
	config := filepath.Join(dir, "supervisord.conf")
	os.WriteFile(config, []byte(`
[unix_http_server]
file = `+sock+`

[supervisord]
logfile = `+filepath.Join(dir, "supervisord.log")+`
pidfile = `+filepath.Join(dir, "supervisord.pid")+`
childlogdir = `+dir+`

[program:sleeper]
command = /bin/sleep 1000
startsecs = 0
`), 0o644)

	d := daemon.New(daemon.Options{ConfigFile: config, Signals: make(chan os.Signal)})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()

	// Ask the daemon, as supervisorctl would, until sleeper runs.
	c, err := rpc.Dial("unix://"+sock, "", "")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for i := 0; i < 300; i++ {
		v, err := c.Call(ctx, "supervisor.getProcessInfo", "sleeper")
		if err == nil && v.(rpc.Struct).Map()["statename"] == "RUNNING" {
			fmt.Println("sleeper RUNNING; daemon", d.State())
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	stop() // as SIGTERM: every program is stopped, then Serve returns
	fmt.Println("Serve returned", <-done, "; daemon", d.State())
	// Output:
	// sleeper RUNNING; daemon RUNNING
	// Serve returned <nil> ; daemon SHUTDOWN
}
