package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise/ctl"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
)

// runCtl is `supervisord-lite ctl`: supervise/ctl with this program's extra actions
// (explain, ps). SIGINT and SIGTERM end a `tail -f`, `maintail -f` or `fg` as Ctrl-C ends
// supervisorctl's. It returns the exit status.
func runCtl(argv0 string, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := ctl.New(ctl.Options{
		Argv0:    argv0,
		Stdin:    os.Stdin,
		Stdout:   stdout,
		Stderr:   stderr,
		Commands: []ctl.Command{pyapp.ExplainCommand(), ctl.PsCommand()},
	})
	return c.Run(ctx, args)
}
