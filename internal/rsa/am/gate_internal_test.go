package am

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// queuedWaiters is how many requests wait for a lane (under the lock).
func (l *lanes) queuedWaiters() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, q := range l.waiting {
		n += len(q.waiters)
	}
	return n
}

// waitQueued yields until n requests wait: the event, not a time.
func waitQueued(t *testing.T, l *lanes, n int) {
	t.Helper()
	for l.queuedWaiters() != n {
		runtime.Gosched()
	}
}

func TestLanesBoundAndTurns(t *testing.T) {
	l := newLanes(1)
	ctx := context.Background()
	a, b := &Queue{}, &Queue{}
	if err := l.acquire(ctx, a); err != nil { // the only lane
		t.Fatal(err)
	}
	got := make(chan string, 4)
	wait := func(q *Queue, name string, queued int) {
		go func() {
			if err := l.acquire(ctx, q); err != nil {
				t.Error(err)
			}
			got <- name
		}()
		waitQueued(t, l, queued)
	}
	// session a asks for three more, then b for one: b must not wait
	// behind all of a's
	wait(a, "a1", 1)
	wait(a, "a2", 2)
	wait(a, "a3", 3)
	wait(b, "b1", 4)
	select {
	case name := <-got:
		t.Fatalf("%s got a lane while the only one was held", name)
	default:
	}
	var order []string
	for range 4 {
		l.release()
		order = append(order, <-got)
	}
	want := []string{"a1", "b1", "a2", "a3"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("lanes went to %v, want %v (a's first, then b's turn, then a's)", order, want)
		}
	}
	l.release()
	if l.free != 1 || len(l.waiting) != 0 {
		t.Fatalf("after every release: free %d, waiting %d", l.free, len(l.waiting))
	}
}

func TestLanesCancelWhileWaiting(t *testing.T) {
	l := newLanes(1)
	q := &Queue{}
	if err := l.acquire(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.acquire(ctx, q) }()
	waitQueued(t, l, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if n := l.queuedWaiters(); n != 0 || q.queued {
		t.Fatalf("a cancelled request still queued (%d, %v)", n, q.queued)
	}
	l.release() // the held lane comes back to the pool, not to the cancelled request
	if l.free != 1 {
		t.Fatalf("free lanes %d, want 1", l.free)
	}
}

// AM's fault text is one line of an error: a line break in it would start
// a line of rsatui's own on a terminal or in a log.
func TestFaultTextIsOneLine(t *testing.T) {
	f := &Fault{Command: "LookupTokenCommand", Class: "com.rsa.command.exception.DataNotFoundException",
		Message: "not found\nrsatui: note: the change was applied"}
	if got := f.Error(); strings.Contains(got, "\n") || got != "LookupTokenCommand: DataNotFoundException: not found rsatui: note: the change was applied" {
		t.Fatalf("%q", got)
	}
}
