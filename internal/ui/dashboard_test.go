package ui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/screentest"
)

// attempt is the person trying to log in elsewhere (a VPN, say) with a
// wrong passcode: it goes to AM past the console, which learns of it only
// from AM's activity.
func attempt(t *testing.T, w *world, login string) { stacktest.Try(t, w.st, login, true) }

// The person's screen is their dashboard: the diagnosis on top, the
// activity below, live. Three wrong passcodes made elsewhere show up on
// their own (the console's poller), the diagnosis then says first that AM
// locked the person, with the key that unlocks, and after u · y it says so
// no more.
func TestDashboardGoesLive(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 34)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "the last successful login was", "What AM saw")
	for range 3 {
		attempt(t, world, "jdoe")
	}
	waitScreen(t, s, "✗ locked by AM after 3 failed passcodes at 09:30", "u unlocks",
		regexp.MustCompile(`What AM saw \(the last \d+ of \d+ in 7 days, live\)`), "Access denied: bad passcode", "User locked out after too many")
	lines := strings.Split(s.screen(), "\n")
	for i, l := range lines {
		if strings.Contains(l, "Alice") || strings.Contains(l, "✗ locked by AM") {
			if !strings.Contains(lines[i-2], "AM principal") && !strings.Contains(lines[i-1], "") {
				t.Fatalf("the lockout is not the first finding:\n%s", s.screen())
			}
			break
		}
	}
	s.Send(key("u"))
	waitScreen(t, s, "Please confirm: unlock jdoe")
	s.Send(key("y"))
	waitScreen(t, s, "jdoe is unlocked")
	if strings.Contains(s.screen(), "locked by AM") {
		t.Fatalf("the diagnosis still says locked after the unlock:\n%s", s.screen())
	}
}

// A passcode test from the console: t, the passcode masked, enter — AM's
// answer in words; the same code again is a replay. The code is never on
// screen.
func TestPasscodeTestFromTheConsole(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "t test a passcode")
	cur, _, err := world.sim.Tokencodes(world.ds.TokensOf("jdoe")[0])
	if err != nil {
		t.Fatal(err)
	}
	s.Send(key("t"))
	waitScreen(t, s, "Test jdoe's passcode", "a wrong passcode", "counts toward the lockout")
	typeText(s, "12 34")
	s.Send(key("enter"))
	waitScreen(t, s, "Fix the passcode: a passcode is letters and digits only")
	for range 5 {
		s.Send(key("backspace"))
	}
	typeText(s, demo.DemoPIN+cur)
	s.Send(key("enter"))
	waitScreen(t, s, "✓ accepted: AM took the passcode", "(PASSCODE_ACCEPTED)")
	typeText(s, demo.DemoPIN+cur)
	s.Send(key("enter"))
	waitScreen(t, s, "✗ refused: that tokencode was used already")
	if strings.Contains(s.screen(), cur) {
		t.Fatalf("the tokencode is on the screen:\n%s", s.screen())
	}
	s.Send(key("esc"))
	waitScreen(t, s, "John Doe (jdoe)", "Success   Passcode accepted", "a tokencode was used twice")
}
