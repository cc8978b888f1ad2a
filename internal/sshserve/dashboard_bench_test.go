package sshserve_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/sshserve"
)

// BenchmarkDashboards: 50 sessions of rsatui serve, each on jdoe's
// dashboard, share the server's one activity poller. It reports
//   - polls/interval: ActivityMonitorCommand requests AM got per poll
//     interval while the 50 dashboards stood open (target 1, not 50; a new
//     record makes each dashboard read the person again, but not the
//     activity, which the poller brought);
//   - new-attempt-ms: from an authentication (a wrong passcode, sent to AM
//     past the consoles) to the last of the 50 screens showing it — target
//     p100 within 2 s.
//
// Run: go test ./internal/sshserve -run '^$' -bench Dashboards -benchtime 1x
func BenchmarkDashboards(b *testing.B) {
	const sessions = 50
	var p *activity.Poller // the server's one poller, as sshserve.New makes it, counted
	f := start(b, func(cfg *sshserve.Config) {
		p = activity.New(cfg.Ops, activity.DefaultInterval, nil)
		cfg.Console.Activity = p
	})
	cons := make([]*console, sessions)
	var wg sync.WaitGroup
	for i := range cons {
		wg.Go(func() {
			c, err := f.open(f.admin, fmt.Sprint("u", i), 120, 40)
			if err == nil {
				b.Cleanup(c.close)
				c.keys("/jdoe")
				if err = c.waitErr(20*time.Second, "1 found"); err == nil {
					c.keys("\r")
					err = c.waitErr(20*time.Second, "John Doe (jdoe)", "What AM saw")
				}
			}
			if err != nil {
				b.Errorf("session %d: %v", i, err)
				return
			}
			cons[i] = c
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	monitor := func() int64 { return f.st.Sim.Stats().Commands[amproto.ActivityMonitorCommand.Local] }
	var latencies []time.Duration
	for i := 0; i < b.N; i++ {
		// AM's activity requests over 5 of the poller's intervals, every
		// dashboard open and nothing new: one each, not one a dashboard
		before, ticks := monitor(), p.Polls()
		waitFor(b, func() bool { return p.Polls() >= ticks+5 }, "5 poll intervals")
		b.ReportMetric(float64(monitor()-before)/float64(p.Polls()-ticks), "polls/interval")

		// a new attempt, seen on every screen
		r, err := f.st.TryPasscode(context.Background(), "jdoe", true)
		if err != nil {
			b.Fatal(err)
		}
		sent := time.Now()
		stamp := r.Event.At.In(time.Local).Format("15:04:05")
		var mu sync.Mutex
		for _, c := range cons {
			wg.Go(func() {
				if err := c.waitErr(10*time.Second, "today "+stamp); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				latencies = append(latencies, time.Since(sent))
				mu.Unlock()
			})
		}
		wg.Wait()
		// the next round's wrong passcode must not lock jdoe (3 failures)
		if _, err := f.st.Ops.Unlock(context.Background(), "jdoe"); err != nil && !strings.Contains(err.Error(), "not locked") {
			b.Fatal(err)
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		b.ReportMetric(float64(latencies[n/2].Milliseconds()), "new-attempt-p50-ms")
		b.ReportMetric(float64(latencies[n-1].Milliseconds()), "new-attempt-max-ms")
	}
}
