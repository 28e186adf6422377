package eventlistener

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// oneListener is an Engine with one RUNNING listener, l (pid 10), in group p, whose stdin
// discards what it is sent.
type oneListener struct{ events *supervise.EventQueue }

func (o oneListener) SubscribeQueue() (*supervise.EventQueue, func()) { return o.events, func() {} }
func (o oneListener) Status(string) ([]supervise.ProcessInfo, error) {
	return []supervise.ProcessInfo{{Name: "l", Group: "p", State: supervise.Running, Pid: 10}}, nil
}
func (o oneListener) ProtocolStdin(string, string, int) (io.Writer, error) { return io.Discard, nil }

// countOverflows counts the pool's "event buffer overflowed" log lines.
type countOverflows struct{ n *int }

func (c countOverflows) Enabled(context.Context, slog.Level) bool { return true }
func (c countOverflows) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "event buffer overflowed") {
		*c.n++
	}
	return nil
}
func (c countOverflows) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c countOverflows) WithGroup(string) slog.Handler      { return c }

// FuzzListenerProtocol feeds a listener's stdout, in chunks of any size, to the protocol
// reader (READY, RESULT n, the result body) while events arrive: whatever a listener writes,
// the reader does not panic, its state stays one of the four, and every event is accounted for
// (processed, buffered, in flight at the listener, or dropped from a full buffer and logged).
func FuzzListenerProtocol(f *testing.F) {
	f.Add([]byte("READY\nRESULT 2\nOKREADY\nRESULT 4\nFAILREADY\n"), uint8(3))
	f.Add([]byte("READY\nRESULT 2\nOK"), uint8(1))
	f.Add([]byte("READY\nRESULT x\nOK"), uint8(200))
	f.Add([]byte("READY\nRESULT -1_0\nOK"), uint8(5))
	f.Add([]byte("READY\nRESULT +1_000\n"), uint8(7))
	f.Add([]byte("garbage\n"), uint8(2))
	f.Add([]byte("READY\nREADY\n"), uint8(0))
	f.Fuzz(func(t *testing.T, out []byte, chunk uint8) {
		overflows, processed := 0, 0
		b := New(Options{Engine: oneListener{supervise.NewEventQueue()}, Logger: slog.New(countOverflows{&overflows})})
		p := newPool(b, PoolConfig{Name: "p", Events: []string{"EVENT"}, BufferSize: 3,
			ResultHandler: func(e *Event, result []byte) error {
				switch err := DefaultResultHandler(e, result); {
				case err == nil:
					processed++
					return nil
				case len(result) > 0 && result[0] == 'E':
					return errors.New("the listener's error") // UNKNOWN, the event re-sent
				default:
					return err
				}
			}})
		b.pools = append(b.pools, p)
		accepted := 0
		publish := func() {
			b.publish(newEvent("PROCESS_GROUP_ADDED", "groupname:p\n"))
			accepted++
		}
		publish()
		size := int(chunk%16) + 1
		for i := 0; len(out) > 0; i++ {
			n := min(size, len(out))
			p.output("l", 10, out[:n])
			out = out[n:]
			if i%2 == 0 {
				publish()
			}
			p.dispatch()

			l := p.listeners["l"]
			if l.state != Acknowledged && l.state != Ready && l.state != Busy && l.state != Unknown {
				t.Fatalf("listener state %d", l.state)
			}
			if l.state == Busy && l.event == nil {
				t.Fatal("BUSY without an event")
			}
			if len(p.buffer) > p.cfg.BufferSize {
				t.Fatalf("%d events buffered, at most %d", len(p.buffer), p.cfg.BufferSize)
			}
			inFlight := 0
			if l.event != nil {
				inFlight = 1
			}
			if got := processed + len(p.buffer) + inFlight + overflows; got != accepted {
				t.Fatalf("%d events published; processed %d, buffered %d, in flight %d, dropped %d",
					accepted, processed, len(p.buffer), inFlight, overflows)
			}
		}
		b.wg.Wait() // the stdin writers
	})
}
