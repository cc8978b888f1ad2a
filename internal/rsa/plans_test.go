package rsa_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Every change sends what its plan says, in order: the confirm shows the
// plan before the change runs, so a change that sent anything else would
// have told the person something untrue. Each operation is run against the
// simulator; what it records having sent and what AM received are both
// held to its plan.
func TestPlansAreWhatIsSent(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	tok := func(login string, i int) string { return e.ds.TokensOf(login)[i] }
	pool, err := o.Pool(ctx, rsa.PoolQuery{})
	if err != nil || len(pool) < 3 {
		t.Fatalf("pool: %d, %v", len(pool), err)
	}
	in2d := testNow.Add(48 * time.Hour)
	fixed := rsa.EARequest{Serial: tok("jdoe", 0), Mode: rsa.EAFixedCode, Expires: in2d, IfAvailable: rsa.IfAvailableAllowAndEnd}
	typed := rsa.EARequest{Serial: tok("asmith", 0), Mode: rsa.EAFixedCode, FixedCode: "abcd2345", Expires: in2d, IfAvailable: rsa.IfAvailableDeny}
	set := rsa.EARequest{Serial: tok("asmith", 0), Mode: rsa.EAOneTimeCodes, Count: 3, Expires: in2d, IfAvailable: rsa.IfAvailableAllowBoth}
	cur, next := codes(t, e, tok("cmueller", 0))
	replaced := e.ds.TokensOf("asmith")[1]
	cases := []struct {
		name string
		plan rsa.Plan
		run  func() ([]string, error)
	}{
		{"clear the PIN", rsa.PINPlan(true), func() ([]string, error) { r, err := o.ClearPIN(ctx, tok("jdoe", 0)); return r.Commands, err }},
		{"require a new PIN", rsa.PINPlan(false), func() ([]string, error) { r, err := o.RequireNewPIN(ctx, tok("asmith", 0)); return r.Commands, err }},
		{"disable", rsa.EnablePlan(false), func() ([]string, error) { r, err := o.SetEnabled(ctx, tok("jdoe", 0), false); return r.Commands, err }},
		{"enable", rsa.EnablePlan(true), func() ([]string, error) { r, err := o.SetEnabled(ctx, tok("jdoe", 0), true); return r.Commands, err }},
		{"resync", rsa.ResyncPlan(), func() ([]string, error) {
			r, err := o.Resync(ctx, tok("cmueller", 0), rsa.Secret(cur), rsa.Secret(next))
			return r.Commands, err
		}},
		{"clear the bad count", rsa.BadCountPlan(), func() ([]string, error) { r, err := o.ClearBadCount(ctx, tok("dobrien", 0)); return r.Commands, err }},
		{"unlock", rsa.UnlockPlan(), func() ([]string, error) { r, err := o.Unlock(ctx, "dobrien"); return r.Commands, err }},
		{"unassign", rsa.UnassignPlan(), func() ([]string, error) {
			r, err := o.Unassign(ctx, tok("bdisabled", 0), false)
			return r.Commands, err
		}},
		{"assign", rsa.AssignPlan(false), func() ([]string, error) {
			r, err := o.Assign(ctx, pool[0].Serial, "fnotoken", false)
			return r.Commands, err
		}},
		{"replace with the next", rsa.ReplacePlan("", ""), func() ([]string, error) { r, err := o.Replace(ctx, replaced, "", false); return r.Commands, err }},
		{"replace with a pool token", rsa.ReplacePlan(pool[2].Serial, ""), func() ([]string, error) {
			r, err := o.Replace(ctx, tok("jdoe", 0), pool[2].Serial, false)
			return r.Commands, err
		}},
		{"emergency access, a code AM generates", rsa.EAPlan(fixed, false), func() ([]string, error) { r, err := o.SetEmergencyAccess(ctx, fixed); return r.Commands, err }},
		{"emergency access, a code typed", rsa.EAPlan(typed, false), func() ([]string, error) { r, err := o.SetEmergencyAccess(ctx, typed); return r.Commands, err }},
		{"emergency access, one-time codes", rsa.EAPlan(set, false), func() ([]string, error) { r, err := o.SetEmergencyAccess(ctx, set); return r.Commands, err }},
		{"extend", rsa.ExtendPlan(), func() ([]string, error) {
			r, err := o.ExtendEmergencyAccess(ctx, set.Serial, testNow.Add(72*time.Hour))
			return r.Commands, err
		}},
		{"add codes", rsa.AddCodesPlan(2), func() ([]string, error) { r, err := o.AddOneTimeCodes(ctx, set.Serial, 2); return r.Commands, err }},
		{"end emergency access", rsa.EndEAPlan(false), func() ([]string, error) {
			r, err := o.ClearEmergencyAccess(ctx, set.Serial, nil)
			return r.Commands, err
		}},
	}
	if _, err := o.Token(ctx, tok("jdoe", 0)); err != nil { // the session and identity source, before tracing
		t.Fatal(err)
	}
	for _, c := range cases {
		e.sim.Trace()
		sent, err := c.run()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := c.plan.Commands()
		if !slices.Equal(sent, want) {
			t.Errorf("%s: recorded %v, the plan says %v", c.name, sent, want)
		}
		// what AM received: the plan's steps in order (within a step, in
		// any order), less the look-ups of the person the client keeps
		var got []string
		for _, s := range e.sim.Spans() {
			got = append(got, s.Command)
		}
		got = slices.DeleteFunc(got, func(c string) bool { return c == "GetIdentitySourcesCommand" || c == "SearchPrincipalsCommand" })
		at := 0
		for _, step := range c.plan {
			var names []string
			for range max(step.For, 1) {
				names = append(names, step.Commands...)
			}
			names = slices.DeleteFunc(names, func(c string) bool { return c == "GetIdentitySourcesCommand" || c == "SearchPrincipalsCommand" })
			if at+len(names) > len(got) {
				t.Errorf("%s: AM received %v, short of the plan's step %v", c.name, got, step.Commands)
				break
			}
			part := slices.Clone(got[at : at+len(names)])
			slices.Sort(part)
			slices.Sort(names)
			if !slices.Equal(part, names) {
				t.Errorf("%s: AM received %v where the plan says %v (all: %v)", c.name, part, names, got)
			}
			at += len(names)
		}
		if at != len(got) {
			t.Errorf("%s: AM received more than the plan: %v", c.name, got[at:])
		}
	}
	// a fresh read-ahead leaves the look-ups out of the plan and the change
	st, err := o.Token(ctx, tok("cmueller", 0))
	if err != nil {
		t.Fatal(err)
	}
	r := rsa.EARequest{Serial: st.Token.Serial, Mode: rsa.EAFixedCode, Expires: in2d, IfAvailable: rsa.IfAvailableAllowAndEnd, Read: &st}
	res, err := o.SetEmergencyAccess(ctx, r)
	if err != nil || strings.Join(res.Commands, " ") != strings.Join(rsa.EAPlan(r, true).Commands(), " ") {
		t.Fatalf("with the read-ahead: %v, sent %v, plan %v", err, res.Commands, rsa.EAPlan(r, true).Commands())
	}
}
