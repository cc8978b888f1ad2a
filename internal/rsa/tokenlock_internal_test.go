package rsa

import (
	"context"
	"runtime"
	"testing"
)

// A change that had to wait for another to the same token knows it (its
// review may be stale); one to another token does not wait; a cancelled
// wait gives up its place; nothing is left behind.
func TestTokenLocks(t *testing.T) {
	l := newTokenLocks()
	ctx := context.Background()
	rel, waited, err := l.acquire(ctx, "1")
	if err != nil || waited {
		t.Fatalf("first: %v %v", waited, err)
	}
	if r2, w2, err := l.acquire(ctx, "2"); err != nil || w2 {
		t.Fatalf("another token waited: %v", err)
	} else {
		r2()
	}
	got := make(chan bool)
	go func() {
		r, w, err := l.acquire(ctx, "1")
		if err != nil {
			t.Error(err)
		}
		r()
		got <- w
	}()
	for { // until the second change is blocked behind the first
		l.mu.Lock()
		n := l.locks["1"].waiting
		l.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := l.acquire(cctx, "1"); err == nil {
		t.Fatal("a cancelled wait took the token")
	}
	rel()
	if !<-got {
		t.Fatal("the second change did not know it waited")
	}
	if len(l.locks) != 0 {
		t.Fatalf("%d locks left", len(l.locks))
	}
}
