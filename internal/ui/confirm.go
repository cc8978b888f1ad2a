package ui

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// confirmPane restates a change in words with the AM commands it will run.
// Only y confirms; every other key cancels (one rule everywhere).
type confirmPane struct {
	askingBase
	state rsa.TokenState
	req   rsa.EARequest
	clear bool
	// read is the token as AM holds it, read while the change is prepared
	// (readAhead): after y only the writes and the read-back remain.
	read  *rsa.TokenState
	ahead readAhead
	// person is whose the token is, as the directory names them
	person ad.User
	// neverConfirmed: a change with no expiration was confirmed once
	// (it takes a second yes)
	neverConfirmed bool
}

// eaDone is the result of a change to emergency access.
type eaDone struct {
	req   rsa.EARequest
	clear bool
	res   rsa.EAResult
	err   error
	title string // the result's title when not the set's or the clear's
}

func (d eaDone) outcome() error { return d.err }

// unseen: codes AM installed that nobody saw (the console quit first).
func (d eaDone) unseen() string {
	if len(d.res.Codes) == 0 || (d.err != nil && !errors.Is(d.err, rsa.ErrOutcomeUnknown)) {
		return ""
	}
	serial := d.res.After.Token.Serial
	if serial == "" {
		serial = d.req.Serial
	}
	return "its emergency code was not shown, so nobody has it: give a new one with rsatui ea set " + serial
}

// newConfirmSet confirms r, with the token as read ahead by the form (if it
// is in); the confirm reads it once more meanwhile.
func newConfirmSet(s rsa.TokenState, r rsa.EARequest, read *rsa.TokenState, person ad.User) *confirmPane {
	return &confirmPane{state: s, req: r, read: read, person: person}
}

// openClear confirms ending emergency access on s, when it is on.
func openClear(c *common, s rsa.TokenState) reqs {
	if !s.EA.Active() && !s.EA.Lost {
		return do(say("Emergency access is not on for token " + s.Token.Serial + ": nothing to end."))
	}
	return do(push(&confirmPane{state: s, clear: true}))
}

func (p *confirmPane) open(c *common) reqs {
	text := "Review the change: y runs it, any other key goes back to the form."
	if p.clear {
		text = "Review the change: y runs it, any other key cancels."
	}
	return do(say(text), run(p.ahead.start(c, p.state)))
}

func (p *confirmPane) crumbs() []string { return []string{p.state.Token.Serial, "confirm"} }

// typing: a yes/no question takes every key (q, ?, / cancel it too).

func (p *confirmPane) keys(c *common) []keyGroup {
	return []keyGroup{{"confirm", []key.Binding{c.km[action.Yes], fixed("any other key", "cancel, nothing sent")}}}
}

func (p *confirmPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case readAheadDone:
		if st, ok := p.ahead.done(msg); ok {
			p.read, p.state = &st, st
			return do(tell(tokenNow{st}))
		}
	case writeStarted:
		p.ahead.forget()
	}
	return nil
}

// commands lists the AM commands y will send, in order ("+" joins those
// sent at the same time). With the read-ahead in, the token is not looked
// up again first (unless it has grown older than rsa.ReadMaxAge).
func (p *confirmPane) commands() []string {
	fresh := p.read != nil
	if p.clear {
		return rsa.EndEAPlan(fresh).Lines()
	}
	return rsa.EAPlan(p.req, fresh).Lines()
}

func (p *confirmPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if !key.Matches(k, c.km[action.Yes]) {
		return do(back(), say("Cancelled: nothing was sent to AM.")), true
	}
	if !p.clear && p.req.Expires.IsZero() && !p.neverConfirmed {
		// no end: a code that works until somebody remembers to end it
		p.neverConfirmed = true
		return do(fail("No expiration: the code works until emergency access is ended (x). " + c.km[action.Yes].Help().Key + " again to give it anyway.")), true
	}
	am, req, serial, clear, read := c.am, p.req, p.state.Token.Serial, p.clear, p.read
	req.Read = read
	label := "Putting token " + serial + " into emergency access"
	if clear {
		label = "Ending emergency access for token " + serial
	}
	// the confirm closes first: the result comes to the screen below it
	// (the form, or the token or list a clear was asked from)
	return do(back(), write(label, func(ctx context.Context) tea.Msg {
		if clear {
			res, err := am.ClearEmergencyAccess(ctx, serial, read)
			return eaDone{clear: true, res: res, err: err}
		}
		res, err := am.SetEmergencyAccess(ctx, req)
		return eaDone{req: req, res: res, err: err}
	})), true
}

func (p *confirmPane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Please confirm") + "\n\n")
	if p.clear {
		b.WriteString("End online emergency access for token " + p.state.Token.Serial + " (" + printable(p.state.Token.AssignedUserID) + "):\n")
		b.WriteString("the token works normally again; the fixed code and unused one-time codes stop working.\n")
	} else {
		b.WriteString(p.req.Describe(c.now(), c.loc) + "\n")
		if who := p.state.Token.AssignedUserID; who != "" {
			name := who
			if p.person.DisplayName != "" {
				name = p.person.DisplayName + " (" + who + ")"
			}
			b.WriteString("The token is " + printable(name) + "'s.\n")
		}
		if _, off := p.req.Expires.In(c.loc).Zone(); !p.req.Expires.IsZero() && off != 0 {
			b.WriteString(st.Dim.Render("In UTC: until "+p.req.Expires.UTC().Format(rsa.TimeLayout)+".") + "\n")
		}
	}
	if p.read != nil {
		b.WriteString("\n" + st.Dim.Render("The token as AM holds it was read at "+p.read.ReadAt.In(c.loc).Format("15:04:05")+".") + "\n")
	} else {
		b.WriteString("\n" + st.Dim.Render("Reading the token as AM holds it…") + "\n")
	}
	b.WriteString(ticketLine(c))
	b.WriteString("\n" + st.Dim.Render("AM commands, in order (+ sent at the same time):") + "\n")
	for i, cmd := range p.commands() {
		b.WriteString(st.Dim.Render("  "+string(rune('1'+i))+". "+cmd) + "\n")
	}
	b.WriteString("\n" + st.Key.Render(c.km[action.Yes].Help().Key) + " run it    " + st.Key.Render("any other key") + " cancel")
	return lipgloss.NewStyle().Width(w).Render(b.String())
}

// ticketLine is the confirm's line on the ticket the change is audited with.
func ticketLine(c *common) string {
	if c.ticket == "" {
		return "\n" + c.st.Dim.Render("No ticket: :ticket INC123 records one with the change.") + "\n"
	}
	return "\nTicket: " + printable(c.ticket) + " (kept in the audit).\n"
}
