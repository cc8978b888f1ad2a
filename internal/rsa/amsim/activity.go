package amsim

import (
	"context"
	"sync"

	"github.com/rsatui/rsatui/internal/event"
)

// activity counts the commands being served, so tests can wait for the
// event they mean — "AM has received the request", "AM is done with every
// request, including the ones a client gave up on" — instead of a time.
type activity struct {
	mu       sync.Mutex
	changed  event.Changed
	inflight int
	arrived  int
}

func (a *activity) update(f func()) {
	a.mu.Lock()
	f()
	a.changed.Notify()
	a.mu.Unlock()
}

func (a *activity) begin() { a.update(func() { a.inflight++; a.arrived++ }) }
func (a *activity) end()   { a.update(func() { a.inflight-- }) }

// WaitIdle returns once no command is being served (or ctx ends): every
// request received so far has been answered, or dropped as a fault says.
func (s *Sim) WaitIdle(ctx context.Context) error {
	return s.activity.changed.Wait(ctx, &s.activity.mu, func() bool { return s.activity.inflight == 0 })
}

// WaitArrived returns once n commands in all have been received since the
// simulator started (or ctx ends).
func (s *Sim) WaitArrived(ctx context.Context, n int) error {
	return s.activity.changed.Wait(ctx, &s.activity.mu, func() bool { return s.activity.arrived >= n })
}

// Arrived is how many commands have been received so far.
func (s *Sim) Arrived() int {
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	return s.activity.arrived
}
