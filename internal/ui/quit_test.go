package ui_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/screentest"
)

var ctrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}

// sendHeldEA opens jdoe's emergency-access form, confirms a generated code
// and holds AM's update until release is closed: the change is being sent.
func sendHeldEA(t *testing.T, w *world, s *session) chan struct{} {
	t.Helper()
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm")
	release := make(chan struct{})
	w.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Hold, Release: release})
	arrived := w.sim.Arrived()
	s.Send(key("y"))
	// the look-ups and the generate come first; the update is held
	if err := w.sim.WaitArrived(context.Background(), arrived+3); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, s, "a change, not cancellable")
	return release
}

// Ctrl+C while a change is being sent: the console says the result is
// coming and shows it when it comes (it once dropped it: the form stayed
// with "being sent" for ever and the code was never seen); on the result,
// whose codes are shown only now, ctrl+c and q ask first.
func TestCtrlCWhileAChangeIsSentShowsItsResult(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 100, 30)
	release := sendHeldEA(t, w, s)
	s.Send(ctrlC)
	waitScreen(t, s, "A change is being sent; its result shows here: ctrl+c again quits anyway.")
	close(release)
	waitScreen(t, s, "Shown only now")
	s.Send(ctrlC)
	waitScreen(t, s, "The codes are shown only now: ctrl+c again quits anyway.")
	s.Send(key("j")) // stays
	waitScreen(t, s, "Shown only now")
	waitGone(t, s, "again quits anyway")
	s.Send(key("q"))
	waitScreen(t, s, "The codes are shown only now: q again quits anyway.")
	s.Send(key("q"))
	s.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// Two ctrl+c while a change is being sent: the console quits without
// cancelling it, and hands the host what was being sent, its outcome when
// it comes, and what nobody saw (the code).
func TestForcedQuitHandsOverTheChange(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 100, 30)
	release := sendHeldEA(t, w, s)
	s.Send(ctrlC)
	waitScreen(t, s, "its result shows here: ctrl+c again quits anyway.")
	s.Send(ctrlC)
	final := s.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(probe)
	u := final.Model.Unfinished()
	if u == nil || !strings.Contains(u.Label, "into emergency access") {
		t.Fatalf("unfinished: %+v", u)
	}
	if done, _ := u.Wait(50 * time.Millisecond); done {
		t.Fatal("the held change said it was done")
	}
	close(release) // the write was not cancelled: it goes on to AM
	done, err := u.Wait(10 * time.Second)
	if !done || err != nil || !strings.Contains(u.Unseen, "rsatui ea set") {
		t.Fatalf("outcome: done %v, err %v, unseen %q", done, err, u.Unseen)
	}
	if st, _ := w.sim.Token(w.ds.TokensOf("jdoe")[0]); !st.Lost {
		t.Fatal("AM does not hold the change the console quit on")
	}
}

// Emergency access with no expiration takes a second yes (a code that
// works until somebody remembers to end it); one-time codes are numbered
// on the result, so the person on the phone can say "code 2".
func TestNeverTakesASecondYesAndCodesAreNumbered(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token")
	s.Send(key("right")) // kind: a set of one-time codes
	s.Send(key("right"))
	waitScreen(t, s, "set of one-time tokencodes")
	s.Send(key("down")) // the number of codes
	s.Send(key("down"))
	waitScreen(t, s, "› Lifetime")
	for range 3 {
		s.Send(key("backspace"))
	}
	typeText(s, "never")
	waitScreen(t, s, "→ no expiration")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm", "with no expiration", "The token is John Doe (jdoe)'s.")
	s.Send(key("y"))
	waitScreen(t, s, "No expiration: the code works until emergency access is ended (x). y again to give it anyway.")
	if st, _ := w.sim.Token(w.ds.TokensOf("jdoe")[0]); st.Lost {
		t.Fatal("one yes gave emergency access with no expiration")
	}
	s.Send(key("y"))
	waitScreen(t, s, "One-time tokencodes", regexp.MustCompile(`1\. [A-Za-z0-9]{8}  2\. [A-Za-z0-9]{8}`))
}

// In next-tokencode mode the passcode test keeps AM's exchange open: AM's
// question comes to the screen and the test waits for the next code (a
// lone passcode used to end it; the person then had to read two fresh
// codes).
func TestPasscodeTestWaitsForTheNextCode(t *testing.T) {
	w := newWorld(t)
	stacktest.Try(t, w.st, "jdoe", true)
	stacktest.Try(t, w.st, "jdoe", true) // two wrong: next-tokencode mode
	serial := w.ds.TokensOf("jdoe")[0]
	if st, _ := w.sim.Token(serial); !st.NextTokencodeMode {
		t.Fatal("jdoe's token is not in next-tokencode mode")
	}
	s := start(t, w.model(false), 110, 32)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("t"))
	waitScreen(t, s, "Test jdoe's passcode")
	cur, next, err := w.sim.Tokencodes(serial)
	if err != nil {
		t.Fatal(err)
	}
	typeText(s, demo.DemoPIN+cur)
	s.Send(key("enter"))
	waitScreen(t, s, "AM asks:", "The test waits")
	typeText(s, next)
	s.Send(key("enter"))
	waitScreen(t, s, "jdoe: accepted")
	if st, _ := w.sim.Token(serial); st.NextTokencodeMode {
		t.Fatal("the token is still in next-tokencode mode")
	}
}

// waitGone waits until the frame no longer shows text.
func waitGone(t *testing.T, s *session, text string) {
	t.Helper()
	waitFrame(t, s, func(frame string) bool { return !strings.Contains(frame, text) },
		func(frame string) string { return fmt.Sprintf("%q stays on the screen:\n%s", text, frame) })
}
