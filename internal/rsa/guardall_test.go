package rsa_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// Every action a site's policy can guard (verify.Guarded) refuses without
// the caller's checks — before AM is asked to change or generate anything,
// audited as refused — and passes the guard with them, the audit keeping
// which checks were done. A guarded action added without a line here
// fails the test.
func TestEveryGuardedActionNeedsItsChecks(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	log := withAudit(t, st.Ops)
	var c verify.Config
	c.Verify.Checks, c.Verify.Privileged = map[string][]string{}, map[string][]string{}
	for _, a := range verify.Guarded {
		c.Verify.Checks[string(a)], c.Verify.Privileged[string(a)] = []string{"ticket"}, []string{}
	}
	zero := 0
	c.Limits.PerAdmin, c.Limits.PerPerson = &zero, &zero
	p, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	st.Ops.Policy = &p
	o, ds := st.Ops, st.DS
	bg := context.Background()
	ticket := verify.Done{verify.Ticket: "INC1"}
	day := time.Now().Add(24 * time.Hour)
	jdoe, asmith := ds.TokensOf("jdoe")[0], ds.TokensOf("asmith")[0]
	dobrien := ds.TokensOf("dobrien")[0] // the demo's locked person, with bad tokencodes counted
	// asmith's token with a set of one-time codes on: what add-codes and
	// extend change
	if _, err := o.SetEmergencyAccess(rsa.WithCaller(bg, "asmith", ticket), rsa.EARequest{Serial: asmith, Mode: rsa.EAOneTimeCodes, Count: 2,
		IfAvailable: rsa.IfAvailableAllowAndEnd, Expires: day}); err != nil {
		t.Fatal(err)
	}
	ops := map[action.Name]struct {
		login string
		run   func(ctx context.Context) error
	}{
		action.EmergencyAccess: {"jdoe", func(ctx context.Context) error {
			_, err := o.SetEmergencyAccess(ctx, rsa.EARequest{Serial: jdoe, Mode: rsa.EAFixedCode, IfAvailable: rsa.IfAvailableAllowAndEnd, Expires: day})
			return err
		}},
		action.AddOneTimeCodes: {"asmith", func(ctx context.Context) error { _, err := o.AddOneTimeCodes(ctx, asmith, 2); return err }},
		action.ExtendEmergencyAccess: {"asmith", func(ctx context.Context) error {
			_, err := o.ExtendEmergencyAccess(ctx, asmith, day.Add(24*time.Hour))
			return err
		}},
		action.OfflinePasscode: {"jdoe", func(ctx context.Context) error {
			_, err := o.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: "jdoe", Expires: day})
			return err
		}},
		action.IssueSoftware: {"fnotoken", func(ctx context.Context) error {
			_, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "fnotoken", Via: rsa.ViaCTF})
			return err
		}},
		action.ClearPIN:      {"jdoe", func(ctx context.Context) error { _, err := o.ClearPIN(ctx, jdoe); return err }},
		action.RequireNewPIN: {"asmith", func(ctx context.Context) error { _, err := o.RequireNewPIN(ctx, asmith); return err }},
		action.Resync: {"jdoe", func(ctx context.Context) error {
			_, err := o.Resync(ctx, jdoe, rsa.Secret("123456"), rsa.Secret("234567"))
			return err
		}},
		action.Unlock:        {"dobrien", func(ctx context.Context) error { _, err := o.Unlock(ctx, "dobrien"); return err }},
		action.ClearBadCount: {"dobrien", func(ctx context.Context) error { _, err := o.ClearBadCount(ctx, dobrien); return err }},
		action.Replace: {"jdoe", func(ctx context.Context) error {
			_, err := o.Replace(ctx, jdoe, "", false)
			return err
		}},
	}
	for _, a := range verify.Guarded {
		if _, ok := ops[a]; !ok {
			t.Errorf("%s is guarded and not tested here", a)
		}
	}
	for _, a := range verify.Guarded {
		tc, ok := ops[a]
		if !ok {
			continue
		}
		t.Run(string(a), func(t *testing.T) {
			before := writes(st)
			err := tc.run(bg)
			if !errors.Is(err, rsa.ErrNotVerified) || !strings.Contains(err.Error(), "needs these checks of the caller first: ticket") {
				t.Fatalf("without the checks: %v", err)
			}
			if after := writes(st); after != before {
				t.Fatalf("refused, yet AM was asked to change or generate: %d commands", after-before)
			}
			entries, _ := audit.Tail(log.Path(), 0)
			if last := entries[len(entries)-1]; last.Outcome != audit.Refused || last.Params["action"] != string(a) || last.Params["person"] != tc.login {
				t.Fatalf("the refusal's audit line: %+v", last)
			}
			// someone else's checks do not count
			if err := tc.run(rsa.WithCaller(bg, "nobody", ticket)); !errors.Is(err, rsa.ErrNotVerified) {
				t.Fatalf("with another person's checks: %v", err)
			}
			err = tc.run(rsa.WithCaller(bg, tc.login, ticket))
			if errors.Is(err, rsa.ErrNotVerified) {
				t.Fatalf("with the checks: %v", err)
			}
			entries, _ = audit.Tail(log.Path(), 0)
			last := entries[len(entries)-1]
			if last.Params["verified"] != "ticket=INC1" || last.Params["action"] != string(a) {
				t.Fatalf("past the guard (%v), the audit line: %+v", err, last)
			}
		})
	}
}

// writes is how many commands AM was sent that change or generate.
func writes(st *stack.Stack) int64 {
	var n int64
	for cmd, c := range st.Sim.Stats().Commands {
		if !slices.ContainsFunc([]string{"Lookup", "List", "Search", "Get", "Login", "Logout", "Find"}, func(p string) bool { return strings.HasPrefix(cmd, p) }) {
			n += c
		}
	}
	return n
}
