// Package event lets a test wait for a condition on a simulator's state —
// "the request arrived", "the cursor was abandoned" — instead of sleeping.
package event

import (
	"context"
	"sync"
)

// Changed tells waiters that the state a mutex guards has changed. Its
// methods are called with that mutex: Notify while holding it, Wait with it
// to take.
type Changed struct {
	ch chan struct{} // closed and replaced at every change
}

// Notify wakes every waiter (mu held).
func (c *Changed) Notify() {
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// Wait returns once cond holds (checked with mu held) or ctx ends.
func (c *Changed) Wait(ctx context.Context, mu *sync.Mutex, cond func() bool) error {
	for {
		mu.Lock()
		if cond() {
			mu.Unlock()
			return nil
		}
		if c.ch == nil {
			c.ch = make(chan struct{})
		}
		ch := c.ch
		mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
