package sshserve_test

import (
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/sshserve"
)

// The sessions' dashboards share the server's poller, and a session
// that ends — its person quits or the connection drops — lets go of its
// watches: the poller is not left polling for screens nobody sees.
func TestDashboardsShareThePollerAndLetGo(t *testing.T) {
	var p *activity.Poller
	f := start(t, func(cfg *sshserve.Config) {
		p = activity.New(cfg.Ops, 50*time.Millisecond, nil)
		cfg.Console.Activity = p
	})
	a := f.console(t, f.admin, "alice", 120, 34)
	b := f.console(t, f.helpdesk, "bob", 120, 34)
	a.openTokens("jdoe", "John Doe")
	b.openTokens("asmith", "Alice Smith")
	a.wait("What AM saw")
	b.wait("What AM saw")
	waitFor(t, func() bool { return p.Watching() == 2 }, "two dashboards, two watches of one poller")
	a.keys("q")
	b.close() // the connection drops
	waitFor(t, func() bool { return p.Watching() == 0 }, "the watches let go when the sessions ended")
}

// waitFor waits until cond holds (a state the server reaches on its own).
func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
