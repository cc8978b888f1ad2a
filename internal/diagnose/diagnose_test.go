package diagnose_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
)

type world struct {
	t  *testing.T
	st *stack.Stack
}

func start(t *testing.T) *world {
	t.Helper()
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 45})
	return &world{t: t, st: st}
}

// try sends a passcode for login: PIN + the token's code now when right,
// else a wrong one.
func (w *world) try(login string, right bool) rsa.PasscodeResult {
	w.t.Helper()
	return stacktest.Try(w.t, w.st, login, !right)
}

func (w *world) diagnose(login string) []diagnose.Finding {
	w.t.Helper()
	p := diagnose.Read(context.Background(), w.st.Dir, w.st.Ops, login, time.Now(), true)
	return diagnose.Diagnose(p)
}

// first checks the most likely cause: its words, severity and fix.
func first(t *testing.T, fs []diagnose.Finding, sev diagnose.Severity, fix action.Name, words ...string) {
	t.Helper()
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	f := fs[0]
	for _, w := range words {
		if !strings.Contains(f.Words, w) {
			t.Fatalf("first finding %q (%s), want it to say %q; all: %s", f.Words, f.Severity, w, dump(fs))
		}
	}
	if f.Severity != sev || f.Fix != fix {
		t.Fatalf("first finding %q: %s / fix %q, want %s / %q; all: %s", f.Words, f.Severity, f.Fix, sev, fix, dump(fs))
	}
}

func has(fs []diagnose.Finding, words string) bool {
	for _, f := range fs {
		if strings.Contains(f.Words, words) {
			return true
		}
	}
	return false
}

func dump(fs []diagnose.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  [" + f.Severity.String() + "] " + f.Words + " (fix " + string(f.Fix) + ")")
	}
	return b.String()
}

// Three wrong passcodes lock the person: the diagnosis says so first, with
// the count and the time, and unlock as the fix; after the unlock and a
// good passcode, nothing blocks and the last success is said.
func TestLockedByAM(t *testing.T) {
	w := start(t)
	if fs := w.diagnose("jdoe"); has(fs, "locked") || !has(fs, "the last successful login was ") {
		t.Fatalf("before: %s", dump(fs))
	}
	for range 3 {
		w.try("jdoe", false)
	}
	first(t, w.diagnose("jdoe"), diagnose.Blocking, action.Unlock, "locked by AM after 3 failed passcodes at ", "an administrator unlocks")
	if _, err := w.st.Ops.Unlock(context.Background(), "jdoe"); err != nil {
		t.Fatal(err)
	}
	// the token is in next-tokencode mode after the bad codes: AM asks for
	// the following code too
	serial := w.st.DS.TokensOf("jdoe")[0]
	cur, next, _ := w.st.Sim.Tokencodes(serial)
	r, err := w.st.Ops.TestPasscode(context.Background(), "jdoe", rsa.Secret(demo.DemoPIN+cur),
		func(context.Context, string) (rsa.Secret, error) { return rsa.Secret(next), nil })
	if err != nil || !r.Accepted {
		t.Fatalf("after the unlock: %v %+v", err, r)
	}
	fs := w.diagnose("jdoe")
	for _, f := range fs {
		if f.Severity == diagnose.Blocking {
			t.Fatalf("after the unlock and a good passcode: %s", dump(fs))
		}
	}
	if !has(fs, "the last successful login was at ") {
		t.Fatalf("no last success: %s", dump(fs))
	}
}

// Two wrong passcodes: the run of failures explains the latest attempt and
// comes first (resync as the fix); the token's next-tokencode mode follows.
func TestWrongPasscodesAndNextTokencodeMode(t *testing.T) {
	w := start(t)
	w.try("jdoe", false)
	w.try("jdoe", false)
	fs := w.diagnose("jdoe")
	first(t, fs, diagnose.Warning, action.Resync, "2 wrong passcodes since the last success")
	if !has(fs, "is in next-tokencode mode after 2 bad tokencodes") {
		t.Fatalf("no next-tokencode mode: %s", dump(fs))
	}
}

// A cleared PIN says when, and what the person does at the next login.
func TestPINCleared(t *testing.T) {
	w := start(t)
	serial := w.st.DS.TokensOf("jdoe")[0]
	if _, err := w.st.Ops.ClearPIN(context.Background(), serial); err != nil {
		t.Fatal(err)
	}
	fs := w.diagnose("jdoe")
	if !has(fs, "the PIN of the token ("+serial+") was cleared at ") || !has(fs, "logs in with the tokencode alone") {
		t.Fatalf("cleared PIN: %s", dump(fs))
	}
	// the person types PIN + code as before: refused, and the cleared PIN
	// explains it, ahead of "a wrong passcode"
	if r := w.try("jdoe", true); r.Accepted {
		t.Fatalf("the old PIN in front of the code was accepted: %+v", r)
	}
	first(t, w.diagnose("jdoe"), diagnose.Warning, action.None, "was cleared", "no PIN in front")
}

// A disabled token, tried: it comes first, with enable as the fix; a
// disabled AD account (bdisabled) and an expired token (eolsen) block.
func TestDisabledAndExpired(t *testing.T) {
	w := start(t)
	serial := w.st.DS.TokensOf("jdoe")[0]
	if _, err := w.st.Ops.SetEnabled(context.Background(), serial, false); err != nil {
		t.Fatal(err)
	}
	w.try("jdoe", true)
	first(t, w.diagnose("jdoe"), diagnose.Blocking, action.EnableDisable, "the token ("+serial+") is disabled (at ")
	if fs := w.diagnose("bdisabled"); !has(fs, "the AD account is disabled") {
		t.Fatalf("bdisabled: %s", dump(fs))
	}
	first(t, w.diagnose("eolsen"), diagnose.Blocking, action.Replace, "expired on ")
	first(t, w.diagnose("fnotoken"), diagnose.Blocking, action.AssignFromPool, "no token is assigned")
	if fs := w.diagnose("nobody-here"); !has(fs, "the directory has no account nobody-here") || !has(fs, "AM does not know nobody-here") {
		t.Fatalf("unknown person: %s", dump(fs))
	}
}

// Emergency access: while on, how the person logs in; ended by the
// token's use (lostMode 1), it says so and offers to give it again.
func TestEmergencyAccessEndedByTheToken(t *testing.T) {
	w := start(t)
	serial := w.st.DS.TokensOf("jdoe")[0]
	_, err := w.st.Ops.SetEmergencyAccess(context.Background(), rsa.EARequest{Serial: serial, Mode: rsa.EAFixedCode,
		Expires: time.Now().Add(72 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd})
	if err != nil {
		t.Fatal(err)
	}
	if fs := w.diagnose("jdoe"); !has(fs, "emergency access is on for the token") || !has(fs, "the token's own first use ends it") {
		t.Fatalf("on: %s", dump(fs))
	}
	w.try("jdoe", true)
	fs := w.diagnose("jdoe")
	if !has(fs, "emergency access ended when the token was used at ") {
		t.Fatalf("ended by the token: %s", dump(fs))
	}
	for _, f := range fs {
		if strings.Contains(f.Words, "emergency access ended") && f.Fix != action.EmergencyAccess {
			t.Fatalf("fix %q", f.Fix)
		}
	}
}

// AD's own reasons, from the directory in full (Lookup): an expired
// account blocks; a password to change is said as such; a disabled
// account says when it was last changed (AD keeps no date of the disabling).
func TestADAccount(t *testing.T) {
	w := start(t)
	var must, expired string
	for _, p := range w.st.DS.People {
		if p.MustChangePassword && must == "" {
			must = p.Login
		}
		if !p.AccountExpires.IsZero() && p.AccountExpires.Before(time.Now()) && expired == "" {
			expired = p.Login
		}
	}
	if must == "" || expired == "" {
		t.Fatal("the data set has no one who must change the password, or whose account expired")
	}
	if fs := w.diagnose(must); !has(fs, "AD asks for a new Windows password at the next logon") {
		t.Fatalf("%s: %s", must, dump(fs))
	}
	if fs := w.diagnose(expired); !has(fs, "the AD account expired on ") {
		t.Fatalf("%s: %s", expired, dump(fs))
	}
	if fs := w.diagnose("bdisabled"); !has(fs, "the AD account is disabled: the directory team enables it (the account was last changed ") {
		t.Fatalf("bdisabled: %s", dump(fs))
	}
	// locked 55 minutes before the data set was made: "yesterday" in the first hour of a day
	if fs := w.diagnose("dobrien"); !has(fs, "the AD account is locked (too many bad Windows passwords), locked at ") &&
		!has(fs, "the AD account is locked (too many bad Windows passwords), locked yesterday at ") {
		t.Fatalf("dobrien: %s", dump(fs))
	}
}

// New-PIN mode says what AM will ask; a tokencode used twice says to wait
// for the next one, and explains that refusal first.
func TestNewPINModeAndReplay(t *testing.T) {
	w := start(t)
	serial := w.st.DS.TokensOf("jdoe")[0]
	if _, err := w.st.Ops.RequireNewPIN(context.Background(), serial); err != nil {
		t.Fatal(err)
	}
	if fs := w.diagnose("jdoe"); !has(fs, "AM asks for a new PIN on the token ("+serial+") at the next login") {
		t.Fatalf("new-PIN mode: %s", dump(fs))
	}
	a := w.st.DS.TokensOf("cmueller")[0]
	code, _, _ := w.st.Sim.Tokencodes(a)
	for range 2 {
		if _, err := w.st.Ops.TestPasscode(context.Background(), "cmueller", rsa.Secret(demo.DemoPIN+code), nil); err != nil {
			t.Fatal(err)
		}
	}
	first(t, w.diagnose("cmueller"), diagnose.Warning, action.None, "a tokencode was used twice at ")
}

// A blocker comes before a warning, even when the warning explains the
// latest attempt (a disabled token was listed under "2 wrong passcodes");
// and wrong passcodes whose count an admin cleared since are a fact, no
// longer a warning that offers a resync (it stayed after n · y).
func TestBlockersFirstAndNoStaleWarning(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	serial := w.st.DS.TokensOf("jdoe")[0]
	w.try("jdoe", false)
	w.try("jdoe", false)
	first(t, w.diagnose("jdoe"), diagnose.Warning, action.Resync, "2 wrong passcodes since the last success")
	if _, err := w.st.Ops.SetEnabled(ctx, serial, false); err != nil {
		t.Fatal(err)
	}
	// the latest refused attempt is still a wrong passcode, which the
	// warning explains: the disabled token comes first all the same
	first(t, w.diagnose("jdoe"), diagnose.Blocking, action.EnableDisable, "is disabled")
	if _, err := w.st.Ops.SetEnabled(ctx, serial, true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Ops.ClearBadCount(ctx, serial); err != nil {
		t.Fatal(err)
	}
	fs := w.diagnose("jdoe")
	for _, f := range fs {
		if strings.Contains(f.Words, "wrong passcode") && (f.Severity != diagnose.Info || f.Fix != action.None || !strings.Contains(f.Words, "cleared since")) {
			t.Fatalf("after the count was cleared: %s", dump(fs))
		}
	}
}

// A one-time emergency code said twice is diagnosed as such, with o (more
// codes) as its fix — it was "wrong passcode … a resync tells", and the
// dashboard offered s.
func TestReusedOneTimeCode(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	serial := w.st.DS.TokensOf("jdoe")[0]
	res, err := w.st.Ops.SetEmergencyAccess(ctx, rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 3,
		Expires: time.Now().Add(48 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd})
	if err != nil {
		t.Fatal(err)
	}
	code := demo.DemoPIN + res.Codes[0].Reveal()
	for i := range 3 {
		if r, err := w.st.Ops.TestPasscode(ctx, "jdoe", rsa.Secret(code), nil); err != nil || r.Accepted != (i == 0) {
			t.Fatalf("try %d: %+v %v", i, r, err)
		}
	}
	first(t, w.diagnose("jdoe"), diagnose.Warning, action.AddOneTimeCodes, "while one-time emergency codes are on: a code used once does not work again")
}

// "It works on the portal, not on the VPN": refused at the restricted VPN,
// the dashboard's first line names the agent's rule and its fix (AM asked,
// TestAccessInfoCommand); once the directory has them in the group, it
// says AM lets them in there now.
func TestRefusedByARestrictedAgent(t *testing.T) {
	w := start(t)
	pass, err := w.st.Passcode("asmith", false)
	if err != nil {
		t.Fatal(err)
	}
	if state := w.st.Sim.Authenticate("asmith", pass.Reveal(), demo.VPNAgent, "10.1.2.3"); state == amproto.StateAuthenticated {
		t.Fatal("the VPN let asmith in")
	}
	first(t, w.diagnose("asmith"), diagnose.Blocking, action.None,
		"not allowed at "+demo.VPNAgent+" (restricted: VPN Users, Contractors Mon-Fri 07:00-19:00): add them to VPN Users in AD or ask an AM admin to link a group",
		"other agents are not affected")
	if err := w.st.Directory.AddMember(demo.VPNGroup, "asmith"); err != nil {
		t.Fatal(err)
	}
	fs := w.diagnose("asmith")
	if !has(fs, "AM lets them in there now (allowed at "+demo.VPNAgent+" through VPN Users): they can try again") || fs[0].Severity == diagnose.Blocking {
		t.Fatalf("after joining VPN Users: %s", dump(fs))
	}
}

// "It worked yesterday": who changed the token is on the dashboard, from
// AM's administration log, with what it means for the person.
func TestWhoChangedIt(t *testing.T) {
	w := start(t)
	serial := w.st.DS.TokensOf("jdoe")[0]
	if _, err := w.st.Ops.ClearPIN(context.Background(), serial); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Ops.SetEnabled(context.Background(), serial, false); err != nil {
		t.Fatal(err)
	}
	fs := w.diagnose("jdoe")
	for _, words := range []string{
		demo.AdminUser + " cleared the PIN of token " + serial + " at ",
		": they set a new PIN at the next login",
		demo.AdminUser + " disabled token " + serial + " at ",
	} {
		if !has(fs, words) {
			t.Fatalf("the diagnosis does not say %q: %s", words, dump(fs))
		}
	}
	// somebody else's changes are not theirs
	if fs := w.diagnose("asmith"); has(fs, "cleared the PIN") {
		t.Fatalf("asmith: %s", dump(fs))
	}
}
