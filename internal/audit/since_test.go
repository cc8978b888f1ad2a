package audit_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
)

// longLog writes n changes (intent and outcome each) a minute apart from
// start, with a line that is no entry and an overlong one among them, and
// an intent without its outcome at the end — that one through Log.Write,
// the others as the same JSON lines written at once (a year of lines
// synced one by one would take the benchmark minutes).
func longLog(tb testing.TB, n int, start time.Time) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "audit.jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	change := func(i int) audit.Entry {
		return audit.Entry{ID: fmt.Sprintf("c%d", i), Time: start.Add(time.Duration(i) * time.Minute), OSUser: "alice", Admin: "admin",
			Operation: "ea.set", Target: "token 000100001007", Params: map[string]string{"action": "emergency-access", "person": "jdoe"}, Outcome: audit.Intent}
	}
	for i := range n - 1 {
		e := change(i)
		_ = enc.Encode(e)
		e.Time, e.Outcome = e.Time.Add(30*time.Second), audit.OK
		_ = enc.Encode(e)
		if i == n/2 {
			fmt.Fprintf(w, "not json\n%s\n", strings.Repeat("x", 2<<20))
		}
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		tb.Fatal(err)
	}
	l, err := audit.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Write(change(n - 1)); err != nil { // in flight: no outcome yet
		tb.Fatal(err)
	}
	return path
}

// Since reads from the end and stops where the window starts, yet returns
// exactly what reading the whole log and keeping the window would: across
// block boundaries, past unreadable lines, with an intent still in flight.
func TestSinceIsTheWindowOfTail(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := longLog(t, 3000, start)
	all, _ := audit.Tail(path, 0)
	for _, from := range []time.Time{start.Add(-time.Hour), start, start.Add(1500*time.Minute + 10*time.Second), start.Add(2990 * time.Minute), start.Add(2999 * time.Minute), start.Add(5000 * time.Minute)} {
		var want []audit.Entry
		for _, e := range all {
			if !e.Time.Before(from) {
				want = append(want, e)
			}
		}
		got, err := audit.Since(path, from)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("since %s: %d entries, want %d", from, len(got), len(want))
		}
	}
	last, _ := audit.Since(path, start.Add(2999*time.Minute))
	if len(last) != 1 || last[0].Outcome != audit.Unknown || last[0].Error != audit.NoOutcome {
		t.Fatalf("the change in flight: %+v", last)
	}
	if _, err := audit.Since(filepath.Join(t.TempDir(), "none"), start); !os.IsNotExist(err) {
		t.Fatalf("a missing log: %v", err)
	}
}

// What the guard reads per change (the flood count, the passcode proof):
// the last hour of a year's log, from the end, against the whole log.
func BenchmarkGuardReadsTheLastHour(b *testing.B) {
	const lines = 100_000 // a year of a busy help desk: ~270 changes a day
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := longLog(b, lines, start)
	end := start.Add(lines * time.Minute)
	info, _ := os.Stat(path)
	b.Logf("audit log: %d changes, %d MB", lines, info.Size()>>20)
	b.Run("since", func(b *testing.B) {
		for b.Loop() {
			if got, _ := audit.Since(path, end.Add(-time.Hour)); len(got) != 60 {
				b.Fatalf("%d entries in the last hour", len(got))
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			all, _ := audit.Tail(path, 0)
			n := 0
			for _, e := range all {
				if !e.Time.Before(end.Add(-time.Hour)) {
					n++
				}
			}
			if n != 60 {
				b.Fatalf("%d entries in the last hour", n)
			}
		}
	})
}
