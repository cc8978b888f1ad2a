package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// The token pool: every unassigned token, read page by page, and
// narrowed by type; assigning the next available one follows the one-token
// rule and takes a token from the pool.
func TestPoolAndAssignNext(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	pool, err := o.Pool(ctx, rsa.PoolQuery{})
	if err != nil || len(pool) == 0 {
		t.Fatalf("pool: %v, %d tokens", err, len(pool))
	}
	for _, tk := range pool {
		if tk.AssignedUser != "" {
			t.Fatalf("an assigned token in the pool: %+v", tk)
		}
	}
	fobs, err := o.Pool(ctx, rsa.PoolQuery{Type: "key fob"})
	if err != nil || len(fobs) == 0 || len(fobs) > len(pool) {
		t.Fatalf("key fobs: %v, %d of %d", err, len(fobs), len(pool))
	}
	if _, err := o.AssignNext(ctx, "jdoe"); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "one token a person") {
		t.Fatalf("next for a person with a token: %v", err)
	}
	res, err := o.AssignNext(ctx, "fnotoken")
	if err != nil || res.After.Token.AssignedUserID != "fnotoken" || res.Commands[0] != "GetNextAvailableTokenCommand" {
		t.Fatalf("assign next: %v %+v %v", err, res.After.Token, res.Commands)
	}
	after, _ := o.Pool(ctx, rsa.PoolQuery{})
	if len(after) != len(pool)-1 {
		t.Fatalf("pool %d → %d after assigning one", len(pool), len(after))
	}
	if st, _ := e.sim.Token(res.After.Token.Serial); st.Owner != "fnotoken" {
		t.Fatalf("AM: %+v", st)
	}
}

// A person with no token is read as such, in both ways the callers ask
// (the console panicked on fnotoken: reading no token at once).
func TestUserTokenStatesOfAPersonWithNone(t *testing.T) {
	o, _ := newOps(t, amsim.Options{})
	for _, whole := range []bool{false, true} {
		p, states, err := o.UserTokenStates(context.Background(), "fnotoken", whole)
		if err != nil || p.GUID == "" || len(states) != 0 {
			t.Fatalf("whole=%v: %v %+v %d", whole, err, p, len(states))
		}
	}
}

// Tokens that stop working soon, and those that have (still assigned:
// their holders cannot log in — the list left them out): assigned, within
// the window, soonest first, the expired ones first of all.
func TestExpiring(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	soon, err := o.Expiring(ctx, 4*365*24*time.Hour)
	if err != nil || len(soon) == 0 {
		t.Fatalf("%v, %d tokens", err, len(soon))
	}
	if soon[0].Serial != e.ds.TokensOf("eolsen")[0] || rsa.DaysLeft(soon[0].Expires, testNow) != -10 {
		t.Fatalf("the expired token first, 10 days ago: %+v (%d days)", soon[0], rsa.DaysLeft(soon[0].Expires, testNow))
	}
	for i, tk := range soon {
		if tk.AssignedUser == "" || (i > 0 && tk.Expires.Before(soon[i-1].Expires)) {
			t.Fatalf("token %d: %+v", i, tk)
		}
	}
	if within, err := o.Expiring(ctx, time.Hour); err != nil || len(within) != 1 || within[0].Serial != e.ds.TokensOf("eolsen")[0] {
		t.Fatalf("within an hour, the expired one only: %v %+v", err, within)
	}
	if _, err := o.Expiring(ctx, 0); !errors.Is(err, rsa.ErrInvalidInput) {
		t.Fatalf("no window: %v", err)
	}
}

// Unlock a person AM locked out: the lockout read fresh, cleared
// with the identity source's GUID, read back; a person not locked is a
// note; the help desk may, a viewer not.
func TestUnlock(t *testing.T) {
	o, _ := newOps(t, amsim.Options{})
	ctx := context.Background()
	before, err := o.Principal(ctx, "dobrien")
	if err != nil || !before.Locked || before.FailedCount == 0 {
		t.Fatalf("demo: dobrien %+v %v", before, err)
	}
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	if _, err := o.For(rsa.Actor{}, viewer).Unlock(ctx, "dobrien"); !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	res, err := o.For(rsa.Actor{SSHUser: "bob"}, helpdesk).Unlock(ctx, "dobrien")
	if err != nil || res.After.Locked || res.After.FailedCount != 0 || !res.Before.Locked {
		t.Fatalf("unlock: %v %+v", err, res)
	}
	if want := "LookupPrincipalCommand UnLockUserAccountCommand LookupPrincipalCommand"; strings.Join(res.Commands, " ") != want {
		t.Errorf("commands %v", res.Commands)
	}
	if p, _ := o.Principal(ctx, "dobrien"); p.Locked {
		t.Error("the kept principal still says locked")
	}
	res, err = o.Unlock(ctx, "dobrien")
	if err != nil || !strings.Contains(res.Note, "not locked") {
		t.Fatalf("again: %v %q", err, res.Note)
	}
	if _, err := o.Unlock(ctx, "nosuchperson"); !errors.Is(err, rsa.ErrNotInAM) {
		t.Fatalf("unknown: %v", err)
	}
}

// Replace a lost token: with a serial from the pool, or the next
// available; the successor is the person's at once, the old one kept until
// AM retires it; the wrong directions and tokens are refused.
func TestReplace(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	old := e.ds.TokensOf("jdoe")[0]
	pool, _ := o.Pool(ctx, rsa.PoolQuery{})
	res, err := o.Replace(ctx, old, pool[0].Serial, true)
	if err != nil || res.New.Token.AssignedUserID != "jdoe" || res.New.Token.ReplacementMode != 2 ||
		res.Old.Token.ReplacementMode != 1 || res.Old.Token.ReplaceSerial != pool[0].Serial || !res.New.Token.NewPinMode {
		t.Fatalf("replace: %v\nold %+v\nnew %+v", err, res.Old.Token, res.New.Token)
	}
	if st, _ := e.sim.Token(old); st.Owner != "jdoe" {
		t.Fatal("the old token was unassigned: AM retires it itself")
	}
	if _, err := o.Replace(ctx, old, pool[1].Serial, false); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "already being replaced") {
		t.Fatalf("twice: %v", err)
	}
	if _, err := o.Replace(ctx, pool[1].Serial, "", false); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "not assigned") {
		t.Fatalf("a pool token replaced: %v", err)
	}
	asmith := e.ds.TokensOf("asmith")
	if _, err := o.Replace(ctx, asmith[0], asmith[1], false); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "belongs to asmith") {
		t.Fatalf("with an assigned token: %v", err)
	}
	res, err = o.Replace(ctx, asmith[0], "", false)
	if err != nil || res.New.Token.AssignedUserID != "asmith" || res.New.Token.NewPinMode {
		t.Fatalf("next available: %v %+v", err, res.New.Token)
	}
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	if _, err := o.For(rsa.Actor{}, helpdesk).Replace(ctx, e.ds.TokensOf("cmueller")[0], "", false); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("helpdesk: %v", err)
	}
}

// A token AM retired after its replacement was used comes back to the
// pool flagged, last in the pool's order, never handed out as the next;
// assigning it by serial clears the PIN its previous holder left on it,
// and the plan the confirm showed says so.
func TestRetiredTokenInThePool(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	old := e.ds.TokensOf("jdoe")[0]
	r, err := o.Replace(ctx, old, "", false)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := codes(t, e, r.New.Token.Serial)
	if res := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); !res.Accepted {
		t.Fatalf("the replacement's first use: %+v", res)
	}
	pool, err := o.Pool(ctx, rsa.PoolQuery{})
	if err != nil {
		t.Fatal(err)
	}
	rsa.PoolOrder(pool)
	last := pool[len(pool)-1]
	if last.Serial != old || !last.Retired() || !last.PinSet {
		t.Fatalf("the pool's last: %+v (the retired token %s)", last, old)
	}
	if pool[0].Retired() || !pool[0].LastLogin.IsZero() {
		t.Fatalf("the pool's first: %+v", pool[0])
	}
	res, err := o.Assign(ctx, old, "fnotoken", false)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sim.Token(old); st.PinSet || !strings.Contains(res.Also, "cleared, fnotoken sets one") || res.After.Token.PinSet {
		t.Fatalf("AM %+v, said %q", st, res.Also)
	}
	if want := rsa.AssignPlan(true).Commands(); strings.Join(res.Commands, " ") != strings.Join(want, " ") {
		t.Fatalf("sent %v, the plan %v", res.Commands, want)
	}
}
