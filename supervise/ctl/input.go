package ctl

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
)

// errInterrupted is a line read cut short by the user's Ctrl-C (supervisorctl's
// KeyboardInterrupt).
var errInterrupted = errors.New("interrupted")

// input is the run's standard input: one goroutine reads it in chunks, so that the shell's
// prompt, `fg` and the line editor share what was typed and a read can be abandoned when the
// user interrupts. The goroutine ends with the input (EOF or an error); a read of a terminal
// may outlive the run, never the process.
type input struct {
	r       io.Reader
	once    sync.Once
	chunks  chan []byte
	pending []byte // read but not consumed
	err     error  // the reader's final error, once chunks is closed and pending empty
}

func newInput(r io.Reader) *input { return &input{r: r} }

func (in *input) start() {
	in.once.Do(func() {
		in.chunks = make(chan []byte)
		go func() {
			defer close(in.chunks)
			for {
				buf := make([]byte, 4096)
				n, err := in.r.Read(buf)
				if n > 0 {
					in.chunks <- buf[:n]
				}
				if err != nil {
					return
				}
			}
		}()
	})
}

// more waits for more input: false at the end of the input; errInterrupted when interrupt
// fires, ctx.Err() when ctx ends.
func (in *input) more(ctx context.Context, interrupt <-chan os.Signal) (bool, error) {
	in.start()
	select {
	case b, ok := <-in.chunks:
		if !ok {
			return false, nil
		}
		in.pending = append(in.pending, b...)
		return true, nil
	case <-interrupt:
		return false, errInterrupted
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// readLine returns the next line without its newline; io.EOF at the end of the input (a
// last line without a newline is returned first).
func (in *input) readLine(ctx context.Context, interrupt <-chan os.Signal) (string, error) {
	for {
		if i := strings.IndexByte(string(in.pending), '\n'); i >= 0 {
			line := string(in.pending[:i])
			in.pending = in.pending[i+1:]
			return line, nil
		}
		ok, err := in.more(ctx, interrupt)
		if err != nil {
			return "", err
		}
		if !ok {
			if len(in.pending) > 0 {
				line := string(in.pending)
				in.pending = nil
				return line, nil
			}
			return "", io.EOF
		}
	}
}
