package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Clear a person's bad-tokencode count (helpdesk-ops §3):
// ClearBadTokenCountCommand names the owner, so AM clears it on their
// tokens; the read-back shows the count gone and next-tokencode mode off.
// Nothing to clear is a note; an unassigned token is refused before AM;
// a viewer may not; the demo's help-desk AM admin may.
func TestClearBadCount(t *testing.T) {
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.AdminUser, c.AdminPassword = demo.HelpdeskUser, demo.HelpdeskPassword })
	ctx := context.Background()
	serial := e.ds.TokensOf("dobrien")[0]
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	if _, err := o.For(rsa.Actor{}, viewer).ClearBadCount(ctx, serial); !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}
	if st, _ := e.sim.Token(serial); st.BadCodeCount != 3 || !st.NextTokencodeMode {
		t.Fatalf("demo: dobrien's token %+v (a refused change reached AM?)", st)
	}
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	res, err := o.For(rsa.Actor{SSHUser: "bob"}, helpdesk).ClearBadCount(ctx, serial)
	if err != nil || res.After.Token.BadCodeCount != 0 || res.After.Token.NextTokencodeMode ||
		res.Before.Token.BadCodeCount != 3 || !res.Before.Token.NextTokencodeMode {
		t.Fatalf("clear: %v before %+v after %+v", err, res.Before.Token, res.After.Token)
	}
	if want := "LookupTokenCommand LookupTokenEmergencyAccessCommand ClearBadTokenCountCommand LookupTokenCommand LookupTokenEmergencyAccessCommand"; strings.Join(res.Commands, " ") != want {
		t.Errorf("commands %v", res.Commands)
	}
	if st, _ := e.sim.Token(serial); st.BadCodeCount != 0 || st.NextTokencodeMode {
		t.Fatalf("AM holds %+v", st)
	}
	res, err = o.ClearBadCount(ctx, serial)
	if err != nil || !strings.Contains(res.Note, "nothing was changed") {
		t.Fatalf("again: %v %q", err, res.Note)
	}
	pool, _ := o.Pool(ctx, rsa.PoolQuery{})
	arrived := e.sim.Arrived()
	if _, err := o.ClearBadCount(ctx, pool[0].Serial); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "not assigned") {
		t.Fatalf("pool token: %v", err)
	}
	if got := e.sim.Arrived() - arrived; got != 2 {
		t.Errorf("a refused clear sent %d requests, want the 2 lookups", got)
	}
	if _, err := o.ClearBadCount(ctx, "12"); !errors.Is(err, rsa.ErrInvalidInput) {
		t.Fatalf("bad serial: %v", err)
	}
}

// A lost reply to ClearBadTokenCountCommand is settled by the read-back,
// never by sending it again.
func TestClearBadCountLostReply(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("dobrien")[0]
	e.sim.Inject(amsim.Rule{Command: amproto.ClearBadTokenCountCommand, Action: amsim.DropAfter, Count: 1})
	res, err := o.ClearBadCount(ctx, serial)
	if err != nil || !strings.Contains(res.Note, "reply was lost") || res.After.Token.NextTokencodeMode {
		t.Fatalf("lost reply: %v %q %+v", err, res.Note, res.After.Token)
	}
	if n := strings.Count(strings.Join(res.Commands, " "), "ClearBadTokenCountCommand"); n != 1 {
		t.Fatalf("sent %d times: %v", n, res.Commands)
	}
}

// The one-token rule counts a pending replacement as one token: the
// person holds two while AM waits for the new one's first use, and the
// words say which replaces which; a second token besides is still refused.
func TestHoldingDuringReplacement(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	old := e.ds.TokensOf("jdoe")[0]
	res, err := o.Replace(ctx, old, "", false)
	if err != nil {
		t.Fatal(err)
	}
	_, states, err := o.UserTokenStates(ctx, "jdoe", false)
	if err != nil || len(states) != 2 {
		t.Fatalf("jdoe: %v, %d tokens", err, len(states))
	}
	ts := []rsa.Token{states[0].Token, states[1].Token}
	h := rsa.HoldingOf(ts)
	if h.Count() != 1 || h.Breaks() || len(h.Pending) != 1 {
		t.Fatalf("holding %+v (listed %+v)", h, ts)
	}
	want := "jdoe holds 2 tokens: " + res.New.Token.Serial + " replaces " + old + ", which AM retires when " + res.New.Token.Serial + " is first used"
	if got := h.Words("jdoe"); got != want {
		t.Fatalf("words %q\nwant  %q", got, want)
	}
	pool, _ := o.Pool(ctx, rsa.PoolQuery{})
	if _, err := o.Assign(ctx, pool[0].Serial, "jdoe", false); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "one token a person") {
		t.Fatalf("a third token: %v", err)
	}
	_, states, _ = o.UserTokenStates(ctx, "asmith", false)
	if h := rsa.HoldingOf([]rsa.Token{states[0].Token, states[1].Token}); !h.Breaks() || !strings.Contains(h.Words("asmith"), "the rule is one a person") {
		t.Fatalf("asmith's two tokens: %+v %q", h, h.Words("asmith"))
	}
}

// An empty pool is AM's DataNotFoundException for GetNextAvailableToken and
// ReplaceWithNextAvailableToken, said as what to do; nothing is assigned.
func TestEmptyPool(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	pool, err := o.Pool(ctx, rsa.PoolQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range pool { // empty the pool: give every token to someone
		login := e.ds.People[len(e.ds.People)-1-i%5].Login
		if _, err := o.Assign(ctx, tk.Serial, login, true); err != nil {
			t.Fatalf("emptying the pool: %v", err)
		}
	}
	if left, err := o.Pool(ctx, rsa.PoolQuery{}); err != nil || len(left) != 0 {
		t.Fatalf("pool after emptying: %v, %d", err, len(left))
	}
	_, err = o.AssignNext(ctx, "fnotoken")
	if !errors.Is(err, rsa.ErrNotFound) || !strings.Contains(rsa.Explain(err), "pool") {
		t.Fatalf("assign next, empty pool: %v / %s", err, rsa.Explain(err))
	}
	_, err = o.Replace(ctx, e.ds.TokensOf("jdoe")[0], "", false)
	if !errors.Is(err, rsa.ErrNotFound) || !strings.Contains(rsa.Explain(err), "pool") {
		t.Fatalf("replace with next, empty pool: %v / %s", err, rsa.Explain(err))
	}
	if _, toks, _ := o.UserTokens(ctx, "fnotoken"); len(toks) != 0 {
		t.Fatalf("fnotoken got %d tokens", len(toks))
	}
}
