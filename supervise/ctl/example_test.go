package ctl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/ctl"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Run supervisorctl's `status` and an action of our own against a Supervisor served over
// XML-RPC on a unix socket.
func Example() {
	dir, _ := os.MkdirTemp("", "ctl-example")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "supervisor.sock")

	ctx, cancel := context.WithCancel(context.Background())
	sv := supervise.New(supervise.Options{})
	svDone := make(chan error, 1)
	go func() { svDone <- sv.Serve(ctx) }()
	_ = sv.Add(ctx, supervise.Group{Name: "web", Programs: []supervise.Program{{
		Name: "web", Command: "/bin/sleep", Args: []string{"1000"}, AutoStart: supervise.Off,
		Stdout: supervise.Log{Path: supervise.LogNone}, Stderr: supervise.Log{Path: supervise.LogNone},
	}}})
	srv := rpc.NewServer(rpc.Options{Backend: sv,
		Listeners: []rpc.Listener{{Network: "unix", Address: sock, Chmod: 0o700}}})
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx) }()

	// "count" is an action of our own: how many processes are in each state.
	count := ctl.Command{Name: "count", Help: []string{"count\tProcesses per state"},
		Run: func(s *ctl.Session, arg string) error {
			infos, err := s.Client().GetAllProcessInfo(s.Context())
			if err != nil {
				return err
			}
			n := map[string]int{}
			for _, info := range infos {
				n[info.StateName]++
			}
			s.Output(fmt.Sprint(n))
			return nil
		}}
	c := ctl.New(ctl.Options{Argv0: "ctl", Stdout: os.Stdout, Stderr: os.Stdout, Commands: []ctl.Command{count}})
	server := "unix://" + sock
	client, _ := rpc.Dial(server, "", "")
	defer client.Close()
	for i := 0; i < 100; i++ { // until the socket answers
		if _, err := client.GetVersion(ctx); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	rc := c.Run(ctx, []string{"-s", server, "status"})
	fmt.Println("exit status", rc)
	c.Run(ctx, []string{"-s", server, "count"})

	cancel()
	<-srvDone
	<-svDone
	// Output:
	// web                              STOPPED   Not started
	// exit status 3
	// map[STOPPED:1]
}

// Read a --fleet file: one [server:NAME] section per server, values expanded; a bad file
// gives every problem with its file and line.
func ExampleReadFleet() {
	dir, _ := os.MkdirTemp("", "ctl-fleet")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "fleet.ini")
	_ = os.WriteFile(file, []byte(`[server:web1]
serverurl = http://10.0.0.1:9001
username = ops
password = secret

[server:local]
serverurl = unix://%(here)s/supervisor.sock
`), 0o644)
	servers, err := ctl.ReadFleet(file)
	fmt.Println(err)
	for _, s := range servers {
		fmt.Printf("%s %s %q\n", s.Name, strings.Replace(s.URL, dir, "DIR", 1), s.Username)
	}

	_ = os.WriteFile(file, []byte("[server:web1]\nserverurl = ftp://x\n[web2]\n"), 0o644)
	_, err = ctl.ReadFleet(file)
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// Output:
	// <nil>
	// web1 http://10.0.0.1:9001 "ops"
	// local unix://DIR/supervisor.sock ""
	// DIR/fleet.ini:2: serverurl in [server:web1]: 'ftp://x' is not an http:// or unix:// URL
	// DIR/fleet.ini:3: section [web2] is not [server:NAME]
}
