package rsa_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// The round-trip workflows of a warm console session (logged in, the
// identity source resolved), as the console runs them: what a person
// waits for is the chain of requests sent one after another, each costing
// AM's round trip L. Each has a target: at most this many round trips on
// its critical path (amsim.CriticalPath of what the simulator served).
//
// TestRoundTrips checks the critical paths (the counts, not the times:
// runs under -race on a loaded machine); BenchmarkRoundTrips reports them
// with the wall time ÷ L for L = 5 ms and 50 ms. The verbs' workflows (a
// cold process) are in cmd/rsatui.

type rtEnv struct {
	*env
	ops *rsa.Ops
}

const tenTokens = "tenner" // a person holding ten tokens (added here)

func newRTEnv(tb testing.TB) *rtEnv {
	tb.Helper()
	e := newEnv(tb, amsim.Options{})
	src, _ := e.sim.IdentitySourceGUID(demo.IdentitySourceName)
	owner, err := e.sim.AddUser(src, amsim.User{Login: tenTokens, First: "Ten", Last: "Tokens", Enabled: true})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 10 {
		if _, err := e.sim.AddToken(amsim.Token{Serial: fmt.Sprintf("0009000000%02d", i), Algorithm: amproto.AlgorithmAES,
			Type: rsa.TokenTypeKeyFob, Start: testNow.Add(-24 * time.Hour), Expires: testNow.Add(365 * 24 * time.Hour),
			Enabled: true, OwnerGUID: owner}); err != nil {
			tb.Fatal(err)
		}
	}
	r := &rtEnv{env: e}
	r.fresh(tb)
	return r
}

// fresh starts the session over as the console starts it: logged in, the
// identity source resolved, no principal kept.
func (e *rtEnv) fresh(tb testing.TB) {
	e.ops = rsa.NewOps(e.client)
	e.ops.Now = e.clock.Now
	if _, err := e.ops.Source(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

type rtWorkflow struct {
	name   string
	target int // round trips on the critical path, at most
	// prepare does what the console has done before (not measured) and
	// returns the measured step
	prepare func(tb testing.TB, e *rtEnv) func(ctx context.Context) error
}

var rtWorkflows = []rtWorkflow{
	{"open-person-2-tokens", 3, func(tb testing.TB, e *rtEnv) func(context.Context) error {
		return openPerson(e, "asmith", 2)
	}},
	{"open-person-10-tokens", 3, func(tb testing.TB, e *rtEnv) func(context.Context) error {
		return openPerson(e, tenTokens, 10)
	}},
	{"open-person-again", 2, func(tb testing.TB, e *rtEnv) func(context.Context) error {
		if err := openPerson(e, "asmith", 2)(context.Background()); err != nil { // the principal is kept
			tb.Fatal(err)
		}
		return openPerson(e, "asmith", 2)
	}},
	{"ea-set-y-to-result", 3, func(tb testing.TB, e *rtEnv) func(context.Context) error {
		// the confirm's read-ahead, then y: generate, update, read back
		r := eaReviewed(tb, e)
		return func(ctx context.Context) error {
			res, err := e.ops.SetEmergencyAccess(ctx, r)
			if err == nil && (!res.After.EA.Active() || len(res.Codes) != 1) {
				err = fmt.Errorf("not on after the change: %+v", res.After.EA)
			}
			return err
		}
	}},
	{"ea-clear-y-to-result", 2, func(tb testing.TB, e *rtEnv) func(context.Context) error {
		r := eaReviewed(tb, e)
		if _, err := e.ops.SetEmergencyAccess(context.Background(), r); err != nil {
			tb.Fatal(err)
		}
		st := reviewed(tb, e, r.Serial)
		return func(ctx context.Context) error {
			res, err := e.ops.ClearEmergencyAccess(ctx, r.Serial, &st)
			if err == nil && res.After.EA.Active() {
				err = errors.New("still on after the clear")
			}
			return err
		}
	}},
}

func openPerson(e *rtEnv, login string, want int) func(context.Context) error {
	return func(ctx context.Context) error {
		_, states, err := e.ops.UserTokenStates(ctx, login, false)
		if err == nil && len(states) != want {
			err = fmt.Errorf("%s: %d tokens, want %d", login, len(states), want)
		}
		return err
	}
}

// reviewed is the token as the confirm's read-ahead reads it.
func reviewed(tb testing.TB, e *rtEnv, serial string) rsa.TokenState {
	st, err := e.ops.Token(context.Background(), serial)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func eaReviewed(tb testing.TB, e *rtEnv) rsa.EARequest {
	serial := e.ds.TokensOf("jdoe")[0]
	st := reviewed(tb, e, serial)
	r := tft(serial, 7)
	r.Read = &st
	return r
}

// measure runs step once with latency L and returns its critical path,
// the requests it sent and the wall time.
func (e *rtEnv) measure(tb testing.TB, L time.Duration, step func(context.Context) error) (path, requests int, wall time.Duration) {
	e.sim.SetLatency(L)
	defer e.sim.SetLatency(0)
	e.sim.Trace()
	start := time.Now()
	if err := step(context.Background()); err != nil {
		tb.Fatal(err)
	}
	wall = time.Since(start)
	spans := e.sim.Spans()
	return amsim.CriticalPath(spans), len(spans), wall
}

func TestRoundTrips(t *testing.T) {
	// 150 ms: requests meant to run at once arrive well within one round
	// trip of each other, even under -race on a loaded machine (at 50 ms a
	// request sent 50 ms late, once, under CI's load, made a chain one
	// longer)
	const L = rtTestLatency
	for _, w := range rtWorkflows {
		t.Run(w.name, func(t *testing.T) {
			e := newRTEnv(t)
			step := w.prepare(t, e)
			path, n, _ := e.measure(t, L, step)
			if path > w.target {
				var names []string
				for _, s := range e.sim.Spans() {
					names = append(names, s.Command)
				}
				t.Fatalf("%d round trips one after another (target %d); sent: %s", path, w.target, strings.Join(names, ", "))
			}
			t.Logf("%s: critical path %d L, %d requests", w.name, path, n)
		})
	}
}

// TestRoundTripsOneAfterAnother pins what the critical path was before
// reads ran at once (the sequence the issue measured), so the counting
// itself is checked: a person of two tokens read one call after another
// is 2 + 2N round trips.
func TestRoundTripsOneAfterAnother(t *testing.T) {
	e := newRTEnv(t)
	path, n, _ := e.measure(t, 20*time.Millisecond, func(ctx context.Context) error {
		_, list, err := e.ops.UserTokens(ctx, "asmith")
		for _, s := range list {
			if err == nil {
				_, err = e.ops.Token(ctx, s.Serial)
			}
		}
		return err
	})
	if path != n || n != 2+2*2 {
		t.Fatalf("sequential reads: critical path %d of %d requests, want 6 of 6", path, n)
	}
}

// BenchmarkRoundTrips reports, for each workflow and L = 5 ms and 50 ms,
// the wall time ÷ L beside the critical path (go test -bench RoundTrips
// ./internal/rsa).
func BenchmarkRoundTrips(b *testing.B) {
	for _, L := range []time.Duration{5 * time.Millisecond, 50 * time.Millisecond} {
		for _, w := range rtWorkflows {
			b.Run(fmt.Sprintf("L=%s/%s", L, w.name), func(b *testing.B) {
				e := newRTEnv(b)
				var path, n int
				var wall time.Duration
				for b.Loop() {
					b.StopTimer()
					e.fresh(b)
					step := w.prepare(b, e)
					b.StartTimer()
					p, r, d := e.measure(b, L, step)
					path, n, wall = max(path, p), r, wall+d
				}
				b.ReportMetric(float64(wall)/float64(b.N)/float64(L), "wall/L")
				b.ReportMetric(float64(path), "critical-path")
				b.ReportMetric(float64(w.target), "target")
				b.ReportMetric(float64(n), "requests")
			})
		}
	}
}

// A lookup that fails among several leaves the others shown, and says
// which token is missing what.
func TestTokenStatesReadInPart(t *testing.T) {
	e := newRTEnv(t)
	e.sim.Inject(amsim.Rule{Command: amproto.LookupTokenEmergencyAccessCommand, Action: amsim.HTTP500})
	_, states, err := e.ops.UserTokenStates(context.Background(), "asmith", true)
	if !errors.Is(err, rsa.ErrIncomplete) || len(states) != 2 {
		t.Fatalf("want both tokens and ErrIncomplete, got %d: %v", len(states), err)
	}
	var whole, part int
	for _, st := range states {
		switch {
		case st.Unread == nil && st.EA.TokenGUID != "" && st.Token.Serial != "":
			whole++
		case st.Unread != nil && strings.Contains(st.Unread.Error(), "emergency access") && st.EA.TokenGUID == "" &&
			st.Token.GUID != "" && strings.Contains(err.Error(), st.Token.Serial):
			part++
		}
	}
	if whole != 1 || part != 1 {
		t.Fatalf("want one token whole and one missing its emergency access (named in the error): %+v", states)
	}
}

// A kept principal is not trusted to say "no tokens": AM answers an
// unknown principal as it answers a person without tokens.
func TestKeptPrincipalCheckedBeforeNoTokens(t *testing.T) {
	e := newRTEnv(t)
	ctx := context.Background()
	src, _ := e.sim.IdentitySourceGUID(demo.IdentitySourceName)
	if _, err := e.sim.AddUser(src, amsim.User{Login: "notoken", First: "No", Last: "Token", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	searches := func() int64 { return e.sim.Stats().Commands["SearchPrincipalsCommand"] }
	for _, login := range []string{"asmith", "notoken"} {
		if _, _, err := e.ops.UserTokens(ctx, login); err != nil {
			t.Fatal(err)
		}
	}
	before := searches()
	if _, toks, err := e.ops.UserTokens(ctx, "ASMITH"); err != nil || len(toks) != 2 { // AD logins are case-insensitive
		t.Fatalf("%v %v", toks, err)
	}
	if n := searches() - before; n != 0 {
		t.Fatalf("a kept principal was searched again (%d)", n)
	}
	if _, toks, err := e.ops.UserTokens(ctx, "notoken"); err != nil || len(toks) != 0 {
		t.Fatalf("%v %v", toks, err)
	}
	if n := searches() - before; n != 1 {
		t.Fatalf("an empty list from a kept principal was not checked (%d searches)", n)
	}
	e.clock.Add(rsa.PrincipalTTL)
	if _, _, err := e.ops.UserTokens(ctx, "asmith"); err != nil {
		t.Fatal(err)
	}
	if n := searches() - before; n != 2 {
		t.Fatalf("a principal older than PrincipalTTL was used (%d searches)", n)
	}
}

// rtTestLatency is the latency of the tests that count round trips.
const rtTestLatency = 150 * time.Millisecond

// Twenty lookups at once (ten tokens, read whole) never have more than
// rsa.Lanes requests at AM: the rest wait for a lane.
func TestLanesBoundWhatAMSees(t *testing.T) {
	e := newRTEnv(t)
	_, n, _ := e.measure(t, rtTestLatency, func(ctx context.Context) error {
		_, states, err := e.ops.UserTokenStates(ctx, tenTokens, true)
		if err == nil && len(states) != 10 {
			err = fmt.Errorf("%d tokens", len(states))
		}
		return err
	})
	spans := e.sim.Spans()
	most := 0
	for _, s := range spans {
		at := 0
		for _, o := range spans {
			if !o.Start.After(s.Start) && o.End.After(s.Start) {
				at++
			}
		}
		most = max(most, at)
	}
	if most > rsa.Lanes || most < 2 {
		t.Fatalf("%d requests at AM at once (lanes %d)", most, rsa.Lanes)
	}
	// search + list + 20 lookups (the waves are not counted here: a
	// request that starts late under load joins the next)
	if n != 22 {
		t.Fatalf("%d requests, want 22", n)
	}
}
