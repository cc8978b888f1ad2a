package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// BenchmarkLeavers2000Tokens: the leavers report over 2,000+ assigned
// tokens with AM and the directory each 20 ms away (every AM request and
// every directory page delayed by L). Reported: the wall time, AM's
// requests and the longest chain of them one after another (the round
// trips a person waits for), and the directory's queries.
func BenchmarkLeavers2000Tokens(b *testing.B) {
	const latency = 20 * time.Millisecond
	st := stacktest.Start(b, stack.Options{Seed: 9, Users: 2500, DirDelay: latency})
	ctx := context.Background()
	if ts, err := st.Ops.AssignedTokens(ctx); err != nil || len(ts) < 2000 {
		b.Fatalf("%d assigned tokens (%v), want 2,000 or more", len(ts), err)
	}
	st.Sim.SetLatency(latency)
	var spans []amsim.Span
	var stats report.Stats
	rows := 0
	b.ResetTimer()
	for range b.N {
		st.Sim.Trace()
		r, s, err := report.Run(ctx, st.Ops, st.Dir, report.Query{Kind: report.Leavers})
		if err != nil {
			b.Fatal(err)
		}
		spans, stats, rows = st.Sim.Spans(), s, len(r)
	}
	b.ReportMetric(float64(stats.Tokens), "tokens")
	b.ReportMetric(float64(rows), "leavers")
	b.ReportMetric(float64(len(spans)), "AM-requests")
	b.ReportMetric(float64(amsim.CriticalPath(spans)), "AM-round-trips")
	b.ReportMetric(float64(stats.DirectoryQueries), "AD-queries")
}
