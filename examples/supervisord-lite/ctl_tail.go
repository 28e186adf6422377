package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

const (
	errConnRefused = syscall.ECONNREFUSED
	errNoEnt       = syscall.ENOENT
	stateRunning   = 20 // supervisord's RUNNING state code
)

func errnoOf(err error) (syscall.Errno, bool) {
	var errno syscall.Errno
	ok := errors.As(err, &errno)
	return errno, ok
}

// tailf is supervisorctl's _tailf: the banner, then the stream of path until the server
// closes it or the user interrupts (SIGINT or SIGTERM), which prints an empty line.
func (c *controller) tailf(path string) error {
	c.output("==> Press Ctrl-C to exit <==")
	err := c.client.Tail(c.ctx, path, c.out)
	if c.ctx.Err() != nil {
		c.output("")
		return nil
	}
	c.tailError(path, err)
	return nil
}

// tailError prints a failed stream as supervisorctl's HTTP client does: on stderr, the URL
// and the reason; the exit status stays.
func (c *controller) tailError(path string, err error) {
	if err == nil {
		return
	}
	u := c.settings.serverURL + path
	var he *rpc.HTTPError
	if errors.As(err, &he) {
		fmt.Fprintf(c.errOut, "%s Cannot read, status code %d\n", u, he.StatusCode)
		return
	}
	class, text, _ := strings.Cut(pyException(err), ", ")
	fmt.Fprintf(c.errOut, "%s Cannot connect, error: %s (%s)\n", u, class, text)
}

func (c *controller) doTail(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	switch {
	case len(args) < 1:
		c.output("Error: too few arguments")
		c.exit = exitGeneric
		c.showHelp("tail")
		return nil
	case len(args) > 3:
		c.output("Error: too many arguments")
		c.exit = exitGeneric
		c.showHelp("tail")
		return nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 1:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stderr" && channel != "stdout" {
			c.output("Error: bad channel " + pyRepr(channel))
			c.exit = exitGeneric
			return nil
		}
	default:
		c.output("Error: tail requires process name")
		c.exit = exitGeneric
		return nil
	}
	size := int64(ctlDefaultTailSize)
	follow := false
	if modifier != "" {
		what := modifier[1:]
		if what == "f" {
			follow = true
		} else {
			n, ok := pyInt(what)
			if !ok {
				c.output("Error: bad argument " + modifier)
				c.exit = exitGeneric
				return nil
			}
			size = n
		}
	}
	if follow {
		return c.tailf("/logtail/" + name + "/" + channel)
	}
	method := "supervisor.readProcessStdoutLog"
	if channel == "stderr" {
		method = "supervisor.readProcessStderrLog"
	}
	v, err := c.call(method, name, -size, 0)
	if err != nil {
		f, ok := faultOf(err)
		if !ok {
			return err
		}
		c.exit = exitGeneric
		switch f.Code {
		case rpc.FaultNoFile:
			c.output(name + ": ERROR (no log file)")
		case rpc.FaultFailed:
			c.output(name + ": ERROR (unknown error reading log)")
		case rpc.FaultBadName:
			c.output(name + ": ERROR (no such process name)")
		default:
			return err
		}
		return nil
	}
	c.output(pyStr(v))
	return nil
}

// pyInt is Python's int() of a str: surrounding whitespace, a sign, digits with single
// underscores between them.
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "__") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "_") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	return n, err == nil
}

func (c *controller) doMaintail(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	size := int64(ctlDefaultTailSize)
	switch {
	case len(args) > 1:
		c.output("Error: too many arguments")
		c.exit = exitGeneric
		c.showHelp("maintail")
		return nil
	case len(args) == 1:
		if !strings.HasPrefix(args[0], "-") {
			c.output("Error: bad argument " + args[0])
			c.exit = exitGeneric
			return nil
		}
		what := args[0][1:]
		if what == "f" {
			return c.tailf("/mainlogtail")
		}
		n, ok := pyInt(what)
		if !ok {
			c.output("Error: bad argument " + args[0])
			c.exit = exitGeneric
			return nil
		}
		size = n
	}
	v, err := c.call("supervisor.readLog", -size, 0)
	if err != nil {
		f, ok := faultOf(err)
		if !ok {
			return err
		}
		c.exit = exitGeneric
		switch f.Code {
		case rpc.FaultNoFile:
			c.output("supervisord: ERROR (no log file)")
		case rpc.FaultFailed:
			c.output("supervisord: ERROR (unknown error reading log)")
		default:
			return err
		}
		return nil
	}
	c.output(pyStr(v))
	return nil
}

// lockedWriter serialises the writes of fg's two streams and its own messages.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var _ io.Writer = (*lockedWriter)(nil)

// doFg is supervisorctl's fg: both log streams of a RUNNING process on stdout, each line of
// standard input sent to its stdin, until stdin ends, the process stops, or the user
// interrupts.
func (c *controller) doFg(arg string) error {
	ok, err := c.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		c.output("ERROR: no process name supplied")
		c.exit = exitGeneric
		c.showHelp("fg")
		return nil
	case len(names) > 1:
		c.output("ERROR: too many process names supplied")
		c.exit = exitGeneric
		return nil
	}
	name := names[0]
	v, err := c.call("supervisor.getProcessInfo", name)
	if err != nil {
		f, ok := faultOf(err)
		if !ok {
			return err
		}
		if f.Code == rpc.FaultBadName {
			c.output("ERROR: bad process name supplied")
			c.exit = exitGeneric
		} else {
			c.output(fmt.Sprintf("ERROR: <Fault %d: %s>", f.Code, pyRepr(f.String)))
		}
		return nil
	}
	if (record{v}).int("state") != stateRunning {
		c.output("ERROR: process not running")
		c.exit = exitGeneric
		return nil
	}
	c.output("==> Press Ctrl-C to exit <==")

	ctx, cancel := context.WithCancel(c.ctx)
	lw := &lockedWriter{w: c.out}
	prevOut := c.out
	c.out = lw
	var wg sync.WaitGroup
	for _, ch := range []string{"stdout", "stderr"} {
		path := "/logtail/" + name + "/" + ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.tailError(path, c.client.Tail(ctx, path, lw))
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
		c.out = prevOut
	}()

	lines := make(chan string)
	go func() { // ends with stdin; a terminal read may outlive the command, never the process
		defer close(lines)
		r := bufio.NewReader(c.in)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			select {
			case lines <- strings.TrimRight(l, "\r\n"):
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-c.ctx.Done():
			c.output("Exiting foreground")
			return nil
		case l, ok := <-lines:
			if !ok {
				c.output("Exiting foreground")
				return nil
			}
			if _, err := c.call("supervisor.sendProcessStdin", name, l+"\n"); err != nil {
				f, ok := faultOf(err)
				if !ok {
					return err
				}
				if f.Code == rpc.FaultNotRunning {
					c.output("Process got killed")
				} else {
					c.output(fmt.Sprintf("ERROR: <Fault %d: %s>", f.Code, pyRepr(f.String)))
				}
				c.output("Exiting foreground")
				return nil
			}
			v, err := c.call("supervisor.getProcessInfo", name)
			if err != nil {
				return err
			}
			if (record{v}).int("state") != stateRunning {
				c.output("Process got killed")
				c.output("Exiting foreground")
				return nil
			}
		}
	}
}
