package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa"
)

// extendPane changes the emergency access on a token now, in one
// field: the new end (checked as typed by AM's lifetime rules; the codes
// stay) or, with codes, how many one-time codes to add to the set (the
// unused ones stay).
type extendPane struct {
	askingBase
	state  rsa.TokenState
	parent string
	codes  bool
	end    textinput.Model // the new end, or the number of codes
}

// openExtend opens the extension of s's emergency access, when it is on.
func openExtend(c *common, s rsa.TokenState, parent string) reqs {
	p := &extendPane{state: s, parent: parent, end: newInput("14d, 36h or 2026-12-12", 32)}
	p.end.SetValue(fmt.Sprintf("%dd", c.am.EALifetimeDays()))
	p.end.Focus()
	return do(push(p))
}

// openAddCodes opens the addition of one-time codes to s's set, when one
// is on.
func openAddCodes(c *common, s rsa.TokenState, parent string) reqs {
	p := &extendPane{state: s, parent: parent, codes: true, end: newInput(rsa.OneTimeCountHint, 8)}
	p.end.SetValue("5")
	p.end.Focus()
	return do(push(p))
}

func (p *extendPane) crumbs() []string {
	if p.codes {
		return []string{p.state.Token.Serial, "add codes"}
	}
	return []string{p.state.Token.Serial, "extend"}
}
func (p *extendPane) backsItself() {}

func (p *extendPane) keys(c *common) []keyGroup {
	return []keyGroup{{p.crumbs()[1], []key.Binding{withHelp(c.km[action.Review], "review"), fixed("esc", "back, nothing sent")}}}
}

// count is the number of codes to add, as typed, and what is wrong with it.
func (p *extendPane) count() (int, error) {
	return rsa.ParseOneTimeCount(p.end.Value())
}

// request is the new end and what is wrong with it.
func (p *extendPane) request(c *common) (rsa.EARequest, error) {
	exp, err := c.am.ParseExpiry(p.end.Value())
	if err != nil {
		return rsa.EARequest{}, err
	}
	if exp.IsZero() {
		return rsa.EARequest{}, fmt.Errorf("%w: give a new end; to end emergency access, use x", rsa.ErrInvalidInput)
	}
	ea := p.state.EA
	r := rsa.EARequest{Serial: p.state.Token.Serial, Mode: ea.Mode, Expires: exp, IfAvailable: ea.LostMode, Count: max(ea.NumUnusedCodes, 1)}
	return r, c.am.Validate(r)
}

func (p *extendPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	switch {
	case k.String() == "esc":
		return do(back()), true
	case key.Matches(k, c.km[action.Review]) && p.codes:
		n, err := p.count()
		if err != nil {
			return do(fail("Fix the number: " + trimKind(err))), true
		}
		am, serial := c.am, p.state.Token.Serial
		r := rsa.EARequest{Serial: serial, Mode: p.state.EA.Mode, Expires: p.state.EA.Expiration, IfAvailable: p.state.EA.LostMode, Count: n}
		return do(push(&changePane{state: p.state, title: "Add one-time codes",
			words: fmt.Sprintf("Add %d one-time codes to the set on token %s (%s); the %d unused codes the person has keep working. "+
				"The new codes are shown once, to read to the person.", n, serial, eaSummary(p.state.EA, c.loc), p.state.EA.NumUnusedCodes),
			commands: rsa.AddCodesPlan(n).Lines(),
			label:    "Adding one-time codes to token " + serial,
			run: func(ctx context.Context) tea.Msg {
				res, err := am.AddOneTimeCodes(ctx, serial, n)
				return eaDone{req: r, res: res, err: err, title: fmt.Sprintf("%d one-time codes added to token %s", n, serial)}
			}})), true
	case key.Matches(k, c.km[action.Review]):
		r, err := p.request(c)
		if err != nil {
			return do(fail("Fix the new end: " + trimKind(err))), true
		}
		am, serial := c.am, r.Serial
		return do(push(&changePane{state: p.state, title: "Extend emergency access",
			words: "Extend the emergency access on token " + serial + " (" + eaSummary(p.state.EA, c.loc) + ") " +
				when(r.Expires, c.loc, "") + "; the codes stay as they are.",
			commands: rsa.ExtendPlan().Lines(),
			label:    "Extending the emergency access of token " + serial,
			run: func(ctx context.Context) tea.Msg {
				res, err := am.ExtendEmergencyAccess(ctx, serial, r.Expires)
				return eaDone{req: r, res: res, err: err, title: "Emergency access extended for token " + serial}
			}})), true
	}
	var cmd tea.Cmd
	p.end, cmd = p.end.Update(k)
	return do(run(cmd)), true
}

// update takes the extension's result: on success the result replaces the
// form; refused, the form stays and says why.
func (p *extendPane) update(c *common, msg tea.Msg) reqs {
	r, ok := msg.(eaDone)
	if !ok {
		return nil
	}
	if r.err != nil {
		return eaFinished(c, r, p.parent) // says why; the form stays
	}
	return append(do(back()), eaFinished(c, r, p.parent)...)
}

func (p *extendPane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	if p.codes {
		b.WriteString(st.Title.Render("Add one-time codes to token "+p.state.Token.Serial) + "\n")
		b.WriteString(st.Dim.Render(fmt.Sprintf("Now: %s, %d unused", eaSummary(p.state.EA, c.loc), p.state.EA.NumUnusedCodes)) + "\n\n")
		b.WriteString(st.Selected.Render("› ") + pad("How many", 11) + p.end.View() + "\n")
		if n, err := p.count(); err != nil {
			b.WriteString("    " + st.Err.Render("✗ "+trimKind(err)) + "\n")
		} else {
			b.WriteString("    " + st.Dim.Render(fmt.Sprintf("→ %d unused codes afterwards", p.state.EA.NumUnusedCodes+n)) + "\n")
		}
		return lipgloss.NewStyle().Width(w).Render(b.String())
	}
	b.WriteString(st.Title.Render("Extend emergency access on token "+p.state.Token.Serial) + "\n")
	b.WriteString(st.Dim.Render("Now: "+eaSummary(p.state.EA, c.loc)) + "\n\n")
	b.WriteString(st.Selected.Render("› ") + pad("New end", 11) + p.end.View() + "\n")
	if r, err := p.request(c); err != nil {
		b.WriteString("    " + st.Err.Render("✗ "+trimKind(err)) + "\n")
	} else {
		b.WriteString("    " + st.Dim.Render("→ until "+when(r.Expires, c.loc, "")) + "\n")
	}
	return lipgloss.NewStyle().Width(w).Render(b.String())
}
