package rsa_test

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// A person with a thousand records, many sharing an instant, read through
// replies much smaller than the pages asked for (#29 item 4: pages doubled
// from the same since up to 1,024 records and passed the reply limit, so
// activity, user show and the dashboard failed for such a person, and the
// shared poller failed every second after a backlog). Every record comes
// back once, in order; a poll reads a bounded step that ends on a whole
// instant, and polls from where the last one ended catch up.
func TestActivityBacklogIsReadInBoundedSteps(t *testing.T) {
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.MaxResponseBytes = 96 << 10 })
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	start := e.clock.Now().Add(time.Second) // after the data set's own records
	var recs []amsim.Activity
	for i := range 1000 {
		// three records an instant: a page end falls inside an instant
		recs = append(recs, amsim.Activity{At: start.Add(time.Duration(i/3) * time.Second), Login: "jdoe", Serial: serial,
			Agent: "vpn01.corp.example", Client: "10.0.0.1", Key: "BAD_PASSCODE"})
	}
	if err := e.sim.SeedActivity(recs...); err != nil {
		t.Fatal(err)
	}
	evs, err := o.Activity(ctx, "jdoe", start.Add(-time.Second))
	if err != nil {
		t.Fatalf("a thousand records: %v", err)
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if seen[ev.GUID] || (i > 0 && ev.At.Before(evs[i-1].At)) {
			t.Fatalf("record %d repeated or out of order", i)
		}
		seen[ev.GUID] = true
	}
	if len(evs) < 1000 {
		t.Fatalf("%d of 1000 records read", len(evs))
	}

	// the poller's reads: bounded steps, each ending on a whole instant
	since, total, polls := start.Add(-time.Second), 0, 0
	for ; polls < 1000; polls++ {
		step, err := o.ActivityPoll(ctx, since)
		if err != nil {
			t.Fatalf("poll %d: %v", polls, err)
		}
		if len(step) == 0 {
			break
		}
		if len(step) > 8*128 {
			t.Fatalf("one poll read %d records: not a bounded step", len(step))
		}
		last := step[len(step)-1].At
		if n := countAt(evs, last); n != countAt(step, last) {
			t.Fatalf("a poll ended inside an instant: %d of its %d records", countAt(step, last), n)
		}
		total += len(step)
		since = last
	}
	if total < 1000 || polls < 2 {
		t.Fatalf("the polls read %d records in %d polls", total, polls)
	}
}

func countAt(evs []rsa.AuthEvent, at time.Time) int {
	n := 0
	for _, e := range evs {
		if e.At.Equal(at) {
			n++
		}
	}
	return n
}
