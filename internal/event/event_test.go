package event

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestWaitWakesOnNotify(t *testing.T) {
	var mu sync.Mutex
	var c Changed
	n := 0
	done := make(chan error)
	go func() { done <- c.Wait(context.Background(), &mu, func() bool { return n >= 3 }) }()
	for range 3 {
		mu.Lock()
		n++
		c.Notify()
		mu.Unlock()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx, &mu, func() bool { return n > 3 }); !errors.Is(err, context.Canceled) {
		t.Fatalf("a wait on a condition that never holds: %v", err)
	}
}
