package ui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// resyncPane takes the two consecutive tokencodes of a resync, read to the
// help desk over the phone: the current one, then the next once the token
// shows it. The codes are masked on screen and kept only until sent.
type resyncPane struct {
	askingBase
	state  rsa.TokenState
	who    string
	codes  maskedPair
	failed string // why the last try was refused
	parent string // where the result goes back to
}

// openResync opens the resync form on s, when the person may resync.
func openResync(c *common, s rsa.TokenState, u ad.User, parent string) reqs {
	who := s.Token.AssignedUserID
	if who == "" {
		who = u.Login
	}
	if who == "" {
		who = "the person"
	}
	p := &resyncPane{state: s, who: who, parent: parent, codes: newMaskedPair([2]string{"6 or 8 digits", "6 or 8 digits"}, [2]int{8, 8})}
	return do(push(p))
}

func (p *resyncPane) crumbs() []string { return []string{p.state.Token.Serial, "resync"} }

// update takes the resync's result: on success the result replaces the
// form; refused, the form stays with why (codes cleared: read new ones).
func (p *resyncPane) update(c *common, msg tea.Msg) reqs {
	r, ok := msg.(changeDone)
	if !ok {
		return nil
	}
	if r.err == nil {
		return append(do(back()), changeFinished(c, r, p.parent)...)
	}
	p.failed = explain(r.err)
	rs := do(run(p.codes.clear()), fail("The token was not resynchronized: the form shows why; ask for two new codes."))
	if r.res.After.Token.Serial != "" {
		rs = append(rs, tell(tokenNow{r.res.After}))
	}
	return rs
}

// backsItself: esc goes back (the bar says so).
func (p *resyncPane) backsItself() {}

func (p *resyncPane) keys(c *common) []keyGroup {
	return []keyGroup{{"resync", []key.Binding{withHelp(c.km[action.Review], "review"), withHelp(c.km[action.NextField], "the other code"),
		fixed("esc", "back, nothing sent")}}}
}

func (p *resyncPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	switch {
	case k.String() == "esc":
		return do(back()), true
	case key.Matches(k, km[action.NextField]), key.Matches(k, km[action.PreviousField]):
		return do(run(p.codes.toggle())), true
	case key.Matches(k, km[action.Review]):
		for i := range 2 {
			if err := rsa.TokencodePolicy(p.codes.value(i)); err != nil {
				return do(run(p.codes.focusOn(i)), fail("Fix the marked code: "+trimKind(err))), true
			}
		}
		if p.codes.value(0) == p.codes.value(1) {
			return do(fail("The two tokencodes are the same: wait for the token to show the next one.")), true
		}
		first, second := rsa.Secret(p.codes.value(0)), rsa.Secret(p.codes.value(1))
		am, serial := c.am, p.state.Token.Serial
		return do(push(&changePane{state: p.state, title: "Resynchronize the token",
			words: "Resynchronize token " + serial + " (" + p.who + ") with the two tokencodes given: AM learns the token's clock " +
				"again and clears its next-tokencode mode. The codes are not shown or kept.",
			commands: rsa.ResyncPlan().Lines(),
			label:    "Resynchronizing token " + serial,
			run: tokenChange("Resynchronize the token", func(ctx context.Context) (rsa.TokenResult, error) {
				return am.Resync(ctx, serial, first, second)
			})})), true
	}
	return do(run(p.codes.update(k))), true
}

func (p *resyncPane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Resynchronize token "+p.state.Token.Serial) + st.Dim.Render(" ("+p.who+")") + "\n\n")
	b.WriteString("Ask " + p.who + " to read the tokencode shown now, then to wait until the display changes and read the next one (no PIN).\n\n")
	for i, label := range []string{"Tokencode", "Next one"} {
		line := p.codes.line(c, i, label)
		if err := rsa.TokencodePolicy(p.codes.value(i)); err == nil {
			line += " " + st.OK.Render("✓")
		} else if p.codes.value(i) != "" {
			line += "\n    " + st.Err.Render("✗ "+trimKind(err))
		}
		b.WriteString(line + "\n")
	}
	if p.failed != "" {
		b.WriteString("\n" + st.Err.Render("✗ "+p.failed) + "\n")
	}
	b.WriteString("\n" + st.Dim.Render("The codes are masked, sent once and kept nowhere."))
	return lipgloss.NewStyle().Width(w).Render(b.String())
}
