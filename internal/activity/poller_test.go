package activity_test

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
)

func startStack(t testing.TB) *stack.Stack {
	t.Helper()
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 20})
	return st
}

// login tries a passcode for login: the right one when right, else a
// wrong one.
func login(t testing.TB, st *stack.Stack, who string, right bool) {
	t.Helper()
	stacktest.Try(t, st, who, !right)
}

func next(t testing.TB, w *activity.Watch) []rsa.AuthEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	evs, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for activity: %v", err)
	}
	return evs
}

// A watcher gets its person's new records, and only theirs, oldest first;
// what its screen read already is not handed out again; two watchers of
// different people share the poll.
func TestWatchersGetTheirPersonsRecords(t *testing.T) {
	st := startStack(t)
	login(t, st, "jdoe", true) // before anybody watched: the screen's first read has it
	first, err := st.Ops.Activity(context.Background(), "jdoe", time.Time{})
	if err != nil || len(first) < 2 { // the data set's history, and that login
		t.Fatalf("first read: %v %+v", err, first)
	}
	had := map[string]bool{}
	for _, e := range first {
		had[e.GUID] = true
	}
	p := activity.New(st.Ops, 20*time.Millisecond, nil)
	jd, as := p.Watch("JDOE"), p.Watch("asmith")
	defer as.Close()
	jd.Seen(first)
	login(t, st, "asmith", false)
	got := next(t, as)
	if len(got) == 0 || got[0].User != "asmith" || got[0].ResultKey != "BAD_PASSCODE" {
		t.Fatalf("asmith's watcher: %+v", got)
	}
	login(t, st, "jdoe", false)
	for _, e := range next(t, jd) {
		if e.User != "jdoe" || had[e.GUID] {
			t.Fatalf("jdoe's watcher got %+v", e)
		}
	}
	jd.Close()
	jd.Close() // twice is harmless
}
