package supervise_test

import (
	"context"
	"fmt"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// A program that exits 0 at once, with crash protection off and no restart: its state events.
func Example() {
	sv := supervise.New(supervise.Options{})
	events, cancelEvents := sv.Subscribe(16)
	defer cancelEvents()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sv.Serve(ctx) }()

	err := sv.Add(ctx, supervise.Group{Name: "once", Programs: []supervise.Program{{
		Name: "once", Command: "/bin/true", StartSecs: -1, AutoRestart: supervise.RestartNever,
		Stdout: supervise.Log{Path: supervise.LogNone}, Stderr: supervise.Log{Path: supervise.LogNone},
	}}})
	if err != nil {
		fmt.Println(err)
	}
	for e := range events {
		if e.Kind != supervise.EventState {
			continue
		}
		fmt.Println(e.From, "->", e.To)
		if e.To == supervise.Exited {
			break
		}
	}
	cancel()
	fmt.Println(<-done)
	// Output:
	// STOPPED -> STARTING
	// STARTING -> RUNNING
	// RUNNING -> EXITED
	// <nil>
}

// A FATAL program with Program.FatalRetry shows when its next round of attempts comes.
func ExampleProcessInfo_Description_fatalRetry() {
	now := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	info := supervise.ProcessInfo{Name: "web", Group: "web", State: supervise.Fatal, Now: now,
		SpawnErr: "Exited too quickly (process log may have details)", RetryAt: now.Add(299500 * time.Millisecond)}
	fmt.Println(info.Description())
	// Output: Exited too quickly (process log may have details); retry in 4m59s
}

// A FastCGI pool as supervisord's [fcgi-program:php] runs it: two php-cgi processes sharing
// one unix socket, their fd 0.
func ExampleSocket() {
	g := supervise.Group{
		Name:   "php",
		Socket: &supervise.Socket{Network: "unix", Address: "/run/php.sock", Mode: 0o660},
	}
	for _, name := range []string{"php_00", "php_01"} {
		g.Programs = append(g.Programs, supervise.Program{Name: name, Command: "/usr/bin/php-cgi",
			Env: []string{"PHP_FCGI_CHILDREN=0"}})
	}
	fmt.Println(g.Socket.URL(), g.Validate())
	// Output: unix:///run/php.sock <nil>
}

// The sockets= values of a program: held by the Supervisor and passed as LISTEN_FDS.
func ExampleParseSocketURL() {
	for _, s := range []string{"tcp://127.0.0.1:8000", "tcp://[::1]:8000", "unix:///run/web.sock", "127.0.0.1:8000"} {
		sock, err := supervise.ParseSocketURL(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(sock.Network, sock.Address)
	}
	// Output:
	// tcp 127.0.0.1:8000
	// tcp [::1]:8000
	// unix /run/web.sock
	// socket "127.0.0.1:8000": not tcp://HOST:PORT or unix:///PATH
}
