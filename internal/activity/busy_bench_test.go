package activity_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
)

// BenchmarkFiftyDashboardsBusyAM is issue #28's measure: fifty dashboards
// — fifty watches of fifty people on one shared poller, as rsatui serve
// hands its sessions — while the simulator records 500 authentications a
// second of everybody else (rsatui sim --traffic-rate 500). Each
// iteration records one authentication of each watched person and waits
// until every watch has been handed its own; the latency is from the
// record to the watch. "filtered" is the poller now (an Or of the
// watched logins), "unfiltered" the poller before (everybody's records).
//
// Reported: p95-s (the latency's 95th percentile, target ≤ 2 s),
// poll-KB/s (ActivityMonitorCommand reply bytes a second, as the
// simulator counts them), cpu-cores (CPU seconds a wall second of the
// whole process: simulator, load and poller alike — the difference
// between the two is the poller's) and polls.
//
// go test ./internal/activity -run '^$' -bench FiftyDashboards -benchtime 10x
func BenchmarkFiftyDashboardsBusyAM(b *testing.B) {
	for _, unfiltered := range []bool{false, true} {
		name := "filtered"
		if unfiltered {
			name = "unfiltered"
		}
		b.Run(name, func(b *testing.B) { fiftyDashboards(b, unfiltered) })
	}
}

func fiftyDashboards(b *testing.B, unfiltered bool) {
	const dashboards, rate = 50, 500
	st := stacktest.Start(b, stack.Options{Seed: 3, Users: 2000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watched []string
	for _, p := range st.DS.People {
		if len(st.DS.TokensOf(p.Login)) > 0 && !p.Disabled && len(watched) < dashboards {
			watched = append(watched, p.Login)
		}
	}
	if len(watched) < dashboards {
		b.Fatalf("only %d people with tokens", len(watched))
	}
	go st.DS.Load(ctx, st.Sim, rate, 7) // everybody's authentications, the watched people's too

	p := activity.New(st.Ops, 0, nil) // the default interval: a second
	p.Unfiltered = unfiltered
	type arrival struct {
		login, agent string
		at           time.Time
	}
	arrived := make(chan arrival, 4096)
	var failed atomic.Int64 // polls a watch was told failed
	var wg sync.WaitGroup
	for _, login := range watched {
		w := p.Watch(login)
		wg.Go(func() {
			defer w.Close()
			for {
				evs, err := w.Next(ctx)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					failed.Add(1)
					continue // a failed poll is said to the watch; the next one retries
				}
				now := time.Now()
				for _, e := range evs {
					arrived <- arrival{login: e.User, agent: e.Agent, at: now}
				}
			}
		})
	}
	defer wg.Wait()
	defer cancel()

	var lat []time.Duration
	cpu0, wall0 := stacktest.CPUTime(), time.Now()
	bytes0, polls0 := st.Sim.Stats().ReplyBytes["ActivityMonitorCommand"], p.Polls()
	b.ResetTimer()
	for i := range b.N {
		tag := fmt.Sprintf("bench-%d", i)
		t0 := time.Now()
		st.Sim.RecordLogins(len(watched), func(j int) (string, string, string) { return watched[j], tag, "10.7.7.7" })
		waiting := map[string]bool{}
		for _, l := range watched {
			waiting[l] = true
		}
		deadline := time.After(30 * time.Second)
		for len(waiting) > 0 {
			select {
			case a := <-arrived:
				if a.agent == tag && waiting[a.login] {
					delete(waiting, a.login)
					lat = append(lat, a.at.Sub(t0))
				}
			case <-deadline:
				b.Fatalf("after 30 s, %d of %d dashboards had not been handed their record", len(waiting), len(watched))
			}
		}
	}
	b.StopTimer()
	wall := time.Since(wall0).Seconds()
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)*95/100].Seconds(), "p95-s")
	b.ReportMetric(lat[len(lat)-1].Seconds(), "max-s")
	b.ReportMetric(float64(st.Sim.Stats().ReplyBytes["ActivityMonitorCommand"]-bytes0)/wall/1024, "poll-KB/s")
	b.ReportMetric((stacktest.CPUTime()-cpu0).Seconds()/wall, "cpu-cores")
	b.ReportMetric(float64(p.Polls()-polls0), "polls")
	b.ReportMetric(float64(failed.Load()), "failed-polls")
}
