package amsim

import (
	"context"
	"sync"
)

// activity counts the commands being served, so tests can wait for the
// event they mean — "AM has received the request", "AM is done with every
// request, including the ones a client gave up on" — instead of a time.
type activity struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at every change
	inflight int
	arrived  int
}

func (a *activity) update(f func()) {
	a.mu.Lock()
	f()
	if a.changed != nil {
		close(a.changed)
	}
	a.changed = make(chan struct{})
	a.mu.Unlock()
}

func (a *activity) begin() { a.update(func() { a.inflight++; a.arrived++ }) }
func (a *activity) end()   { a.update(func() { a.inflight-- }) }

// wait blocks until cond holds (checked under the lock) or ctx ends.
func (a *activity) wait(ctx context.Context, cond func() bool) error {
	for {
		a.mu.Lock()
		if cond() {
			a.mu.Unlock()
			return nil
		}
		if a.changed == nil {
			a.changed = make(chan struct{})
		}
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitIdle returns once no command is being served (or ctx ends): every
// request received so far has been answered, or dropped as a fault says.
func (s *Sim) WaitIdle(ctx context.Context) error {
	return s.activity.wait(ctx, func() bool { return s.activity.inflight == 0 })
}

// WaitArrived returns once n commands in all have been received since the
// simulator started (or ctx ends).
func (s *Sim) WaitArrived(ctx context.Context, n int) error {
	return s.activity.wait(ctx, func() bool { return s.activity.arrived >= n })
}

// Arrived is how many commands have been received so far.
func (s *Sim) Arrived() int {
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	return s.activity.arrived
}
