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
// (explain, ps). SIGINT (Ctrl-C) ends a `tail -f`, `maintail -f` or `fg` as it ends
// supervisorctl's, and the shell at its prompt; SIGTERM ends the run. It returns the exit
// status.
func runCtl(argv0 string, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	c := ctl.New(ctl.Options{
		Argv0:      argv0,
		Stdin:      os.Stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		Commands:   []ctl.Command{pyapp.ExplainCommand(), ctl.PsCommand(), ctl.DeployCommand()},
		Interrupts: interrupts,
	})
	return c.Run(ctx, args)
}
