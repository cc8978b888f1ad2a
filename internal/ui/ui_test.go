package ui_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/event"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/ui"
	"github.com/rsatui/rsatui/internal/verify"
)

// fixed clock, so golden files do not change with the date
var now = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

type world struct {
	plans string // where the consoles keep the plans they run
	sim   *amsim.Sim
	ops   *rsa.Ops
	dir   *ad.Client
	ds    *demo.Dataset
	st    *stack.Stack
}

func newWorld(t testing.TB) *world {
	t.Helper()
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30, Now: func() time.Time { return now }})
	// the flows here are not about the caller's checks (verify_test.go
	// is, under the default policy): a site that asks for none
	st.Ops.Policy = noChecks(t)
	return &world{plans: t.TempDir(), sim: st.Sim, ops: st.Ops, dir: st.Dir, ds: st.DS, st: st}
}

// noChecks is a site's policy that asks for no checks of the caller and
// sets no limits.
func noChecks(t testing.TB) *verify.Policy {
	var c verify.Config
	c.Verify.Checks = map[string][]string{}
	c.Verify.Privileged = map[string][]string{}
	for _, a := range verify.Guarded {
		c.Verify.Checks[string(a)], c.Verify.Privileged[string(a)] = []string{}, []string{}
	}
	zero := 0
	c.Limits.PerAdmin, c.Limits.PerPerson = &zero, &zero
	p, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// model is a console of its own on the world: its operations are derived
// (Ops.For), so two consoles of one test never share a setting.
func (w *world) model(readOnly bool) ui.Model {
	g := rsa.AllowAll()
	if readOnly {
		g, _ = rsa.GrantOf(rsa.RoleViewer, "")
	}
	return ui.New(w.dir, w.ops.For(rsa.Actor{}, g), ui.Info{Server: "am.corp.example:7002", IdentitySource: demo.IdentitySourceName,
		Admin: demo.AdminUser, ReadOnly: readOnly}, ui.Options{NoColor: true, Now: func() time.Time { return now }, PlanDir: w.plans})
}

// probe runs the console under teatest's real program and records the frame
// after every update: the v2 renderer writes cell diffs, so the output stream
// does not hold the screen's text in one piece.
type probe struct {
	ui.Model
	frames *frames
}

// frames is the last frame the console drew; a test waits for the next
// one instead of sleeping.
type frames struct {
	mu      sync.Mutex
	last    string
	changed event.Changed
}

func (f *frames) store(s string) {
	f.mu.Lock()
	f.last = s
	f.changed.Notify()
	f.mu.Unlock()
}

func (p probe) Init() tea.Cmd { return p.Model.Init() }

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := p.Model.Update(msg)
	p.Model = m.(ui.Model)
	p.frames.store(ansi.Strip(p.Model.Render()))
	return p, cmd
}

type session struct {
	*teatest.TestModel
	frames *frames
}

func start(t *testing.T, m ui.Model, w, h int) *session {
	t.Helper()
	fr := &frames{}
	tm := teatest.NewTestModel(t, probe{Model: m, frames: fr}, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { _ = tm.Quit() })
	return &session{TestModel: tm, frames: fr}
}

func (s *session) screen() string {
	s.frames.mu.Lock()
	defer s.frames.mu.Unlock()
	return s.frames.last
}

// waitFrame waits, frame by frame, until ok holds of the screen, or fails
// with what the last frame was after 10 s.
func waitFrame(t *testing.T, s *session, ok func(frame string) bool, fail func(frame string) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.frames.changed.Wait(ctx, &s.frames.mu, func() bool { return ok(s.frames.last) }) != nil {
		t.Fatal(fail(s.screen()))
	}
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// waitScreen waits until the frame shows every want, exactly (see
// screentest: a string as a whole, a regexp as a match).
func waitScreen(t *testing.T, s *session, want ...any) {
	t.Helper()
	waitFrame(t, s, func(frame string) bool { return len(screentest.Missing(frame, want...)) == 0 }, func(frame string) string {
		return fmt.Sprintf("screen never showed %s; last frame:\n%s", strings.Join(screentest.Missing(frame, want...), ", "), frame)
	})
}

// search puts the cursor in the people search box and types text.
func search(s *session, text string) {
	s.Send(key("/"))
	typeText(s, text)
}

// openTokens searches a login and opens the person's tokens.
func openTokens(t *testing.T, s *session, login, name string) {
	t.Helper()
	search(s, login)
	waitScreen(t, s, "1 found")
	s.Send(key("enter"))
	waitScreen(t, s, name+" ("+login+")")
}

// toConfirm opens a person's token in the emergency-access form and submits
// its defaults, stopping at the confirm dialog.
func toConfirm(t *testing.T, s *session, login, name string) {
	t.Helper()
	openTokens(t, s, login, name)
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm")
}

func typeText(tm *session, s string) {
	for _, r := range s {
		tm.Send(key(string(r)))
	}
}

// TestEmergencyAccessFlow: find a user → open a token → temporary fixed code
// for 14 days → result DTO → end emergency access again; the server state is
// checked at each step.
func TestEmergencyAccessFlow(t *testing.T) {
	w := newWorld(t)
	tm := start(t, w.model(false), 100, 30)
	waitScreen(t, tm, screentest.PeopleFound)
	search(tm, "jdoe")
	waitScreen(t, tm, "1 found")
	tm.Send(key("enter"))
	waitScreen(t, tm, "John Doe (jdoe)", screentest.EAOff)
	tm.Send(key("e"))
	waitScreen(t, tm, "Online emergency access for token")
	tm.Send(key("enter"))
	// the default lifetime: 3 days, not AM's maximum
	waitScreen(t, tm, "Please confirm", "(3 days)", "UpdateTokenEmergencyAccessCommand")
	tm.Send(key("y"))
	waitScreen(t, tm, "Emergency access is on for token", "Temporary fixed tokencode", "Shown only now")
	serial := w.ds.TokensOf("jdoe")[0]
	st, _ := w.sim.Token(serial)
	if !st.Lost || st.EAMode != rsa.EAFixedCode || !st.EAExpiration.Equal(now.Add(3*24*time.Hour)) {
		t.Fatalf("server state after set: %+v", st)
	}
	tm.Send(key("enter"))
	waitScreen(t, tm, screentest.EAOn)
	tm.Send(key("x"))
	waitScreen(t, tm, "End online emergency access for token "+serial)
	tm.Send(key("y"))
	waitScreen(t, tm, "Emergency access ended for token")
	if st, _ := w.sim.Token(serial); st.Lost || st.TFT != "" {
		t.Fatalf("server state after clear: %+v", st)
	}
}

// TestLostReplyKeepsTheCodeMarked: the reply to the emergency-access update
// is lost and AM does not show the change; the console does not say "not
// applied" and throw the code away: it shows the code, marked as possibly
// active, and says how to check.
func TestLostReplyKeepsTheCodeMarked(t *testing.T) {
	w := newWorld(t)
	w.ops.SettleDelay = 10 * time.Millisecond
	w.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Drop})
	tm := start(t, w.model(false), 100, 30)
	waitScreen(t, tm, screentest.PeopleFound)
	toConfirm(t, tm, "jdoe", "John Doe")
	tm.Send(key("y"))
	waitScreen(t, tm, "Emergency access MAY be on for token", "these codes may be active", "Temporary fixed tokencode", "may or may not have been applied")
}
