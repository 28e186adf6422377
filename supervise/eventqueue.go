package supervise

import "sync"

// EventQueue is a subscription that never loses an event and never blocks the publisher:
// events wait in an unbounded queue until the subscriber takes them. It is for a consumer
// that must see every event and keeps up on average (supervise/eventlistener's Bus); a burst
// costs memory (about 200 bytes an event) until it is taken. Create it with
// Supervisor.SubscribeQueue or NewEventQueue.
type EventQueue struct {
	mu      sync.Mutex
	pending []Event
	closed  bool
	ready   chan struct{}
}

// NewEventQueue returns an empty queue that no Supervisor feeds (for a fake engine in tests:
// feed it with Push).
func NewEventQueue() *EventQueue { return &EventQueue{ready: make(chan struct{}, 1)} }

// Ready receives a value when events are waiting (after one or more Pushes); take them with
// Take. It is never closed.
func (q *EventQueue) Ready() <-chan struct{} { return q.ready }

// Take appends the waiting events to buf, oldest first, empties the queue, and returns buf.
func (q *EventQueue) Take(buf []Event) []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf, q.pending...)
	clear(q.pending)
	q.pending = q.pending[:0]
	if cap(q.pending) > 1024 {
		q.pending = nil // a burst's backing array is not kept
	}
	return buf
}

// Push adds an event, as the Supervisor does for each event it publishes. After the queue is
// cancelled it does nothing.
func (q *EventQueue) Push(e Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.pending = append(q.pending, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// SubscribeQueue returns a lossless subscription to the Supervisor's events (the same events
// as Subscribe, in the same order) and a function that ends it (more calls are no-ops).
func (s *Supervisor) SubscribeQueue() (*EventQueue, func()) {
	q := NewEventQueue()
	s.hub.mu.Lock()
	if s.hub.queues == nil {
		s.hub.queues = map[*EventQueue]struct{}{}
	}
	s.hub.queues[q] = struct{}{}
	s.hub.mu.Unlock()
	var once sync.Once
	return q, func() {
		once.Do(func() {
			s.hub.mu.Lock()
			delete(s.hub.queues, q)
			s.hub.mu.Unlock()
			q.mu.Lock()
			q.closed, q.pending = true, nil
			q.mu.Unlock()
		})
	}
}
