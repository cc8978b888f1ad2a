package ui_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/ui"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // golden frames show local times
	os.Exit(m.Run())
}

// snap golden-files the current frame (refresh with go test -update) and
// checks that nothing overflows the terminal.
func snap(t *testing.T, s *session, w, h int, name string) {
	t.Helper()
	frame := s.screen()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines in a %d-line terminal", name, len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("%s: line %d is %d columns wide in a %d-column terminal: %q", name, i+1, ansi.StringWidth(l), w, l)
		}
	}
	t.Run(name, func(t *testing.T) { golden.RequireEqual(t, []byte(frame)) })
}

func TestGoldenPanes(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 20}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			world := newWorld(t)
			s := start(t, world.model(false), w, h)
			waitScreen(t, s, "37 people")
			snap(t, s, w, h, "users")

			search(s, "asmith")
			waitScreen(t, s, "1 found")
			s.Send(key("enter"))
			waitScreen(t, s, "Alice Smith (asmith)", "holds 2 tokens")
			snap(t, s, w, h, "tokens")

			s.Send(key("enter"))
			waitScreen(t, s, "serialNumber", "Token 000100001014 read from AM at") // the whole record, read on opening
			s.Send(key("i"))
			waitScreen(t, s, "the number printed on the token")
			snap(t, s, w, h, "detail")

			s.Send(key("e"))
			waitScreen(t, s, "Online emergency access for token")
			s.Send(key("right")) // typed by you
			s.Send(key("tab"))
			typeText(s, "abc")
			waitScreen(t, s, "exactly 8 characters (it has 3)")
			snap(t, s, w, h, "form-invalid")

			s.Send(key("enter")) // refused: the form stays
			waitScreen(t, s, "Fix the marked field")
			typeText(s, "d2345")
			s.Send(key("tab"))
			for range 3 {
				s.Send(key("backspace"))
			}
			typeText(s, "2d")
			waitScreen(t, s, "✓")
			s.Send(key("enter"))
			waitScreen(t, s, "Please confirm", "(2 days)", "was read at")
			snap(t, s, w, h, "confirm")

			s.Send(key("y"))
			waitScreen(t, s, "Emergency access is on", "abcd2345")
			snap(t, s, w, h, "result")

			s.Send(key("enter"))
			s.Send(key("?"))
			waitScreen(t, s, "Keys on this screen")
			snap(t, s, w, h, "help")
		})
	}
}

func TestReadOnlySessionRefusesChanges(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(true), 80, 24)
	waitScreen(t, s, "READ-ONLY", "people. enter opens their tokens.")
	openTokens(t, s, "jdoe", "John Doe")
	if strings.Contains(s.screen(), "emergency access ·") {
		t.Fatal("write keys are offered in a read-only session")
	}
	s.Send(key("e"))
	waitScreen(t, s, "read-only session: changes are disabled")
	s.Send(key("x"))
	waitScreen(t, s, "read-only session: changes are disabled")
	if st, _ := world.sim.Token(world.ds.TokensOf("jdoe")[0]); st.Lost {
		t.Fatal("read-only session changed a token")
	}
}

// A change AM does not take keeps the form filled and says why — and does
// not ask to "correct" what no field of the form holds.
func TestFailedSubmitKeepsFormAndSaysWhy(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	world.sim.Inject(amsim.Rule{Command: amproto.GenerateEmergencyAccessCodeCommand, Action: amsim.HTTP500})
	toConfirm(t, s, "jdoe", "John Doe")
	s.Send(key("y"))
	waitScreen(t, s, "AM refused the last submit", "Online emergency access for token", "The change was not made: the form shows why.")
	if strings.Contains(s.screen(), "correct it") {
		t.Fatalf("asks to correct a form that holds nothing wrong:\n%s", s.screen())
	}
	if st, _ := world.sim.Token(world.ds.TokensOf("jdoe")[0]); st.Lost {
		t.Fatal("half applied")
	}
}

// Emergency access that cannot work is refused before the form, saying why
// and what to do; one that can be given but will not let the person in by
// itself is warned of in the form.
func TestEmergencyAccessThatCannotWork(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30) // the status line holds the whole reason
	waitScreen(t, s, "people. enter opens their tokens.")
	openTokens(t, s, "eolsen", "Erik Olsen") // his token expired
	waitScreen(t, s, "EXPIRED")
	s.Send(key("e"))
	waitScreen(t, s, "No emergency access", "expired on", "replacement token")
	if strings.Contains(s.screen(), "Online emergency access for token") {
		t.Fatal("the form opened for an expired token")
	}
	s = start(t, world.model(false), 120, 30)
	waitScreen(t, s, "people. enter opens their tokens.")
	openTokens(t, s, "bdisabled", "Bob Disabled") // AD account and token both disabled
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token", "is disabled, and a disabled token cannot authenticate",
		"AD account is disabled")
	if n := world.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"]; n != 0 {
		t.Fatalf("%d updates sent", n)
	}
}

func TestConfirmCancelsOnAnyKeyButY(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	toConfirm(t, s, "jdoe", "John Doe")
	s.Send(key("enter")) // enter is not yes
	waitScreen(t, s, "Cancelled: nothing was sent to AM.")
	if n := world.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"]; n != 0 {
		t.Fatalf("%d updates sent", n)
	}
}

func TestEscCancelsASlowCall(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	search(s, "jdoe")
	waitScreen(t, s, "1 found")
	world.sim.SetLatency(3 * time.Second)
	s.Send(key("enter"))
	waitScreen(t, s, "Reading jdoe's tokens from AM", "esc cancels")
	start := time.Now()
	s.Send(key("esc"))
	waitScreen(t, s, "Cancelled.")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if strings.Contains(s.screen(), "John Doe (jdoe)") {
		t.Fatal("a cancelled call still changed the screen")
	}
}

func TestPaletteAndBadInput(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	s.Send(key(":"))
	typeText(s, "token 12ab")
	s.Send(key("enter"))
	waitScreen(t, s, "serial \"12ab\" must be 6 to 12 digits")
	s.Send(key(":"))
	typeText(s, "token "+world.ds.TokensOf("cmueller")[0])
	s.Send(key("enter"))
	waitScreen(t, s, "assignedUserId", "cmueller")
	s.Send(key(":"))
	typeText(s, "frobnicate")
	s.Send(key("enter"))
	waitScreen(t, s, "Unknown command \"frobnicate\"")
}

// TestUIStaysUsableUnderFaults: AM failing (HTTP 500 page, then a dropped
// connection) gives a plain-words error on screen; the console stays usable
// and the next try works.
func TestUIStaysUsableUnderFaults(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	search(s, "jdoe")
	waitScreen(t, s, "1 found")
	// The faults hit the token list itself: opening a person reads the
	// activity and the admin log alongside it, and a fault that landed on
	// one of those (whichever the scheduler sent first) would leave the
	// token list open and the next enter opening a token instead.
	world.sim.Inject(amsim.Rule{Command: amproto.ListTokensByPrincipalCommand, Action: amsim.HTTP500, Count: 3})
	s.Send(key("enter"))
	waitScreen(t, s, "✗", "(? shows it whole)") // a long fault is cut on its line…
	s.Send(key("?"))
	waitScreen(t, s, "The last message, whole", "not a valid AM SOAP message") // …and shown whole in the help
	s.Send(key("x"))
	waitScreen(t, s, "1 found") // still on the search, nothing opened
	world.sim.ClearFaults()
	world.sim.Inject(amsim.Rule{Command: amproto.ListTokensByPrincipalCommand, Action: amsim.Drop})
	s.Send(key("enter"))
	waitScreen(t, s, "could not be reached", "1 found")
	s.Send(key("enter"))
	waitScreen(t, s, "John Doe (jdoe)")
}

// TestWriteInFlightIsNotCancelled: esc and refresh during a change do not
// cancel or supersede it; its result is shown.
func TestWriteInFlightIsNotCancelled(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	toConfirm(t, s, "jdoe", "John Doe")
	world.sim.SetLatency(400 * time.Millisecond)
	s.Send(key("y"))
	waitScreen(t, s, "a change, not cancellable · Putting token")
	s.Send(key("esc"))
	waitScreen(t, s, "a change, not cancellable")
	s.Send(key("r"))
	waitScreen(t, s, "Emergency access is on for token")
	if st, _ := world.sim.Token(world.ds.TokensOf("jdoe")[0]); !st.Lost {
		t.Fatal("the change did not reach AM")
	}
}

// A host's closing notice replaces the key hints and stops new changes from
// starting, while reads still work.
func TestClosingNoticeStopsNewChanges(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	toConfirm(t, s, "jdoe", "John Doe")
	s.Send(ui.Notice{Text: "rsatui serve is shutting down; this session closes in 10s", Closing: true})
	waitScreen(t, s, "⚠ rsatui serve is shutting down")
	s.Send(key("y"))
	waitScreen(t, s, "✗ Not sent, nothing was changed: rsatui serve")
	if st, _ := world.sim.Token(world.ds.TokensOf("jdoe")[0]); st.Lost {
		t.Fatal("a change started after the closing notice")
	}
}

// The SSH role and user are in the header, badges first, and the AM
// account rsatui acts as named as such ("· admin admin" read
// like a role).
func TestHeaderShowsRoleAndSSHUser(t *testing.T) {
	world := newWorld(t)
	m := ui.New(world.dir, world.ops, ui.Info{Server: "am", IdentitySource: "Corporate AD", Admin: "svc",
		ReadOnly: true, Role: "helpdesk", User: "alice"}, ui.Options{NoColor: true})
	m2, _ := m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	head := strings.SplitN(ansi.Strip(m2.(ui.Model).Render()), "\n", 2)[0]
	if !strings.HasPrefix(head, "rsatui [READ-ONLY] [HELPDESK] · ssh alice · AM account svc") || strings.Contains(head, "admin svc") {
		t.Fatalf("header %q", head)
	}
}

// Any window size renders exactly that many lines, none wider, with no panic:
// an SSH client may claim 1×1 (or 0×0) as easily as 300 columns.
func TestExtremeWindowSizes(t *testing.T) {
	world := newWorld(t)
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {2, 3}, {5, 1}, {1, 40}, {400, 120}} {
		var mm tea.Model = world.model(false)
		mm, _ = mm.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for _, k := range []string{"j", "enter", "?", "esc", ":"} {
			mm, _ = mm.Update(key(k))
		}
		frame := ansi.Strip(mm.(ui.Model).Render())
		lines := strings.Split(frame, "\n")
		if sz[1] > 0 && len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > max(sz[0], 0) && sz[0] > 0 {
				t.Errorf("%dx%d: line %q is %d wide", sz[0], sz[1], l, w)
			}
		}
	}
}

// Resizing across the layouts' breakpoints with rows on screen (found by the
// SSH server's bad-window test: bubbles' table panicked on rows wider than
// the new columns).
func TestResizeAcrossBreakpointsWithRows(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound, "Department")
	for _, w := range []int{60, 1, 200, 69, 70} {
		s.Send(tea.WindowSizeMsg{Width: w, Height: 20})
	}
	s.Send(tea.WindowSizeMsg{Width: 120, Height: 30})
	waitScreen(t, s, "Department", "jdoe")
	openTokens(t, s, "jdoe", "John Doe")
	for _, w := range []int{60, 1, 200, 109, 110, 69, 70} {
		s.Send(tea.WindowSizeMsg{Width: w, Height: 20})
	}
	s.Send(tea.WindowSizeMsg{Width: 120, Height: 30})
	waitScreen(t, s, "Last login", "000100001007")
}

// A token whose emergency access could not be read is shown with what the
// list said and marked, never guessed; the status says what is missing.
func TestTokensReadInPartShowWhatIsMissing(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	world.sim.Inject(amsim.Rule{Command: amproto.LookupTokenEmergencyAccessCommand, Action: amsim.HTTP500})
	openTokens(t, s, "asmith", "Alice Smith")
	waitScreen(t, s, "? not read", regexp.MustCompile(`Shown in part, not read in full: 0001000010[0-9]{2}`))
	frame := s.screen()
	for _, serial := range world.ds.TokensOf("asmith") {
		if !strings.Contains(frame, serial) {
			t.Fatalf("token %s is missing from the screen:\n%s", serial, frame)
		}
	}
	if strings.Count(frame, "? not read") != 1 {
		t.Fatalf("want exactly one token marked:\n%s", frame)
	}
}

// A status belongs to the screen that made it: the token
// list's "holds 2 tokens" does not follow onto the form, nor the result's
// "Done" onto the screen one goes back to.
func TestStatusStaysWithItsScreen(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, "people. enter opens their tokens.")
	openTokens(t, s, "asmith", "Alice Smith")
	waitScreen(t, s, "holds 2 tokens")
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token")
	if strings.Contains(s.screen(), "holds 2 tokens") {
		t.Fatalf("the token list's status followed onto the form:\n%s", s.screen())
	}
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm", "Review the change")
	s.Send(key("y"))
	waitScreen(t, s, "Emergency access is on", "Done")
	s.Send(key("enter"))
	waitScreen(t, s, "Alice Smith (asmith)", screentest.EAOn)
	if strings.Contains(s.screen(), "Done") {
		t.Fatalf("the result's status followed back:\n%s", s.screen())
	}
}
