package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// passcodePane tests a person's passcode with them on the phone: they
// read out PIN + the tokencode shown now (and, when AM asks, the next
// tokencode), the help desk types it masked, AM answers as at a login and
// the pane says the answer in words. The codes are masked, sent once and
// kept nowhere; a test counts like a login, which the pane says first.
type passcodePane struct {
	askingBase
	user   ad.User
	fields maskedPair // the passcode, the next tokencode (only when AM asks)
	result *rsa.PasscodeResult
	failed string
	// asking: AM asked for the next tokencode in a test under way, which
	// waits (AM's exchange kept open) for the code typed in the second box
	asking  string
	answers chan answer
	// places are where the test can run: rsatui's own record, as each of
	// AM's agents (its rules apply, its name is in AM's record), and the
	// Authentication API when it is configured; ctrl+n goes to the next
	places   []testPlace
	place    int
	placeErr error
}

// testPlace is a door and an agent a passcode test goes through.
type testPlace struct {
	door  rsa.Door
	agent string
}

// words say where the test runs and what AM's record will show.
func (t testPlace) words() string {
	switch {
	case t.door == rsa.DoorAuthAPI:
		return "through the Authentication API as " + t.agent + ": as the agent itself asks AM; AM's record names " + t.agent
	case t.agent != "":
		return "as agent " + t.agent + " (AM's admin API): its access rules apply and AM's record names it"
	}
	return "as rsatui (AM's admin API, no agent's access rules): AM's record names " + rsa.PasscodeAgent
}

// placesLoaded are AM's agents, for the places of a test.
type placesLoaded struct {
	p      *passcodePane
	agents []string
	err    error
}

func (p *passcodePane) open(c *common) reqs {
	am, self := c.am, p
	return do(call("Reading AM's agents", func(ctx context.Context) tea.Msg {
		names, err := am.AgentNames(ctx)
		return placesLoaded{p: self, agents: names, err: err}
	}))
}

// answer is the next tokencode for a test that waits for it, or why none.
type answer struct {
	code rsa.Secret
	err  error
}

// nextAsked: AM asks, in the test under way, for what prompt says.
type nextAsked struct {
	p      *passcodePane
	prompt string
}

type passcodeDone struct {
	res rsa.PasscodeResult
	err error
}

func (d passcodeDone) outcome() error { return d.err }

// openPasscode opens the test for u, when the person may test.
func openPasscode(c *common, u ad.User) reqs {
	p := &passcodePane{user: u, fields: newMaskedPair([2]string{"PIN + tokencode", "only if AM asks for it"}, [2]int{24, 8}),
		places: []testPlace{{door: rsa.DoorAdmin}}}
	return do(push(p))
}

func (p *passcodePane) crumbs() []string { return []string{"test a passcode"} }

// backsItself: esc goes back (the bar says so).
func (p *passcodePane) backsItself() {}

func (p *passcodePane) keys(c *common) []keyGroup {
	return []keyGroup{{"passcode test", []key.Binding{withHelp(c.km[action.Review], "send to AM"), withHelp(c.km[action.NextField], "the other field"),
		c.km[action.NextPlace], fixed("esc", "back, nothing sent")}}}
}

func (p *passcodePane) update(c *common, msg tea.Msg) reqs {
	if l, ok := msg.(placesLoaded); ok && l.p == p {
		p.placeErr = l.err
		for _, a := range l.agents {
			p.places = append(p.places, testPlace{door: rsa.DoorAdmin, agent: a})
		}
		if a := c.am.AuthAPIAgent(); a != "" {
			p.places = append(p.places, testPlace{door: rsa.DoorAuthAPI, agent: a})
		}
		return nil
	}
	if a, ok := msg.(nextAsked); ok && a.p == p {
		p.asking = a.prompt
		return do(run(tea.Sequence(p.fields.clearOne(1), p.fields.focusOn(1))),
			fail("AM asks for the next tokencode: ask "+p.user.Login+" for the code the token shows next, type it in the second box, enter (esc ends the test)."))
	}
	r, ok := msg.(passcodeDone)
	if !ok {
		return nil
	}
	p.asking, p.answers = "", nil
	// a tokencode is good once: the next test needs new ones
	rs := do(run(p.fields.clear()), tell(tokensStale{login: p.user.Login}))
	if r.err != nil {
		p.result, p.failed = nil, explain(r.err)
		return append(rs, fail("The passcode was not tested: "+p.failed))
	}
	p.result, p.failed = &r.res, ""
	if r.res.Accepted {
		c.passcodeOK[strings.ToLower(p.user.Login)] = c.now() // a passcode check of the caller (verify.go)
		return append(rs, say(p.user.Login+": "+r.res.Words+"."))
	}
	return append(rs, fail(p.user.Login+": "+r.res.Words+"."))
}

func (p *passcodePane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	switch {
	case k.String() == "esc" && p.asking != "":
		// no next code: the test ends, AM's exchange with it
		p.asking = ""
		p.answers <- answer{err: rsa.ErrNoAnswer}
		return nil, true
	case key.Matches(k, km[action.Review]) && p.asking != "":
		next := p.fields.value(1)
		if err := rsa.TokencodePolicy(next); err != nil {
			return do(fail("Fix the next tokencode: " + trimKind(err))), true
		}
		p.asking = ""
		p.answers <- answer{code: rsa.Secret(next)}
		return do(run(p.fields.clear())), true
	case p.asking != "" && (key.Matches(k, km[action.NextField]) || key.Matches(k, km[action.PreviousField])):
		return nil, true // the next code's box it is
	case k.String() == "esc":
		return do(back()), true
	case key.Matches(k, km[action.NextPlace]):
		p.place = (p.place + 1) % len(p.places)
		return do(say("The test runs " + p.places[p.place].words() + ".")), true
	case key.Matches(k, km[action.NextField]), key.Matches(k, km[action.PreviousField]):
		return do(run(p.fields.toggle())), true
	case key.Matches(k, km[action.Review]):
		code, next := p.fields.value(0), p.fields.value(1)
		if err := rsa.PasscodePolicy(code); err != nil {
			return do(fail("Fix the passcode: " + trimKind(err))), true
		}
		if next != "" {
			if err := rsa.TokencodePolicy(next); err != nil {
				return do(fail("Fix the next tokencode: " + trimKind(err))), true
			}
		}
		am, login, place := c.am, p.user.Login, p.places[p.place]
		passcode, nextCode := rsa.Secret(code), rsa.Secret(next)
		// AM's question, when the next code was not given up front, comes
		// to the screen and the test waits for the person to read it: a
		// lone passcode used to end the exchange, and they then had to read
		// two fresh codes
		asked, answers, done := make(chan string, 1), make(chan answer, 1), make(chan struct{})
		p.answers = answers
		nextOf := func(ctx context.Context, prompt string) (rsa.Secret, error) {
			if nextCode != "" {
				return nextCode, nil
			}
			asked <- prompt
			select {
			case a := <-answers:
				return a.code, a.err
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		self := p
		waitAsked := func() tea.Msg {
			select {
			case prompt := <-asked:
				return nextAsked{p: self, prompt: prompt}
			case <-done:
				return nil
			}
		}
		// a write: it counts toward the lockout, and esc must not leave
		// the help desk not knowing what AM recorded
		return do(write("Testing "+login+"'s passcode with AM", func(ctx context.Context) tea.Msg {
			defer close(done)
			res, err := am.TestPasscodeVia(ctx, place.door, login, place.agent, passcode, nextOf)
			return passcodeDone{res: res, err: err}
		}), run(waitAsked)), true
	}
	return do(run(p.fields.update(k))), true
}

func (p *passcodePane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Test "+p.user.Login+"'s passcode") + st.Dim.Render(" ("+printable(p.user.DisplayName)+")") + "\n\n")
	b.WriteString("Ask them for their PIN followed by the tokencode the token shows now. AM checks it as at a login: " +
		st.Warn.Render("a wrong passcode counts toward the lockout") + ".\n\n")
	for i, label := range []string{"Passcode", "Next code"} {
		b.WriteString(p.fields.line(c, i, label) + "\n")
	}
	where := "Tested " + p.places[p.place].words() + "."
	if len(p.places) > 1 {
		where += " " + keyOf(c, action.NextPlace) + ": elsewhere (" + fmt.Sprint(p.place+1) + " of " + fmt.Sprint(len(p.places)) + ")."
	}
	b.WriteString("\n" + st.Dim.Render(printable(where)) + "\n")
	if p.placeErr != nil {
		b.WriteString(st.Warn.Render("AM's agents could not be read ("+printable(explain(p.placeErr))+"): the test runs as rsatui only.") + "\n")
	}
	if p.asking != "" {
		b.WriteString("\n" + st.Warn.Render("AM asks: "+printable(p.asking)) + "\n" +
			"The test waits: ask for the code the token shows next (not the one just read), type it above and press enter; esc ends the test.\n")
	}
	if r := p.result; r != nil {
		mark := st.OK.Render("✓ ")
		if !r.Accepted {
			mark = st.Err.Render("✗ ")
		}
		b.WriteString("\n" + mark + printable(r.Words))
		if h := fixHint(c, r.Fix); h != "" {
			b.WriteString(" — back on their screen, " + h)
		}
		b.WriteString("\n")
		if e := r.Event; e.GUID != "" {
			b.WriteString(st.Dim.Render("  AM recorded at "+e.At.In(c.loc).Format("15:04:05")+": "+printable(e.Message)+" ("+printable(e.ResultKey)+")") + "\n")
		}
		if r.Reason == "NEXT_TOKENCODE_REQUIRED" {
			b.WriteString(st.Warn.Render("  Ask for a new passcode and the code after it, and fill in both.") + "\n")
		}
	}
	if p.failed != "" {
		b.WriteString("\n" + st.Err.Render("✗ "+p.failed) + "\n")
	}
	b.WriteString("\n" + st.Dim.Render("The codes are masked, sent once and kept nowhere; AM's activity record says why it answered as it did."))
	return lipgloss.NewStyle().Width(w).Render(b.String())
}
