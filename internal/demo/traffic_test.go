package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
)

// The demo's traffic: people log in at their agents, most
// of them accepted, some mistyped, none locked out by it, and the fixture
// people (but dobrien) left alone.
func TestTraffic(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := activity.New(st.Ops, 20*time.Millisecond, nil).Watch("")
	defer w.Close()
	go st.DS.Traffic(ctx, st.Sim, 5*time.Millisecond, 1)
	var got []rsa.AuthEvent
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	for len(got) < 30 {
		evs, err := w.Next(wait)
		if err != nil {
			t.Fatalf("after %d records: %v", len(got), err)
		}
		got = append(got, evs...)
	}
	cancel()
	ok, people := 0, map[string]bool{}
	for _, e := range got {
		switch e.User {
		case "jdoe", "asmith", "bdisabled", "cmueller", "eolsen", "fnotoken":
			t.Fatalf("the traffic touched a fixture person: %+v", e)
		}
		if e.Agent == "" || e.ClientIP == "" {
			t.Fatalf("no agent or address: %+v", e)
		}
		if e.ResultKey == "PASSCODE_ACCEPTED" {
			ok++
		}
		if e.ResultKey == "USER_LOCKED_OUT" {
			t.Fatalf("the traffic locked %s out", e.User)
		}
		people[e.User] = true
	}
	if ok == 0 || len(people) < 5 {
		t.Fatalf("%d accepted of %d, %d people", ok, len(got), len(people))
	}
}
