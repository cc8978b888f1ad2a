package am

import (
	"context"
	"sync"
)

// Reads that do not depend on each other run at the same time (a person's
// tokens, a token and its emergency access, the read-back after a write):
// what a person waits for is round trips to AM, and a far AM makes each one
// cost 50–100 ms. Writes stay strictly ordered: an operation sends them one
// after another, as before.
//
// Every request waits for one of the Client's Lanes (16, as many as its
// keep-alive connections to AM). Each session (an Ops and what For derives
// from it: one console, one SSH session) queues its own requests, and a
// lane that comes free goes to the sessions in turn: a session alone may
// use every lane (a person's ten tokens are read in one wave), and when
// fifty share the server, a lane goes to each waiting session in turn, so
// no session's burst makes another wait behind all of it.

// Lanes is how many requests a Client has in flight to AM at most.
const Lanes = 16

// lanes hands out the Client's lanes, round-robin between the sessions
// waiting for one.
type lanes struct {
	mu      sync.Mutex
	free    int
	waiting []*Queue // sessions with a request waiting, in turn order
}

// Queue is one session's requests waiting for a lane, first come, first
// served.
type Queue struct {
	waiters []chan struct{}
	queued  bool // in lanes.waiting
}

func newLanes(n int) *lanes { return &lanes{free: n} }

// acquire waits for a lane for a request of session q.
func (l *lanes) acquire(ctx context.Context, q *Queue) error {
	l.mu.Lock()
	if l.free > 0 && len(l.waiting) == 0 {
		l.free--
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	q.waiters = append(q.waiters, ch)
	if !q.queued {
		q.queued = true
		l.waiting = append(l.waiting, q)
	}
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	for i, w := range q.waiters {
		if w == ch { // still waiting: leave the queue
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			if len(q.waiters) == 0 {
				l.unqueue(q)
			}
			l.mu.Unlock()
			return ctx.Err()
		}
	}
	l.mu.Unlock()
	l.release() // granted as ctx ended: pass it on
	return ctx.Err()
}

// release gives a lane back: to the first waiter of the session whose turn
// it is (which then goes to the back of the turn order), or to the pool.
func (l *lanes) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiting) == 0 {
		l.free++
		return
	}
	q := l.waiting[0]
	l.waiting = l.waiting[1:]
	ch := q.waiters[0]
	q.waiters = q.waiters[1:]
	if len(q.waiters) > 0 {
		l.waiting = append(l.waiting, q)
	} else {
		q.queued = false
	}
	close(ch)
}

func (l *lanes) unqueue(q *Queue) {
	for i, w := range l.waiting {
		if w == q {
			l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
			break
		}
	}
	q.queued = false
}

type queueKey struct{}

// WithQueue makes every request sent under ctx queue as session q's,
// unless ctx already names a session (an operation calling another).
func WithQueue(ctx context.Context, q *Queue) context.Context {
	if q == nil || ctx.Value(queueKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, queueKey{}, q)
}

// enter waits for a lane for a request sent under ctx, and returns its
// release. Requests not sent for a session queue as the Client's own.
func (c *Client) enter(ctx context.Context) (release func(), err error) {
	q, _ := ctx.Value(queueKey{}).(*Queue)
	if q == nil {
		q = c.own
	}
	if err := c.lanes.acquire(ctx, q); err != nil {
		return nil, err
	}
	return c.lanes.release, nil
}
