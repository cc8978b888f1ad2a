package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

func newOps(t *testing.T, opt amsim.Options, mutate ...func(*rsa.Config)) (*rsa.Ops, *env) {
	t.Helper()
	e := newEnv(t, opt, mutate...)
	o := rsa.NewOps(e.client)
	o.Now = e.clock.Now
	o.SettleDelay = 300 * time.Millisecond
	return o, e
}

func tft(serial string, days int) rsa.EARequest {
	return rsa.EARequest{Serial: serial, Mode: rsa.EAFixedCode,
		Expires: testNow.Add(time.Duration(days) * 24 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}
}

func TestPrincipalResolution(t *testing.T) {
	o, _ := newOps(t, amsim.Options{})
	ctx := context.Background()
	p, err := o.Principal(ctx, "jdoe")
	if err != nil || p.UserID != "jdoe" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := o.Principal(ctx, "ghost"); !errors.Is(err, rsa.ErrNotInAM) {
		t.Fatalf("unknown: %v", err)
	}
	o.IdentitySource = "No Such Source"
	o2, _ := newOps(t, amsim.Options{})
	o2.IdentitySource = "No Such Source"
	if _, err := o2.Principal(ctx, "jdoe"); !errors.Is(err, rsa.ErrNotFound) || !strings.Contains(err.Error(), "Corporate AD") {
		t.Fatalf("bad source name: %v", err)
	}
	_, toks, err := o.UserTokens(ctx, "asmith")
	if err != nil || len(toks) != 2 {
		t.Fatalf("%v %v", toks, err)
	}
}

func TestSetTemporaryFixedCodeGeneratedAndChosen(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	res, err := o.SetEmergencyAccess(ctx, tft(serial, 14))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand", "GenerateEmergencyAccessCodeCommand",
		"UpdateTokenEmergencyAccessCommand", "LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}
	if strings.Join(res.Commands, ",") != strings.Join(want, ",") {
		t.Fatalf("commands %v", res.Commands)
	}
	if len(res.Codes) != 1 || !res.After.EA.Active() || res.Before.EA.Active() || res.After.EA.TemporaryFixedTokencode != res.Codes[0] {
		t.Fatalf("result %+v", res)
	}
	st, _ := e.sim.Token(serial)
	if st.TFT != res.Codes[0].Reveal() || st.LostMode != rsa.IfAvailableAllowAndEnd || !st.EAExpiration.Equal(testNow.Add(14*24*time.Hour-rsa.ExpiryMargin)) {
		t.Fatalf("server state %+v", st)
	}
	// admin-chosen code, no expiration, deny the token
	r := tft(serial, 0)
	r.Expires, r.FixedCode, r.IfAvailable = time.Time{}, "Abcd2345", rsa.IfAvailableDeny
	res, err = o.SetEmergencyAccess(ctx, r)
	if err != nil || res.Codes[0] != "Abcd2345" {
		t.Fatalf("%v %v", res, err)
	}
	if st, _ := e.sim.Token(serial); st.TFT != "Abcd2345" || !st.EAExpiration.IsZero() || st.LostMode != rsa.IfAvailableDeny {
		t.Fatalf("server state %+v", st)
	}
	res, err = o.ClearEmergencyAccess(ctx, serial, nil)
	if err != nil || res.After.EA.Active() || !res.Before.EA.Active() {
		t.Fatalf("clear: %+v %v", res, err)
	}
	if st, _ := e.sim.Token(serial); st.Lost || st.TFT != "" {
		t.Fatalf("server state after clear %+v", st)
	}
}

func TestOneTimeCodes(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	serial := e.ds.TokensOf("cmueller")[0]
	r := rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 10, IfAvailable: rsa.IfAvailableAllowBoth,
		Expires: testNow.Add(48 * time.Hour)}
	res, err := o.SetEmergencyAccess(context.Background(), r)
	if err != nil || len(res.Codes) != 10 || res.After.EA.NumUnusedCodes != 10 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestRefusalsBeforeAnyAMCall(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	bad := map[string]rsa.EARequest{
		"past expiry":      tft(serial, -1),
		"beyond 14 days":   tft(serial, 15),
		"short code":       func() rsa.EARequest { r := tft(serial, 1); r.FixedCode = "abc12"; return r }(),
		"digits only":      func() rsa.EARequest { r := tft(serial, 1); r.FixedCode = "12345678"; return r }(),
		"symbols":          func() rsa.EARequest { r := tft(serial, 1); r.FixedCode = "abc-1234"; return r }(),
		"no mode":          {Serial: serial, IfAvailable: rsa.IfAvailableAllowAndEnd},
		"no policy":        func() rsa.EARequest { r := tft(serial, 1); r.IfAvailable = 0; return r }(),
		"zero codes":       {Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 0, IfAvailable: rsa.IfAvailableAllowAndEnd},
		"too many codes":   {Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 101, IfAvailable: rsa.IfAvailableAllowAndEnd},
		"malformed serial": tft("12ab", 1),
	}
	before := e.client.Stats().RoundTrips
	for name, r := range bad {
		if _, err := o.SetEmergencyAccess(ctx, r); !errors.Is(err, rsa.ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := e.client.Stats().RoundTrips - before; n != 0 {
		t.Fatalf("%d AM calls for invalid input", n)
	}
	// rules AM knows about the token
	if _, err := o.SetEmergencyAccess(ctx, tft(e.ds.TokensOf("eolsen")[0], 1)); !errors.Is(err, rsa.ErrTokenNotReady) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
	pool := e.ds.Tokens[len(e.ds.Tokens)-1].Serial
	if _, err := o.SetEmergencyAccess(ctx, tft(pool, 1)); !errors.Is(err, rsa.ErrTokenNotReady) || !strings.Contains(err.Error(), "not assigned") {
		t.Fatalf("unassigned token: %v", err)
	}
	if _, err := o.SetEmergencyAccess(ctx, tft("999999999999", 1)); !errors.Is(err, rsa.ErrNotFound) {
		t.Fatalf("unknown serial: %v", err)
	}
	o.ReadOnly = true
	if _, err := o.SetEmergencyAccess(ctx, tft(serial, 1)); !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
}

func TestWriteFaultsNeverHalfApply(t *testing.T) {
	ctx := context.Background()
	t.Run("reply lost after the update was applied", func(t *testing.T) {
		o, e := newOps(t, amsim.Options{})
		serial := e.ds.TokensOf("jdoe")[0]
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.DropAfter})
		res, err := o.SetEmergencyAccess(ctx, tft(serial, 3))
		if err != nil || !res.After.EA.Active() || !strings.Contains(res.Note, "applied") || len(res.Codes) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if e.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"] != 1 {
			t.Fatal("the write was resent")
		}
	})
	t.Run("reply lost, update not applied", func(t *testing.T) {
		o, e := newOps(t, amsim.Options{})
		serial := e.ds.TokensOf("jdoe")[0]
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Drop})
		res, err := o.SetEmergencyAccess(ctx, tft(serial, 3))
		// never "not applied": AM may still apply a request whose reply was lost;
		// the code stays with the caller, marked as possibly active
		if !errors.Is(err, rsa.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "MAY BE ACTIVE") ||
			!strings.Contains(err.Error(), "eaMode") || res.After.EA.Active() || len(res.Codes) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if st, _ := e.sim.Token(serial); st.Lost {
			t.Fatal("half applied")
		}
	})
	t.Run("the update times out", func(t *testing.T) {
		o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.Timeout = 200 * time.Millisecond })
		serial := e.ds.TokensOf("jdoe")[0]
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Delay, Delay: time.Second})
		res, err := o.SetEmergencyAccess(ctx, tft(serial, 3))
		// the simulator applies the update after the client gave up; the re-read decides
		if e.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"] != 1 {
			t.Fatal("the write was resent")
		}
		if err := e.sim.WaitIdle(ctx); err != nil { // the final state: AM is done with the update
			t.Fatal(err)
		}
		st, _ := e.sim.Token(serial)
		if err != nil {
			// unknown: the code is kept (it may be, and here is, active)
			if !errors.Is(err, rsa.ErrOutcomeUnknown) || len(res.Codes) != 1 || (st.Lost && st.TFT != res.Codes[0].Reveal()) {
				t.Fatalf("outcome unknown, but the server state is %+v: %v %+v", st, err, res)
			}
		} else if !res.After.EA.Active() || !st.Lost || !strings.Contains(res.Note, "applied") {
			t.Fatalf("reported applied but %+v / %+v", res, st)
		}
	})
	t.Run("session expires between the generate and the update", func(t *testing.T) {
		o, e := newOps(t, amsim.Options{})
		serial := e.ds.TokensOf("jdoe")[0]
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.ExpireSession})
		res, err := o.SetEmergencyAccess(ctx, tft(serial, 3))
		if err != nil || !res.After.EA.Active() || e.client.Stats().Logins != 2 {
			t.Fatalf("%+v %v logins=%d", res, err, e.client.Stats().Logins)
		}
	})
	t.Run("HTTP 500 on the update", func(t *testing.T) {
		o, e := newOps(t, amsim.Options{})
		serial := e.ds.TokensOf("jdoe")[0]
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.HTTP500})
		res, err := o.SetEmergencyAccess(ctx, tft(serial, 3))
		// an HTML error page instead of a SOAP reply says nothing of the outcome
		if !errors.Is(err, rsa.ErrOutcomeUnknown) || res.After.EA.Active() || len(res.Codes) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if st, _ := e.sim.Token(serial); st.Lost {
			t.Fatal("half applied")
		}
	})
}

// For gives each SSH session its own actor and read-only setting over one
// shared client: one login, one identity-source lookup, audit lines that say
// who did what, and a read-only that cannot be lifted.
func TestOpsForSharesClientNotActor(t *testing.T) {
	base, e := newOps(t, amsim.Options{})
	log := withAudit(t, base)
	ctx := context.Background()
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	alice := base.For(rsa.Actor{OSUser: "svc", SSHUser: "alice", KeyFP: "SHA256:alice"}, rsa.AllowAll())
	bob := base.For(rsa.Actor{OSUser: "svc", SSHUser: "bob", KeyFP: "SHA256:bob"}, viewer)
	serial := e.ds.TokensOf("jdoe")[0]
	if _, _, err := alice.UserTokens(ctx, "jdoe"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.UserTokens(ctx, "jdoe"); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Stats().Commands["GetIdentitySourcesCommand"]; n != 1 {
		t.Errorf("identity sources looked up %d times for two people, want once", n)
	}
	if n := e.client.Stats().Logins; n != 1 {
		t.Errorf("%d AM logins for two people, want 1", n)
	}
	if _, err := bob.SetEmergencyAccess(ctx, tft(serial, 1)); !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("helpdesk write: %v", err)
	}
	if _, err := alice.SetEmergencyAccess(ctx, tft(serial, 1)); err != nil {
		t.Fatalf("admin write: %v", err)
	}
	if base.ReadOnly = true; !base.For(rsa.Actor{}, rsa.AllowAll()).ReadOnly {
		t.Error("For lifted the server's read-only setting")
	}
	entries, err := audit.Tail(log.Path(), 10)
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit: %v %+v", err, entries)
	}
	if entries[0].SSHUser != "bob" || entries[0].KeyFP != "SHA256:bob" || entries[0].Outcome != audit.Refused ||
		entries[1].SSHUser != "alice" || entries[1].Outcome != audit.OK {
		t.Errorf("audit lines do not name the person: %+v", entries)
	}
}

// Both expiry refusals name the moment the same way, as every screen does
// (rsa.TimeLayout; the past-date one used RFC 3339).
func TestExpiryRefusalsShowOneFormat(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	serial := e.ds.TokensOf("jdoe")[0]
	past, far := tft(serial, 3), tft(serial, 30)
	past.Expires = testNow.Add(-time.Hour)
	for _, c := range []struct {
		r    rsa.EARequest
		want string
	}{{past, testNow.Add(-time.Hour).Local().Format(rsa.TimeLayout)}, {far, o.LatestExpiry().Local().Format(rsa.TimeLayout)}} {
		err := o.Validate(c.r)
		if !errors.Is(err, rsa.ErrInvalidInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want the moment as %q", err, c.want)
		}
	}
}
