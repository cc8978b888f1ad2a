package ui_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/screentest"
)

// Clear a PIN from the token list: p → the confirm says what the
// person will have to do and which AM commands go → y → the result marks
// what changed; AM holds it. Requiring a new PIN on a token with no PIN is
// refused with why.
func TestClearPINFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "p clear the PIN")
	s.Send(key("p"))
	waitScreen(t, s, "Please confirm: clear the PIN", "tokencode alone (no PIN)", `pinIsSet=false, pin="", newPinMode=true`)
	s.Send(key("n"))
	waitScreen(t, s, "Cancelled: nothing was sent to AM.")
	serial := world.ds.TokensOf("jdoe")[0]
	if st, _ := world.sim.Token(serial); !st.PinSet {
		t.Fatal("a cancelled confirm cleared the PIN")
	}
	s.Send(key("p"))
	waitScreen(t, s, "Please confirm: clear the PIN")
	s.Send(key("y"))
	waitScreen(t, s, "Clear the PIN: done for token "+serial, regexp.MustCompile(`\* pinIsSet +no \(was yes\)`),
		regexp.MustCompile(`\* newPinMode +yes \(was no\)`), "Done: AM holds the state shown.")
	if st, _ := world.sim.Token(serial); st.PinSet || !st.NewPinMode {
		t.Fatalf("AM after clearing: %+v", st)
	}
	s.Send(key("enter"))
	waitScreen(t, s, "John Doe (jdoe)", "no/–")
	s.Send(key("P")) // the PIN is cleared: nothing to confirm (it confirmed, then AM's rule refused)
	waitScreen(t, s, "000100001007's PIN is cleared: AM asks jdoe for a new one at the next login.")
}

// A viewer is offered no PIN keys, and the key itself is refused.
func TestViewerCannotClearAPIN(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(true), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	if strings.Contains(s.screen(), "clear the PIN") {
		t.Fatal("a read-only session offers to clear PINs")
	}
	s.Send(key("p"))
	waitScreen(t, s, "read-only session: changes are disabled")
}

// Disable, enable and unassign from the console: d toggles, U
// unassigns (saying emergency access ends with it); the help desk is not
// offered them, and the operation refuses them too.
func TestEnableDisableUnassignFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 110, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	serial := world.ds.TokensOf("jdoe")[0]
	s.Send(key("d"))
	waitScreen(t, s, "Please confirm: disable the token", "EnableTokensCommand (enable=false)")
	s.Send(key("y"))
	waitScreen(t, s, "Disable the token: done for token "+serial, regexp.MustCompile(`\* tokenEnabled +no \(was yes\)`))
	if st, _ := world.sim.Token(serial); st.Enabled {
		t.Fatal("AM still has the token enabled")
	}
	s.Send(key("enter"))
	waitScreen(t, s, "disabled")
	s.Send(key("d"))
	waitScreen(t, s, "Please confirm: enable the token", "EnableTokensCommand (enable=true)")
	s.Send(key("y"))
	waitScreen(t, s, regexp.MustCompile(`\* tokenEnabled +yes \(was no\)`))
	s.Send(key("enter"))
	s.Send(key("U"))
	waitScreen(t, s, "Please confirm: unassign the token", "goes back to the token pool", "UnlinkTokensFromPrincipalsCommand")
	s.Send(key("y"))
	waitScreen(t, s, "Unassign the token: done for token "+serial)
	if st, _ := world.sim.Token(serial); st.Owner != "" {
		t.Fatalf("AM still has the token assigned to %s", st.Owner)
	}
}

// Resynchronize from the console: s → two masked codes → review →
// y → the token AM holds; wrong codes keep the form, emptied, with why.
func TestResyncFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	serial := world.ds.TokensOf("jdoe")[0]
	world.sim.SkewClock(serial, 40*time.Minute)
	cur, next, err := world.sim.Tokencodes(serial)
	if err != nil {
		t.Fatal(err)
	}
	s.Send(key("s"))
	waitScreen(t, s, "Resynchronize token "+serial)
	typeText(s, next)
	s.Send(key("tab"))
	typeText(s, cur)
	waitScreen(t, s, "Next one   "+strings.Repeat("*", len(cur))+" ")
	if strings.Contains(s.screen(), cur) || strings.Contains(s.screen(), next) {
		t.Fatal("a tokencode is shown")
	}
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: resynchronize the token", "ResynchronizeTokenCommand")
	s.Send(key("y"))
	waitScreen(t, s, "The token was not resynchronized", "consecutive codes of the token")
	typeText(s, cur)
	s.Send(key("tab"))
	typeText(s, next)
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: resynchronize the token")
	s.Send(key("y"))
	waitScreen(t, s, "Resynchronize the token: done for token "+serial, "Done: AM holds the state shown.")
}

// A person with no token gets one from the pool: the token list
// says how, A lists the unassigned tokens, enter and y assign the selected
// one, and the list shows it.
func TestAssignFromThePool(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "fnotoken", "Fatima Notoken")
	waitScreen(t, s, "fnotoken has no token in AM: A assigns one from the token pool.", "A assign a token from the pool")
	s.Send(key("A"))
	waitScreen(t, s, "Token pool", regexp.MustCompile(`\d+ unassigned tokens\. enter assigns the selected one to fnotoken\.`))
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: assign the token", "LinkTokensWithPrincipalCommand")
	s.Send(key("y"))
	waitScreen(t, s, "Assign the token: done for token", "Done: AM holds the state shown.")
	s.Send(key("enter"))
	waitScreen(t, s, "Fatima Notoken (fnotoken)", "enabled")
	owned := 0
	for _, tk := range world.ds.Tokens {
		if st, _ := world.sim.Token(tk.Serial); st.Owner == "fnotoken" {
			owned++
		}
	}
	if owned != 1 {
		t.Fatalf("AM holds %d tokens for fnotoken, want the one assigned", owned)
	}
}

// A person AM locked out: the token list says so in its header,
// offers u first; the unlock is confirmed, sent, and the badge goes.
func TestUnlockFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "dobrien", "Dan O'Brien")
	waitScreen(t, s, "AM LOCKED after 3 bad passcodes", "u unlock (AM lockout)")
	s.Send(key("u"))
	waitScreen(t, s, "Please confirm: unlock dobrien", "UnLockUserAccountCommand")
	if c := crumbs(s); c != "users “dobrien” › dobrien › unlock dobrien" {
		t.Errorf("crumbs %q", c)
	}
	s.Send(key("y"))
	waitScreen(t, s, "dobrien is unlocked: AM no longer holds a lockout")
	if strings.Contains(s.screen(), "AM LOCKED") {
		t.Fatal("the lockout badge stayed")
	}
	s.Send(key("u"))
	waitScreen(t, s, "dobrien is not locked by AM")
}

// Replace a lost token from the console: R → the pool → enter → the
// confirm offers what becomes of the old one until the new one is used
// (keeps working, disabled now, denied with emergency access for the gap)
// → 3 → y → the new token, the person's, and e for the gap, the form
// starting with the token denied.
func TestReplaceFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	old := world.ds.TokensOf("jdoe")[0]
	s.Send(key("R"))
	waitScreen(t, s, "Replace token "+old, "enter makes the selected one "+old+"'s successor.")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: replace the token", "1 keeps working", "2 is disabled now", "3 is denied",
		"ReplaceTokensCommand (replacingTokenGuid = "+old+")")
	s.Send(key("3"))
	waitScreen(t, s, "› 3 is denied")
	s.Send(key("y"))
	// the two tokens side by side (it diffed the new one against the old)
	waitScreen(t, s, "Replace the token: done for token", regexp.MustCompile(`serialNumber +`+old+` +[0-9]{12}`),
		regexp.MustCompile(`assignedUserId +jdoe +jdoe`))
	if strings.Contains(s.screen(), "(was ") {
		t.Fatal("the new token is shown as the old one's change")
	}
	if st, _ := world.sim.Token(old); st.Owner != "jdoe" {
		t.Fatal("the old token was taken away: AM retires it itself")
	}
	// the gap until the new token reaches the person: e gives emergency
	// access on the old one, from the result
	waitScreen(t, s, "gives emergency access on "+old+" for the gap", "e emergency access on "+old+" for the gap")
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token "+old, "If available deny the token until emergency access expires")
	s.Send(key("esc"))
	// the list holds both tokens, and says why that is not two tokens
	waitScreen(t, s, "John Doe (jdoe)", regexp.MustCompile(`jdoe holds 2 tokens: [0-9]{12} replaces `+old+`, which AM retires when [0-9]{12} is first used`))
	if strings.Contains(s.screen(), "the rule is one a person") {
		t.Fatal("a pending replacement is called a broken rule")
	}
}

// Clear the bad-tokencode count from the console: a token in
// next-tokencode mode offers n; the confirm names the command and that it
// is the person's count; the result marks the count and the mode cleared.
func TestClearBadCountFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "dobrien", "Dan O'Brien")
	s.Send(key("enter")) // the token's record: the list does not carry the count
	waitScreen(t, s, regexp.MustCompile(`badTokenCodeCount +3`), "n clear bad tokencodes / next-tokencode mode")
	s.Send(key("n"))
	waitScreen(t, s, "Please confirm: clear the bad-tokencode count", "ClearBadTokenCountCommand (the owner's principal GUID")
	s.Send(key("y"))
	waitScreen(t, s, "Clear the bad-tokencode count: done for token", regexp.MustCompile(`\* badTokenCodeCount +0 \(was 3\)`),
		regexp.MustCompile(`\* nextTokenCodeMode +no \(was yes\)`))
	if st, _ := world.sim.Token(world.ds.TokensOf("dobrien")[0]); st.BadCodeCount != 0 || st.NextTokencodeMode {
		t.Fatalf("AM holds %+v", st)
	}
}

// Add one-time codes from the console: o on a token with a set on
// → how many, checked as typed → confirm → the new codes, shown once; AM
// holds the old unused ones and the new.
func TestAddOneTimeCodesFromTheConsole(t *testing.T) {
	world := newWorld(t)
	serial := world.ds.TokensOf("jdoe")[0]
	r := rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 3, Expires: now.Add(5 * 24 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}
	if _, err := world.ops.SetEmergencyAccess(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "3 codes left", "o add one-time codes")
	s.Send(key("o"))
	waitScreen(t, s, "Add one-time codes to token "+serial, "3 unused", "→ 8 unused codes afterwards")
	s.Send(key("backspace"))
	typeText(s, "500")
	waitScreen(t, s, "the number of one-time codes must be 1 to 100")
	for range 3 {
		s.Send(key("backspace"))
	}
	typeText(s, "2")
	waitScreen(t, s, "→ 5 unused codes afterwards")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: add one-time codes", "GenerateOneTimeTokenCodeSetCommand (2 codes)", "clearUnusedCodes=false")
	s.Send(key("y"))
	waitScreen(t, s, "2 one-time codes added to token "+serial, "One-time tokencodes")
	if st, _ := world.sim.Token(serial); st.UnusedOTTs != 5 {
		t.Fatalf("AM holds %d unused codes, want 5", st.UnusedOTTs)
	}
}

// Extend an emergency access from the console: + on a token with
// it on → a new end, checked as typed → confirm → the record AM holds with
// the new end marked; on a token without it, + says so.
func TestExtendEmergencyAccessFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 110, 30)
	waitScreen(t, s, screentest.PeopleFound)
	toConfirm(t, s, "jdoe", "John Doe")
	s.Send(key("y"))
	waitScreen(t, s, "Emergency access is on for token")
	s.Send(key("enter"))
	waitScreen(t, s, screentest.EAOn, "+ extend emergency access")
	s.Send(key("+"))
	waitScreen(t, s, "Extend emergency access on token", "New end")
	for range 3 {
		s.Send(key("backspace"))
	}
	typeText(s, "30d")
	waitScreen(t, s, "more than 14 days away")
	for range 3 {
		s.Send(key("backspace"))
	}
	typeText(s, "5d") // given for the default 3 days
	waitScreen(t, s, "→ until 2026-12-03 09:30 UTC")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: extend emergency access", "clearUnusedCodes=false")
	s.Send(key("y"))
	waitScreen(t, s, "Emergency access extended for token", regexp.MustCompile(`\* eaExpiration +2026-12-03 09:30 UTC \(was `))
	if st, _ := world.sim.Token(world.ds.TokensOf("jdoe")[0]); !st.EAExpiration.Equal(now.Add(5 * 24 * time.Hour)) {
		t.Fatalf("AM's end: %v", st.EAExpiration)
	}
}

// esc belongs to the screen on top: while the token list below is reading
// AM again (as after a replacement), esc on the emergency-access form goes
// back to the list instead of cancelling the list's read (found by
// TestReplaceFromTheConsole under -race: "Cancelled." and the form stayed).
func TestEscOnTopWhileTheListBelowReads(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "jdoe: 1 token, read from AM")
	release := make(chan struct{})
	world.sim.Inject(amsim.Rule{Command: amproto.ListTokensByPrincipalCommand, Action: amsim.Hold, Release: release})
	arrived := world.sim.Arrived()
	s.Send(key("r"))
	if err := world.sim.WaitArrived(context.Background(), arrived+1); err != nil {
		t.Fatal(err)
	}
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token")
	s.Send(key("esc"))
	waitScreen(t, s, "John Doe (jdoe)", "enter details")
	if strings.Contains(s.screen(), "Cancelled") {
		t.Fatal("esc on the form cancelled the list's read")
	}
	close(release)
	waitScreen(t, s, "jdoe: 1 token, read from AM")
}

// A lost token replaced with the new one in hand is disabled at once: the
// confirm's second choice, said on the result, held by AM; no emergency
// access is pushed for a gap there is not.
func TestReplaceDisablesTheLostToken(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	old := world.ds.TokensOf("jdoe")[0]
	s.Send(key("R"))
	waitScreen(t, s, "enter makes the selected one "+old+"'s successor.")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: replace the token")
	s.Send(key("2"))
	waitScreen(t, s, "› 2 is disabled now", "EnableTokensCommand (enable=false)")
	s.Send(key("y"))
	waitScreen(t, s, "Replace the token: done for token", "Done, and "+old+" (key fob) is disabled")
	if strings.Contains(s.screen(), "for the gap") {
		t.Fatal("emergency access offered for a gap there is not")
	}
	if st, _ := world.sim.Token(old); st.Enabled || st.Owner != "jdoe" {
		t.Fatalf("AM holds the old token as %+v", st)
	}
}
