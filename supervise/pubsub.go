package supervise

import "sync"

// hub fans events out to subscribers without ever blocking the publisher: a full subscriber
// channel drops the event and the subscriber's next delivered event carries the count.
// The mutex guards only the subscriber set and the drop counters.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	queues map[*EventQueue]struct{} // lossless subscriptions (eventqueue.go)
}

type subscriber struct {
	ch      chan Event
	dropped int
}

func (h *hub) subscribe(buffer int) (<-chan Event, func()) {
	if buffer < 0 {
		buffer = 0
	}
	s := &subscriber{ch: make(chan Event, buffer)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			close(s.ch)
			h.mu.Unlock()
		})
	}
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		e.Dropped = s.dropped
		select {
		case s.ch <- e:
			s.dropped = 0
		default:
			s.dropped++
		}
	}
	e.Dropped = 0
	for q := range h.queues {
		q.Push(e)
	}
}

// Subscribe returns a channel of events with room for buffer of them, and a cancel function
// that ends the subscription and closes the channel (call it once done; more calls are no-ops).
// Publishing never waits for a subscriber: when the channel is full the event is dropped, and
// the next event delivered says in Dropped how many were lost. The Supervisor does not need to
// be serving to subscribe.
func (s *Supervisor) Subscribe(buffer int) (events <-chan Event, cancel func()) {
	return s.hub.subscribe(buffer)
}
