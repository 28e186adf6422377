// Command embed is the library use case in one file: a Supervisor running one healthy and one
// crash-looping program, printing every event as it happens. It stops by itself after 10 s (or
// on Ctrl-C), stopping its children first.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	// The supervisor's own log, in supervisord's line format.
	logger := slog.New(supervise.NewLogHandler(os.Stderr, slog.LevelInfo))
	sv := supervise.New(supervise.Options{Logger: logger, Identifier: "embed"})

	none := supervise.Log{Path: supervise.LogNone}
	err := sv.Add(ctx, supervise.Group{Name: "demo", Programs: []supervise.Program{
		{Name: "healthy", Command: "/bin/sh", Args: []string{"-c", "while :; do sleep 1; done"},
			StopAsGroup: true, Stdout: none, Stderr: none},
		{Name: "crashy", CommandLine: "/bin/sh -c 'echo crashing >&2; exit 1'",
			Stdout: none, Stderr: none},
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	events, unsubscribe := sv.Subscribe(64)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for e := range events {
			if e.Kind == supervise.EventState {
				fmt.Printf("%s %-8s %-8s -> %-8s pid=%-6d tries=%d\n",
					e.Time.Format("15:04:05.000"), e.Name, e.From, e.To, e.Pid, e.Tries)
			}
		}
	}()

	if err := sv.Serve(ctx); err != nil { // returns once every child is gone
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	unsubscribe() // closes events: the printer drains what is left and ends
	<-printed
	infos, _ := sv.Status("all")
	for _, i := range infos {
		fmt.Printf("%-16s %-8s %s\n", i.Namespec(), i.State, i.Description())
	}
}
