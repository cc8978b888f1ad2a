package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
)

// refreshEvery is the auto-refresh period of the tokens pane.
const refreshEvery = 5 * time.Second

type tokensPane struct {
	user      ad.User
	principal rsa.Principal
	states    []rsa.TokenState
	table     grid
	auto      bool
	autoSeq   int
	w         int
	now       func() time.Time // the console's clock (tests fix it)
}

type autoRefresh struct{ seq int }

func newTokensPane(now func() time.Time) tokensPane {
	return tokensPane{table: newGrid(), now: now}
}

func (p *tokensPane) resize(w, h int) {
	p.w = w
	p.table.SetHeight(max(h-4, 2))
	p.table.SetColumns(tokenColumns(w))
	p.setRows(p.now()) // the cells depend on the width
}

// tokenColumns: the emergency-access column always keeps its room; type and
// last login (also on the detail screen) appear when the window is wide.
func tokenColumns(w int) []column {
	const pad = 1 // table cells have one column of padding on each side
	switch {
	case w >= 110:
		return []column{{Title: "Serial", Width: 13}, {Title: "Type", Width: 14}, {Title: "State", Width: 9},
			{Title: "Expires", Width: 11}, {Title: "Last login", Width: 11}, {Title: "PIN/Next", Width: 8},
			{Title: "Emergency access", Width: w - 13 - 14 - 9 - 11 - 11 - 8 - 14 - pad}}
	case w >= 70:
		return []column{{Title: "Serial", Width: 13}, {Title: "State", Width: 9}, {Title: "Expires", Width: 11},
			{Title: "PIN/Next", Width: 8}, {Title: "Emergency access", Width: w - 13 - 9 - 11 - 8 - 10 - pad}}
	}
	return []column{{Title: "Serial", Width: 13}, {Title: "State", Width: 9}, {Title: "Expires", Width: 11},
		{Title: "Emergency access", Width: max(w-13-9-11-8-pad, 8)}}
}

func eaSummary(ea rsa.EmergencyAccess) string {
	if !ea.Active() {
		return "off"
	}
	kind := "fixed code"
	if ea.Mode == amproto.EAModeOneTimeCodeSet {
		kind = fmt.Sprintf("%d one-time codes left", ea.NumUnusedCodes)
	}
	until := "no expiry"
	if !ea.Expiration.IsZero() {
		until = "until " + ea.Expiration.Local().Format(rsa.TimeLayout)
	}
	return "ON: " + kind + ", " + until
}

func expiry(t time.Time, now time.Time) string {
	switch {
	case t.IsZero():
		return "never"
	case !t.After(now):
		return "EXPIRED"
	case t.Sub(now) < 30*24*time.Hour:
		return t.Format("2006-01-02") + "!"
	}
	return t.Format("2006-01-02")
}

func (p *tokensPane) setRows(now time.Time) {
	rows := make([]row, 0, len(p.states))
	for _, s := range p.states {
		t := s.Token
		state := "enabled"
		if !t.Enabled {
			state = "disabled"
		}
		ea := eaSummary(s.EA)
		if s.Unread != nil {
			// what the list said is shown; what could not be read is not guessed
			ea = "? not read"
			if s.EA.TokenGUID != "" {
				ea = eaSummary(s.EA) + " (token record not read)"
			}
		}
		if p.w < 70 {
			rows = append(rows, row{t.Serial, state, expiry(t.Expires, now), ea})
			continue
		}
		last, pin := "never", "no"
		if !t.LastLogin.IsZero() {
			last = t.LastLogin.Local().Format("2006-01-02")
		}
		if t.PinSet {
			pin = "set"
		}
		// next-tokencode mode: AM will ask for a second code (clock drift)
		if t.NextTokencodeMode {
			pin += "/NEXT"
		} else {
			pin += "/–"
		}
		if p.w < 110 {
			rows = append(rows, row{t.Serial, state, expiry(t.Expires, now), pin, ea})
			continue
		}
		rows = append(rows, row{t.Serial, t.TokenType.String(), state, expiry(t.Expires, now), last, pin, ea})
	}
	p.table.SetRows(rows)
}

// open loads a user's tokens and their emergency-access state.
func (p *tokensPane) open(m *Model, u ad.User) tea.Cmd {
	am := m.am
	return m.startCall("Reading "+u.Login+"'s tokens from AM", func(ctx context.Context) tea.Msg {
		principal, states, err := am.UserTokenStates(ctx, u.Login, false)
		return tokensLoaded{user: u, principal: principal, states: states, err: err}
	})
}

func (p *tokensPane) loaded(m *Model, r tokensLoaded) tea.Cmd {
	partial := errors.Is(r.err, rsa.ErrIncomplete) && len(r.states) > 0
	if r.err != nil && !partial {
		m.setStatus(explain(r.err), true)
		return nil
	}
	first := m.screen != scrTokens && m.screen != scrDetail
	p.user, p.principal, p.states = r.user, r.principal, r.states
	p.setRows(m.now())
	if first {
		p.table.SetCursor(0)
		m.push(scrTokens)
	}
	if partial {
		// the rows show what was read; the missing parts are marked "?"
		var missing []string
		for _, s := range r.states {
			if s.Unread != nil {
				missing = append(missing, s.Token.Serial)
			}
		}
		m.setStatus("Shown in part, not read in full: "+strings.Join(missing, ", ")+" (marked ?); r reads again. Why: "+explain(r.err), true)
		return nil
	}
	switch n := len(p.states); {
	case n == 0:
		m.setStatus(r.user.Login+" has no token in AM: assign one from the token pool first.", false)
	case n > 1:
		m.setStatus(fmt.Sprintf("%s holds %d tokens (one is the rule): check whether the extra one should be unassigned.", r.user.Login, n), false)
	default:
		m.setStatus(fmt.Sprintf("%s: 1 token, read from AM at %s.", r.user.Login, m.now().Format("15:04:05")), false)
	}
	return nil
}

// replace updates one token's row after a detail refresh or a change.
func (p *tokensPane) replace(s rsa.TokenState) {
	for i := range p.states {
		if p.states[i].Token.Serial == s.Token.Serial {
			p.states[i] = s
		}
	}
	p.setRows(p.now())
}

// holds reports whether serial is one of the shown person's tokens.
func (p *tokensPane) holds(serial string) bool {
	for _, s := range p.states {
		if s.Token.Serial == serial {
			return true
		}
	}
	return false
}

func (p *tokensPane) selected() (rsa.TokenState, bool) {
	i := p.table.Cursor()
	if i >= len(p.states) {
		return rsa.TokenState{}, false
	}
	return p.states[i], true
}

func (p *tokensPane) autoRefresh(m *Model, msg autoRefresh) tea.Cmd {
	if !p.auto || msg.seq != p.autoSeq || m.screen != scrTokens {
		return nil
	}
	cmds := []tea.Cmd{p.tick()}
	if m.busy == "" {
		cmds = append(cmds, p.open(m, p.user))
	}
	return tea.Batch(cmds...)
}

func (p *tokensPane) tick() tea.Cmd {
	seq := p.autoSeq
	return tea.Tick(refreshEvery, func(time.Time) tea.Msg { return autoRefresh{seq: seq} })
}

func (p *tokensPane) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	s, ok := p.selected()
	switch k.String() {
	case "esc":
		p.auto = false
		m.pop()
		return nil
	case "r":
		return p.open(m, p.user)
	case "a":
		p.auto = !p.auto
		p.autoSeq++
		if p.auto {
			m.setStatus(fmt.Sprintf("Auto-refresh on: every %s.", refreshEvery), false)
			return p.tick()
		}
		m.setStatus("Auto-refresh off.", false)
		return nil
	case "enter":
		if ok {
			return m.detail.show(m, s)
		}
		return nil
	case "e":
		if ok {
			return m.form.open(m, s)
		}
		return nil
	case "x":
		if ok {
			return m.confirm.openClear(m, s)
		}
		return nil
	}
	p.table.Update(k)
	return nil
}

func (p *tokensPane) view(m *Model) string {
	u := p.user
	head := m.st.Title.Render(u.DisplayName) + " (" + u.Login + ")"
	if u.Disabled {
		head += " " + m.st.badge("AD DISABLED", true)
	}
	if u.Locked {
		head += " " + m.st.badge("AD LOCKED", true)
	}
	if p.auto {
		head += " " + m.st.badge("AUTO-REFRESH", false)
	}
	sub := m.st.Dim.Render(fmt.Sprintf("%s · %s · AM principal %s", u.Mail, u.Department, printable(p.principal.GUID)))
	if len(p.states) == 0 {
		return head + "\n" + sub + "\n\n  No tokens in AM for this person."
	}
	return head + "\n" + sub + "\n\n" + p.table.View()
}

// --- token detail ---

type detailPane struct {
	state   rsa.TokenState
	explain bool
	scroll  scroller
}

// show opens the detail of a token from the list: what the list showed at
// once, the whole record (one round trip: the GUID is known) as it comes.
func (p *detailPane) show(m *Model, s rsa.TokenState) tea.Cmd {
	p.state = s
	m.push(scrDetail)
	return p.reread(m)
}

func (p *detailPane) reread(m *Model) tea.Cmd {
	am, st := m.am, p.state
	return m.startCall("Reading token "+st.Token.Serial, func(ctx context.Context) tea.Msg {
		now, err := am.Reread(ctx, st)
		return tokenLoaded{state: now, err: err}
	})
}

func (p *detailPane) open(m *Model, serial string) tea.Cmd {
	am := m.am
	p.state = rsa.TokenState{Token: rsa.Token{Serial: serial}}
	if m.screen != scrDetail {
		m.push(scrDetail)
	}
	return m.startCall("Reading token "+serial, func(ctx context.Context) tea.Msg {
		st, err := am.Token(ctx, serial)
		return tokenLoaded{state: st, err: err}
	})
}

func (p *detailPane) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.pop()
	case "i":
		p.explain = !p.explain
	case "r":
		return p.reread(m)
	case "e":
		return m.form.open(m, p.state)
	case "x":
		return m.confirm.openClear(m, p.state)
	}
	return nil
}

// content is every field (with its meaning when explain is on); the
// scroller shows what fits.
func (p *detailPane) content(m *Model) string {
	return strings.Join(fieldLines(m, p.state, rsa.TokenState{}, p.explain), "\n")
}

func (p *detailPane) view(m *Model, h int) string {
	return p.scroll.view(m.st, p.content(m), m.w, h)
}
