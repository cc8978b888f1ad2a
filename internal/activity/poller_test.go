package activity_test

import (
	"context"
	"slices"
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

// On a busy AM the poller asks only for the watched people's records (an
// Or of their logins): a load of everybody else's authentications costs
// the poll nothing, and the watched person's record still arrives. With
// Unfiltered it reads them all (the poller as it was).
func TestPollerAsksForTheWatchedPeopleOnly(t *testing.T) {
	for _, unfiltered := range []bool{false, true} {
		st := startStack(t)
		var logins []string
		for _, p := range st.DS.People {
			if len(st.DS.TokensOf(p.Login)) > 0 && p.Login != "jdoe" && p.Login != "asmith" {
				logins = append(logins, p.Login)
			}
		}
		p := activity.New(st.Ops, 20*time.Millisecond, nil)
		p.Unfiltered = unfiltered
		jd, as := p.Watch("jdoe"), p.Watch("asmith")
		st.Sim.RecordLogins(300, func(i int) (string, string, string) { return logins[i%len(logins)], "load", "10.9.9.9" })
		login(t, st, "jdoe", false)
		got := next(t, jd)
		for ; len(got) == 0 || got[len(got)-1].ResultKey != "BAD_PASSCODE"; got = next(t, jd) {
		}
		jd.Close()
		as.Close()
		bytes := st.Sim.Stats().ReplyBytes["ActivityMonitorCommand"]
		t.Logf("unfiltered %v: %d bytes of activity replies", unfiltered, bytes)
		if !unfiltered && bytes > 200<<10 {
			t.Fatalf("the filtered poller read %d bytes: the load's records came too", bytes)
		}
		if unfiltered && bytes < 300<<10 {
			t.Fatalf("the unfiltered poller read only %d bytes of 300 other records", bytes)
		}
	}
}

// The poller of as many people as it filters (MaxFiltered) is served: its
// Or of 64 logins once nested too deep for a SOAP parser (a chain of Ors,
// 190 elements), and every poll of a serve with fifty dashboards failed.
func TestPollerOfMaxFilteredPeople(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 2, Users: 400})
	var logins []string
	for _, p := range st.DS.People {
		if len(st.DS.TokensOf(p.Login)) > 0 && len(logins) < activity.MaxFiltered {
			logins = append(logins, p.Login)
		}
	}
	if len(logins) < activity.MaxFiltered {
		t.Fatalf("only %d people with tokens", len(logins))
	}
	p := activity.New(st.Ops, 20*time.Millisecond, nil)
	var ws []*activity.Watch
	for _, l := range logins {
		ws = append(ws, p.Watch(l))
	}
	last := len(logins) - 1
	st.Sim.RecordLogins(1, func(int) (string, string, string) { return logins[last], "filter-depth", "10.1.1.1" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		evs, err := ws[last].Next(ctx)
		if err != nil {
			t.Fatalf("the watch of %s: %v", logins[last], err)
		}
		if slices.ContainsFunc(evs, func(e rsa.AuthEvent) bool { return e.Agent == "filter-depth" }) {
			break
		}
	}
	for _, w := range ws {
		w.Close()
	}
}
