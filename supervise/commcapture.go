package supervise

import (
	"bytes"
	"log/slog"
	"sync"
)

// The tokens that start and end supervisord's capture mode (Log.CaptureMaxBytes).
var (
	commBegin = []byte("<!--XSUPERVISOR:BEGIN-->")
	commEnd   = []byte("<!--XSUPERVISOR:END-->")
)

// commCapture is supervisord's capture mode of one stream (POutputDispatcher.record_output):
// output between the BEGIN and END tokens goes to a bounded capture buffer instead of the log
// file and is published as one EventComm at END. Like supervisord, it holds back output until
// it is longer than the token it looks for, and a chunk ending in a token's prefix.
type commCapture struct {
	maxBytes int

	mu        sync.Mutex
	buf       []byte // supervisord's output_buffer
	capturing bool
	captured  []byte // supervisord's BoundIO capture log
}

// record takes a chunk of the stream.
func (cc *commCapture) record(c *capture, p []byte, pid int) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.buf = append(cc.buf, p...)
	for {
		token := commBegin
		if cc.capturing {
			token = commEnd
		}
		if len(cc.buf) <= len(token) {
			return
		}
		data := cc.buf
		cc.buf = nil
		before, after, found := bytes.Cut(data, token)
		if !found {
			if k := prefixAtEnd(data, token); k > 0 {
				cc.buf = append([]byte(nil), data[len(data)-k:]...)
				data = data[:len(data)-k]
			}
			cc.log(c, data, pid)
			return
		}
		cc.log(c, before, pid)
		cc.toggle(c, pid)
		cc.buf = append([]byte(nil), after...)
		if len(after) == 0 {
			return
		}
	}
}

// log is supervisord's _log: the log file (or, capturing, the capture buffer), the main log
// at DEBG and the log Event.
func (cc *commCapture) log(c *capture, data []byte, pid int) {
	data = c.strip(data)
	if len(data) == 0 {
		return
	}
	if cc.capturing {
		if len(cc.captured)+len(data) > cc.maxBytes { // BoundIO.write, as it is
			cc.captured = cc.captured[min(len(data), len(cc.captured)):]
		}
		cc.captured = append(cc.captured, data...)
		c.logChunk(data, pid, false)
		return
	}
	c.logChunk(data, pid, true)
}

// toggle is supervisord's toggle_capturemode: at END the captured output is published.
func (cc *commCapture) toggle(c *capture, pid int) {
	cc.capturing = !cc.capturing
	if cc.capturing {
		return
	}
	data := cc.captured
	cc.captured = nil
	c.sv.hub.publish(Event{Kind: EventComm, Time: c.sv.clock.Now(), Group: c.group, Name: c.name,
		Channel: c.channel, Data: data, Pid: pid})
	c.sv.log(slog.LevelDebug, "'%s' %s emitted a comm event", c.name, c.channel)
}

// prefixAtEnd is the length of the longest proper prefix of token that data ends with.
func prefixAtEnd(data, token []byte) int {
	for l := len(token) - 1; l > 0; l-- {
		if bytes.HasSuffix(data, token[:l]) {
			return l
		}
	}
	return 0
}
