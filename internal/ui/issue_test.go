package ui_test

import (
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/qrterm/qrtest"
)

// The new-phone call at 80×24: I on the person's screen, the QR code
// chosen, y — the QR code drawn in the terminal decodes (zbarimg) to the
// activation link, whose code is the one on screen and the one AM takes.
func TestIssueQRCodeAt80x24(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	openTokens(t, s, "cmueller", "Carol Müller")
	s.Send(key("I"))
	waitScreen(t, s, "Please confirm: issue a software token to cmueller", "Phone (QR code): QR code (activation code, CT-KIP)")
	if strings.Contains(s.screen(), "Software token issued") {
		t.Fatal("issued before y")
	}
	s.Send(key("9")) // no such choice: said, not a cancel
	waitScreen(t, s, "There is no choice 9", "Please confirm: issue a software token to cmueller")
	s.Send(key("y"))
	waitScreen(t, s, "Software token issued", "Shown only now.")
	screen := s.screen()
	got := qrtest.FromScreen(t, screen)

	// the code on screen, read the way the person reads it out
	code := qrtest.ActivationCode(screen)
	if len(code) != 12 || !strings.Contains(got, "activationCode="+code) || !strings.Contains(got, "/ctkip/services/CtkipService") {
		t.Fatalf("the QR code reads %q; the screen's code is %q", got, code)
	}
	if _, err := world.sim.Activate(code); err != nil {
		t.Fatalf("the code on screen is not AM's: %v", err)
	}
	// done: the code goes with the screen
	s.Send(key("enter"))
	waitScreen(t, s, "Carol Müller (cmueller)") // the dashboard again (its re-read may say so in the status line)
	if strings.Contains(s.screen(), groupOf(code)) {
		t.Fatal("the activation code is still on screen")
	}
}

func groupOf(code string) string { return code[:3] + " " + code[3:6] }

// A person with a key fob is refused, with what to do instead; so is a
// viewer.
func TestIssueRefusals(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("I"))
	waitScreen(t, s, "one token a person")
	v := start(t, world.model(true), 100, 30)
	openTokens(t, v, "cmueller", "Carol Müller")
	v.Send(key("I"))
	waitScreen(t, v, "read-only session: changes are disabled")
}
