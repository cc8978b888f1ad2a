package rsa_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// code is the tokencode serial shows now (current) and next.
func codes(t *testing.T, e *env, serial string) (string, string) {
	t.Helper()
	cur, next, err := e.sim.Tokencodes(serial)
	if err != nil {
		t.Fatal(err)
	}
	return cur, next
}

func testPasscode(t *testing.T, o *rsa.Ops, login, passcode string, next func() string) rsa.PasscodeResult {
	t.Helper()
	var ask func(context.Context, string) (rsa.Secret, error)
	if next != nil {
		ask = func(context.Context, string) (rsa.Secret, error) { return rsa.Secret(next()), nil }
	}
	res, err := o.TestPasscode(context.Background(), login, rsa.Secret(passcode), ask)
	if err != nil {
		t.Fatalf("passcode test of %s: %v", login, err)
	}
	return res
}

// AM's runtime rules in the simulator, each through a passcode test
// as the help desk runs it: PIN + tokencode accepted; the same code again
// is a replay; two bad passcodes put the token in next-tokencode mode, and
// the right passcode then asks for the next tokencode, which clears it; a
// third bad passcode locks the person; every attempt is in the activity
// monitor with AM's wording, oldest first.
func TestPasscodeRules(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	serial := e.ds.TokensOf("jdoe")[0]
	cur, _ := codes(t, e, serial)
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); !r.Accepted || r.Reason != "PASSCODE_ACCEPTED" || r.Words != "accepted: AM took the passcode" || r.Event.Token != serial {
		t.Fatalf("PIN + tokencode: %+v", r)
	}
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); r.Accepted || r.Reason != "PASSCODE_REUSED" {
		t.Fatalf("the same code again: %+v", r)
	}
	// a replay counts on the person; a good passcode a minute later clears it
	e.clock.Add(time.Minute)
	cur, next := codes(t, e, serial)
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); !r.Accepted {
		t.Fatalf("the next minute's code: %+v", r)
	}
	if r := testPasscode(t, o, "jdoe", "9999"+next, nil); r.Accepted || r.Reason != "BAD_PASSCODE" || !strings.Contains(r.Words, "wrong passcode") {
		t.Fatalf("wrong PIN: %+v", r)
	}
	testPasscode(t, o, "jdoe", demo.DemoPIN+"00000000", nil)
	if st, _ := e.sim.Token(serial); !st.NextTokencodeMode || st.BadCodeCount != 2 {
		t.Fatalf("after two bad passcodes: %+v", st)
	}
	e.clock.Add(time.Minute) // the token shows a new code
	cur, next = codes(t, e, serial)
	r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, func() string { return next })
	if !r.Accepted {
		t.Fatalf("right passcode + next tokencode in next-tokencode mode: %+v", r)
	}
	if st, _ := e.sim.Token(serial); st.NextTokencodeMode || st.BadCodeCount != 0 {
		t.Fatalf("next-tokencode mode stayed: %+v", st)
	}
	// without an answer for the next tokencode, the test says what AM asks
	testPasscode(t, o, "jdoe", "1111"+cur, nil)
	testPasscode(t, o, "jdoe", "1111"+cur, nil)
	e.clock.Add(2 * time.Minute)
	cur, _ = codes(t, e, serial)
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); r.Accepted || r.Reason != "NEXT_TOKENCODE_REQUIRED" {
		t.Fatalf("next tokencode asked, no answer: %+v", r)
	}
	// the lockout: wrong passcodes count on the person
	for range 3 {
		testPasscode(t, o, "jdoe", "1111"+cur, nil)
	}
	if p := e.principal(t, "jdoe"); !p.Locked {
		t.Fatalf("three bad passcodes did not lock: %+v", p)
	}
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil); r.Accepted || r.Reason != "USER_LOCKED" || r.Fix != action.Unlock {
		t.Fatalf("locked: %+v", r)
	}
	evs, err := o.Activity(context.Background(), "jdoe", testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, ev := range evs {
		keys = append(keys, ev.ResultKey)
		if i > 0 && !ev.At.After(evs[i-1].At) {
			t.Fatalf("not oldest first: %v then %v", evs[i-1].At, ev.At)
		}
		if ev.User != "jdoe" || ev.Agent != rsa.PasscodeAgent || ev.Message == "" {
			t.Fatalf("record %+v", ev)
		}
	}
	for _, want := range []string{"PASSCODE_ACCEPTED", "PASSCODE_REUSED", "BAD_PASSCODE", "NEXT_TOKENCODE_MODE", "NEXT_TOKENCODE_REQUIRED", "USER_LOCKED_OUT", "USER_LOCKED"} {
		if !strings.Contains(" "+strings.Join(keys, " ")+" ", " "+want+" ") {
			t.Errorf("no %s in the activity: %v", want, keys)
		}
	}
	// a wrong next tokencode locks the person at once (one try)
	o2, e2 := newOps(t, amsim.Options{})
	s2 := e2.ds.TokensOf("jdoe")[0]
	cur, _ = codes(t, e2, s2)
	testPasscode(t, o2, "jdoe", "1111"+cur, nil)
	testPasscode(t, o2, "jdoe", "1111"+cur, nil)
	e2.clock.Add(time.Minute)
	cur, _ = codes(t, e2, s2)
	if r := testPasscode(t, o2, "jdoe", demo.DemoPIN+cur, func() string { return "00000000" }); r.Accepted || r.Reason != "USER_LOCKED_OUT" {
		t.Fatalf("wrong next tokencode: %+v", r)
	}
	if !e2.principal(t, "jdoe").Locked {
		t.Fatal("a wrong next tokencode did not lock")
	}
}

// Emergency access at runtime: PIN + the temporary code works; when the
// token itself is used, lostMode decides — 1 ends emergency access, 2
// refuses the token until it expires, 3 lets both work.
func TestPasscodeEmergencyAccess(t *testing.T) {
	for _, c := range []struct {
		lost      amproto.LostMode
		tokenOK   bool
		eaOnAfter bool
	}{
		{rsa.IfAvailableAllowAndEnd, true, false},
		{rsa.IfAvailableDeny, false, true},
		{rsa.IfAvailableAllowBoth, true, true},
	} {
		o, e := newOps(t, amsim.Options{})
		serial := e.ds.TokensOf("jdoe")[0]
		r := tft(serial, 3)
		r.IfAvailable = c.lost
		ea, err := o.SetEmergencyAccess(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		code := ea.Codes[0].Reveal()
		if res := testPasscode(t, o, "jdoe", demo.DemoPIN+code, nil); !res.Accepted || res.Reason != "EMERGENCY_CODE_ACCEPTED" {
			t.Fatalf("lostMode %d, emergency code: %+v", c.lost, res)
		}
		if res := testPasscode(t, o, "jdoe", code, nil); res.Accepted {
			t.Fatalf("lostMode %d: the emergency code without the PIN was accepted", c.lost)
		}
		cur, _ := codes(t, e, serial)
		res := testPasscode(t, o, "jdoe", demo.DemoPIN+cur, nil)
		if res.Accepted != c.tokenOK {
			t.Fatalf("lostMode %d, the token itself: %+v", c.lost, res)
		}
		if st, _ := e.sim.Token(serial); (st.EAMode != rsa.EAOff) != c.eaOnAfter {
			t.Fatalf("lostMode %d: emergency access after the token's use: %+v", c.lost, st)
		}
	}
}

// A cleared PIN: the tokencode alone is right, and AM then asks for a new
// PIN — the test stops there and says the person sets it. A replacement's
// first use retires the old token. Bad input is refused before AM, and a
// viewer may not test; the passcode reaches neither audit nor error.
func TestPasscodeNewPINReplacementAndInput(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	log := withAudit(t, o)
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	if _, err := o.ClearPIN(ctx, serial); err != nil {
		t.Fatal(err)
	}
	cur, _ := codes(t, e, serial)
	if r := testPasscode(t, o, "jdoe", cur, nil); r.Accepted || r.Reason != "NEW_PIN_REQUIRED" || !strings.Contains(r.Words, "sets it at their next login") {
		t.Fatalf("cleared PIN: %+v", r)
	}

	old := e.ds.TokensOf("cmueller")[0]
	rep, err := o.Replace(ctx, old, "", false)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := codes(t, e, rep.New.Token.Serial)
	if r := testPasscode(t, o, "cmueller", demo.DemoPIN+now, nil); !r.Accepted {
		t.Fatalf("replacement's first use: %+v", r)
	}
	if st, _ := e.sim.Token(old); st.Owner != "" {
		t.Fatalf("the old token is still %s's after the replacement's first use", st.Owner)
	}
	if _, toks, _ := o.UserTokens(ctx, "cmueller"); len(toks) != 1 || toks[0].Serial != rep.New.Token.Serial {
		t.Fatalf("cmueller holds %+v", toks)
	}

	for in, want := range map[string]string{"": "give the passcode", "24 68 12": "letters and digits only", "12345": "6 to 24"} {
		if _, err := o.TestPasscode(ctx, "jdoe", rsa.Secret(in), nil); !errors.Is(err, rsa.ErrInvalidInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	if _, err := o.For(rsa.Actor{}, viewer).TestPasscode(ctx, "jdoe", rsa.Secret(demo.DemoPIN+cur), nil); !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}
	raw, err := os.ReadFile(log.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), cur) || strings.Contains(string(raw), now) || !strings.Contains(string(raw), "auth.test") {
		t.Fatalf("audit:\n%s", raw)
	}
}

// The activity monitor's paging (helpdesk-ops §9): lastLogTime is UTC with
// milliseconds and the records after it come oldest first. The help-desk
// read asks for the console's fetch block (50) and doubles while the page
// comes back full; the live poll starts at 2, as the public client does —
// either way a burst larger than a page is read whole. An unparsable
// lastLogTime is AM's InvalidArgument.
func TestActivityPaging(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	for range 60 {
		testPasscode(t, o, "asmith", "9999"+"00000000", nil)
	}
	monitor := func() int64 { return e.sim.Stats().Commands[amproto.ActivityMonitorCommand.Local] }
	before := monitor()
	evs, err := o.Activity(ctx, "asmith", testNow.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	locked := 0
	for _, ev := range evs {
		if ev.ResultKey == "USER_LOCKED" {
			locked++
		}
	}
	// 1 bad; 2 bad + next-tokencode mode; 3 bad + locked out; 57 refused as locked
	if len(evs) != 62 || locked != 57 {
		t.Fatalf("%d records (%d refused as locked), want 62 (57)", len(evs), locked)
	}
	if n := monitor() - before; n != 2 { // 50 (full), then 100
		t.Fatalf("the help-desk read took %d pages, want 2 (50 full, then 100)", n)
	}
	before = monitor()
	all, err := o.ActivityPoll(ctx, testNow.Add(-time.Minute)) // everybody's: the data set's own records of the minute too
	theirs := 0
	for _, ev := range all {
		if ev.User == "asmith" {
			theirs++
		}
	}
	if err != nil || theirs != 62 {
		t.Fatalf("the poll: %v, %d of asmith's records of %d", err, theirs, len(all))
	}
	// 2, 4, 8, … while full (a page of one instant is asked again larger,
	// from the same since), then the first page that is not full
	if n := monitor() - before; n < 2 || n > 8 {
		t.Fatalf("the poll of %d records took %d pages, want 2 to 8", len(all), n)
	}
	later, err := o.Activity(ctx, "asmith", evs[len(evs)-2].At)
	if err != nil || len(later) != 1 || later[0].GUID != evs[len(evs)-1].GUID {
		t.Fatalf("after the second to last: %v %+v", err, later)
	}
	if other, _ := o.Activity(ctx, "jdoe", testNow.Add(-time.Minute)); len(other) != 0 {
		t.Fatalf("jdoe's activity holds asmith's: %+v", other)
	}
	// a malformed lastLogTime, sent as the command itself carries it
	bad, err := amtypes.Complete(amproto.PartCommand, amproto.ActivityMonitorCommand, soapenc.Str("lastLogTime", "not a time"),
		soapenc.Int("logType", amproto.LogTypeRuntime), soapenc.Int("maxFetchSize", 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, bad); !errors.Is(err, rsa.ErrInvalidArgument) {
		t.Fatalf("bad lastLogTime: %v", err)
	}
}

// The demo's agents: a person logging in at an agent
// in-process is recorded with the agent and the client's address, under
// the same rules; a data set's history is seeded oldest first and read
// back as AM's records.
func TestAgentsAndSeededActivity(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	e.clock.Add(10 * time.Minute) // after the data set's own history
	past := testNow.Add(time.Minute)
	err := e.sim.SeedActivity(
		amsim.Activity{At: past, Login: "jdoe", Serial: "000100001007", Agent: "VPN gateway", Client: "10.20.0.7", Key: "PASSCODE_ACCEPTED"},
		amsim.Activity{At: past.Add(time.Minute), Login: "jdoe", Agent: "VPN gateway", Client: "10.20.0.7", Key: "BAD_PASSCODE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SeedActivity(amsim.Activity{At: past, Login: "jdoe", Key: "BAD_PASSCODE"}); err == nil {
		t.Fatal("a record older than the last was seeded")
	}
	if err := e.sim.SeedActivity(amsim.Activity{At: testNow, Login: "jdoe", Key: "NO_SUCH_EVENT"}); err == nil {
		t.Fatal("an unknown event was seeded")
	}
	cur, _ := codes(t, e, e.ds.TokensOf("jdoe")[0])
	if st := e.sim.Authenticate("jdoe", demo.DemoPIN+cur, "Citrix Gateway", "10.20.0.9"); st != amproto.StateAuthenticated {
		t.Fatalf("at an agent: %s", st)
	}
	if st := e.sim.Authenticate("jdoe", demo.DemoPIN+cur, "Citrix Gateway", "10.20.0.9"); st == amproto.StateAuthenticated {
		t.Fatal("the same code twice at an agent")
	}
	evs, err := o.Activity(ctx, "jdoe", testNow)
	if err != nil || len(evs) != 4 {
		t.Fatalf("%v %+v", err, evs)
	}
	if evs[0].ClientIP != "10.20.0.7" || evs[0].Agent != "VPN gateway" || evs[0].ResultKey != "PASSCODE_ACCEPTED" || !evs[0].At.Equal(past) {
		t.Fatalf("seeded: %+v", evs[0])
	}
	if evs[2].ClientIP != "10.20.0.9" || evs[2].Agent != "Citrix Gateway" || evs[2].Result != "Success" || evs[3].ResultKey != "PASSCODE_REUSED" {
		t.Fatalf("at the agent: %+v / %+v", evs[2], evs[3])
	}
}

// A passcode test whose reply is lost may have counted toward the
// lockout: AM's activity monitor then says what happened, and when it has
// no record the error says to look before testing again (outcome unknown).
func TestPasscodeLostReply(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	if _, err := o.Activity(ctx, "jdoe", testNow); err != nil { // logged in: the next LoginCommand is the passcode's
		t.Fatal(err)
	}
	e.sim.Inject(amsim.Rule{Command: amproto.LoginCommand, Action: amsim.DropAfter})
	res, err := o.TestPasscode(ctx, "jdoe", rsa.Secret(demo.DemoPIN+"00000000"), nil)
	if err != nil || res.Accepted || res.Reason != "BAD_PASSCODE" || !strings.HasPrefix(res.Words, "AM's reply was lost; its activity monitor recorded: refused: wrong passcode") {
		t.Fatalf("reply lost after AM took it: %v %+v", err, res)
	}
	e.sim.Inject(amsim.Rule{Command: amproto.LoginCommand, Action: amsim.Drop})
	_, err = o.TestPasscode(ctx, "jdoe", rsa.Secret(demo.DemoPIN+"00000000"), nil)
	if !errors.Is(err, rsa.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "look with rsatui activity jdoe") {
		t.Fatalf("reply lost, nothing recorded: %v", err)
	}
}

// What AM refuses before the code is even looked at: a disabled or
// expired token, a person with no token, a login AM does not know — each
// with its own reason and fix; and new-PIN mode asks for a PIN after the
// right passcode.
func TestPasscodeRefusedTokens(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	jdoe := e.ds.TokensOf("jdoe")[0]
	if _, err := o.SetEnabled(ctx, jdoe, false); err != nil {
		t.Fatal(err)
	}
	cur, _ := codes(t, e, jdoe)
	for _, c := range []struct {
		login, passcode, reason string
		fix                     action.Name
	}{
		{"jdoe", demo.DemoPIN + cur, "TOKEN_DISABLED", action.EnableDisable},
		{"eolsen", demo.DemoPIN + func() string { c, _ := codes(t, e, e.ds.TokensOf("eolsen")[0]); return c }(), "TOKEN_EXPIRED", action.Replace},
		{"fnotoken", demo.DemoPIN + "12345678", "NO_TOKEN", action.AssignFromPool},
	} {
		if r := testPasscode(t, o, c.login, c.passcode, nil); r.Accepted || r.Reason != c.reason || r.Fix != c.fix {
			t.Errorf("%s: %+v, want %s / %q", c.login, r, c.reason, c.fix)
		}
	}
	// somebody AM does not know: said as every verb says it, and no login
	// is sent to AM for them
	logins := e.sim.Stats().Commands["LoginCommand"]
	if _, err := o.TestPasscode(ctx, "nobody", rsa.Secret(demo.DemoPIN+"12345678"), nil); !errors.Is(err, rsa.ErrNotInAM) {
		t.Errorf("nobody: %v", err)
	}
	if _, err := o.Activity(ctx, "nobody", testNow.Add(-time.Hour)); !errors.Is(err, rsa.ErrNotInAM) {
		t.Errorf("nobody's activity: %v", err)
	}
	if got := e.sim.Stats().Commands["LoginCommand"]; got != logins {
		t.Errorf("%d LoginCommands sent for somebody AM does not know", got-logins)
	}
	as := e.ds.TokensOf("cmueller")[0]
	if _, err := o.RequireNewPIN(ctx, as); err != nil {
		t.Fatal(err)
	}
	cur, _ = codes(t, e, as)
	if r := testPasscode(t, o, "cmueller", demo.DemoPIN+cur, nil); r.Accepted || r.Reason != "NEW_PIN_REQUIRED" {
		t.Fatalf("new-PIN mode: %+v", r)
	}
}

// A set of one-time codes at runtime: PIN + a code works once, the set
// counts down, and a used code is refused.
func TestPasscodeOneTimeCodes(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	serial := e.ds.TokensOf("jdoe")[0]
	ea, err := o.SetEmergencyAccess(context.Background(), rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 3,
		Expires: testNow.Add(48 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd})
	if err != nil {
		t.Fatal(err)
	}
	code := ea.Codes[1].Reveal()
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+code, nil); !r.Accepted || r.Reason != "EMERGENCY_CODE_ACCEPTED" {
		t.Fatalf("a one-time code: %+v", r)
	}
	if st, _ := e.sim.Token(serial); st.UnusedOTTs != 2 {
		t.Fatalf("unused codes after one: %+v", st)
	}
	if r := testPasscode(t, o, "jdoe", demo.DemoPIN+code, nil); r.Accepted {
		t.Fatalf("a one-time code twice: %+v", r)
	}
}
