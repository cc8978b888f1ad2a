package ui

import (
	"context"
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
)

// confirmPane restates a change in words with the AM commands it will run.
// Only y confirms; every other key cancels (one rule everywhere).
type confirmPane struct {
	state rsa.TokenState
	req   rsa.EARequest
	clear bool
	// read is the token as AM holds it, read while the change is prepared
	// (readAhead): after y only the writes and the read-back remain.
	read *rsa.TokenState
}

// openSet opens the confirm with the token as read ahead when the form
// opened (if it is in), and reads it once more meanwhile.
func (p *confirmPane) openSet(m *Model, s rsa.TokenState, r rsa.EARequest) tea.Cmd {
	*p = confirmPane{state: s, req: r, read: m.ahead.of(s.Token.Serial)}
	m.push(scrConfirm)
	m.setStatus("Review the change: y runs it, any other key goes back to the form.", false)
	return m.ahead.start(m.am, s)
}

// aheadDone takes a token read ahead in: into the rows and screens that
// show that token.
func (m *Model) aheadDone(r readAheadDone) {
	st, ok := m.ahead.done(r)
	if !ok {
		return
	}
	m.tokens.replace(st)
	serial := st.Token.Serial
	if m.detail.state.Token.Serial == serial {
		m.detail.state = st
	}
	if m.form.state.Token.Serial == serial {
		m.form.state = st
	}
	if m.screen == scrConfirm && m.confirm.state.Token.Serial == serial {
		m.confirm.read, m.confirm.state = &st, st
	}
}

func (p *confirmPane) openClear(m *Model, s rsa.TokenState) tea.Cmd {
	if m.info.ReadOnly {
		m.setStatus("This is a read-only session: changes are disabled.", true)
		return nil
	}
	if !s.EA.Active() && !s.EA.Lost {
		m.setStatus("Emergency access is not on for token "+s.Token.Serial+": nothing to end.", false)
		return nil
	}
	*p = confirmPane{state: s, clear: true, read: m.ahead.of(s.Token.Serial)}
	m.push(scrConfirm)
	m.setStatus("Review the change: y runs it, any other key cancels.", false)
	return m.ahead.start(m.am, s)
}

// commands lists the AM commands y will send, in order ("+" joins those
// sent at the same time). With the read-ahead in, the token is not looked
// up again first (unless it has grown older than rsa.ReadMaxAge).
func (p *confirmPane) commands() []string {
	const readBack = "LookupTokenCommand + LookupTokenEmergencyAccessCommand"
	var cmds []string
	if p.read == nil {
		cmds = []string{"LookupTokenCommand"}
	}
	if p.clear {
		if p.read == nil {
			cmds = append(cmds, "LookupTokenEmergencyAccessCommand")
		}
		return append(cmds, "UpdateTokenEmergencyAccessCommand (tokenLost=false, eaMode=0)", readBack)
	}
	gen := "GenerateEmergencyAccessCodeCommand"
	switch {
	case p.req.Mode == 2:
		gen = "GenerateOneTimeTokenCodeSetCommand"
	case p.req.FixedCode != "":
		gen = ""
	}
	switch {
	case p.read == nil && gen != "":
		cmds = append(cmds, "LookupTokenEmergencyAccessCommand + "+gen)
	case p.read == nil:
		cmds = append(cmds, "LookupTokenEmergencyAccessCommand")
	case gen != "":
		cmds = append(cmds, gen)
	}
	return append(cmds, "UpdateTokenEmergencyAccessCommand", readBack)
}

func (p *confirmPane) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if k.String() != "y" {
		m.pop()
		m.setStatus("Cancelled: nothing was sent to AM.", false)
		return nil
	}
	am, req, serial, clear, read := m.am, p.req, p.state.Token.Serial, p.clear, p.read
	req.Read = read
	m.pop()
	label := "Putting token " + serial + " into emergency access"
	if clear {
		label = "Ending emergency access for token " + serial
	}
	return m.startWrite(label, func(ctx context.Context) tea.Msg {
		if clear {
			res, err := am.ClearEmergencyAccess(ctx, serial, read)
			return eaDone{clear: true, res: res, err: err}
		}
		res, err := am.SetEmergencyAccess(ctx, req)
		return eaDone{req: req, res: res, err: err}
	})
}

func (p *confirmPane) view(m *Model) string {
	var b strings.Builder
	b.WriteString(m.st.Title.Render("Please confirm") + "\n\n")
	if p.clear {
		b.WriteString("End online emergency access for token " + p.state.Token.Serial + " (" + p.state.Token.AssignedUserID + "):\n")
		b.WriteString("the token works normally again; the fixed code and unused one-time codes stop working.\n")
	} else {
		b.WriteString(p.req.Describe(m.now()) + "\n")
	}
	if p.read != nil {
		b.WriteString("\n" + m.st.Dim.Render("The token as AM holds it was read at "+p.read.ReadAt.Local().Format("15:04:05")+".") + "\n")
	} else {
		b.WriteString("\n" + m.st.Dim.Render("Reading the token as AM holds it…") + "\n")
	}
	b.WriteString("\n" + m.st.Dim.Render("AM commands, in order (+ sent at the same time):") + "\n")
	for i, c := range p.commands() {
		b.WriteString(m.st.Dim.Render("  "+string(rune('1'+i))+". "+c) + "\n")
	}
	b.WriteString("\n" + m.st.Key.Render("y") + " run it    " + m.st.Key.Render("any other key") + " cancel")
	return b.String()
}

// resultPane shows what AM holds after a change, with the changed fields
// marked, and the codes once.
type resultPane struct {
	res   rsa.EAResult
	clear bool
	req   rsa.EARequest
	// uncertain: the reply was lost and AM does not show the change (yet);
	// the codes may be active, so they are shown, marked so
	uncertain bool
	scroll    scroller
}

func (p *resultPane) done(m *Model, r eaDone) tea.Cmd {
	uncertain := errors.Is(r.err, rsa.ErrOutcomeUnknown) && len(r.res.Codes) > 0
	if r.err != nil && !uncertain {
		// the form stays filled (screen stack unchanged) so the admin can correct and resubmit
		msg := explain(r.err)
		if r.res.After.Token.Serial != "" {
			msg += " AM now holds: emergency access " + eaSummary(r.res.After.EA) + "."
			m.tokens.replace(r.res.After)
			m.detail.state = r.res.After
		}
		if m.screen == scrForm {
			m.form.failure = msg
			// only a value in the form can be corrected in the form
			if errors.Is(r.err, rsa.ErrInvalidInput) || errors.Is(r.err, rsa.ErrInvalidArgument) {
				m.setStatus("AM refused the change: the form shows why; correct it and submit again.", true)
			} else {
				m.setStatus("The change was not made: the form shows why.", true)
			}
		} else {
			m.setStatus(msg, true)
		}
		return nil
	}
	*p = resultPane{res: r.res, clear: r.clear, req: r.req, uncertain: uncertain, scroll: newScroller()}
	m.tokens.replace(r.res.After)
	m.detail.state = r.res.After
	if r.clear {
		m.form.state = rsa.TokenState{} // a later form starts fresh
	}
	// the result replaces the form in the back stack: esc returns to the token list
	for len(m.back) > 0 && m.screen != scrTokens && m.screen != scrDetail {
		m.pop()
	}
	m.push(scrResult)
	note := "Done: AM holds the state shown."
	if r.res.Note != "" {
		note = "Done (" + r.res.Note + ")."
	}
	if uncertain {
		m.setStatus(explain(r.err), true)
		return nil
	}
	m.setStatus(note, false)
	return nil
}

func (p *resultPane) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "c":
		if len(p.res.Codes) == 0 {
			m.setStatus("There are no codes to copy: ending emergency access issues none.", false)
			return nil
		}
		m.setStatus("Codes copied to the clipboard (OSC 52). Clear it after handing them over.", false)
		return tea.SetClipboard(p.codesText())
	case "enter", "esc":
		p.res.Codes = nil // shown once
		m.pop()
	}
	return nil
}

func (p *resultPane) codesText() string {
	s := make([]string, len(p.res.Codes))
	for i, c := range p.res.Codes {
		s[i] = c.Reveal()
	}
	return strings.Join(s, " ")
}

func (p *resultPane) view(m *Model, h int) string {
	return p.scroll.view(m.st, p.content(m), m.w, h)
}

// content is the whole result: the codes in as many columns as the width
// takes, then every field AM holds; the scroller shows what fits.
func (p *resultPane) content(m *Model) string {
	var b strings.Builder
	title := "Emergency access is on for token " + p.res.After.Token.Serial
	if p.clear {
		title = "Emergency access ended for token " + p.res.After.Token.Serial
	}
	if p.uncertain {
		title = "Emergency access MAY be on for token " + p.res.After.Token.Serial + ": the reply was lost"
	}
	b.WriteString(m.st.Title.Render(title) + "\n")
	if p.uncertain {
		b.WriteString(m.st.Err.Render("AM does not show the change yet, but may still apply it: these codes may be active. Press r on the token to check before handing them over or trying again.") + "\n")
	}
	if len(p.res.Codes) > 0 {
		label := "Temporary fixed tokencode"
		if len(p.res.Codes) > 1 {
			label = "One-time tokencodes"
		}
		codes := p.codesText()
		if len(p.res.Codes) > 1 {
			per := max(1, min((m.w-4)/(amproto.EACodeSize+2), 10)) // a box border and padding; 10 a row at most
			var rows []string
			for i := 0; i < len(p.res.Codes); i += per {
				end := min(i+per, len(p.res.Codes))
				var row []string
				for _, c := range p.res.Codes[i:end] {
					row = append(row, c.Reveal())
				}
				rows = append(rows, strings.Join(row, "  "))
			}
			codes = strings.Join(rows, "\n")
		}
		b.WriteString(m.st.Box.Render(label+"\n"+m.st.Code.Render(codes)) + "\n")
		it := "it"
		if len(p.res.Codes) > 1 {
			it = "them" // #14 defect 5: "Hand it over" for ten codes
		}
		b.WriteString(m.st.Warn.Render("Shown only now. Hand "+it+" over by phone or in person, never by mail; the user types PIN + code.") + "\n")
	}
	b.WriteString(m.st.Dim.Render("AM now holds (* = changed, listed first):") + "\n")
	b.WriteString(strings.Join(fieldLines(m, p.res.After, p.res.Before, false), "\n"))
	return b.String()
}
