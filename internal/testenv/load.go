package testenv

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// Load is a number of clients sending GET requests to one URL in a loop until End, each
// request on a new connection when the client keeps none alive, at most MaxPerClient each:
// the load under which a restart is measured (requests failed while a server is replaced).
type Load struct {
	mu     sync.Mutex
	served int
	failed []error
	stop   chan struct{}
	wg     sync.WaitGroup
}

// MaxPerClient bounds the requests of one client of a Load.
const MaxPerClient = 5000

// StartLoad starts clients goroutines sending GETs to url with client; a request fails on a
// transport error or a status other than 200.
func StartLoad(url string, client *http.Client, clients int) *Load {
	l := &Load{stop: make(chan struct{})}
	for i := 0; i < clients; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; n < MaxPerClient; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := client.Get(url)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				l.mu.Lock()
				if err != nil {
					l.failed = append(l.failed, err)
				} else {
					l.served++
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// Served is how many requests were answered with 200 so far.
func (l *Load) Served() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.served
}

// WaitServed waits (WaitFor) until n more requests were served than when it was called.
func (l *Load) WaitServed(t testing.TB, n int) {
	t.Helper()
	from := l.Served()
	WaitFor(t, fmt.Sprintf("%d more requests served", n), func() bool { return l.Served() >= from+n })
}

// End stops the clients, waits for them, and returns how many requests were served and the
// errors of those that failed.
func (l *Load) End() (served int, failed []error) {
	close(l.stop)
	l.wg.Wait()
	return l.served, l.failed
}
