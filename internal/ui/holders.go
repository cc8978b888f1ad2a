package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// holdersPane is the people whose tokens are in a state the help desk
// looks for across everybody — in emergency access (:ea), in next-tokencode
// mode (:next) — read from AM's token search (the people list is the
// directory's, which knows neither). Enter opens the person.
type holdersPane struct {
	paneBase
	what   string // "in emergency access"
	noun   string // what a row is: "token", "person"
	read   func(ctx context.Context) ([]holderRow, error)
	rows   []holderRow
	loaded bool
	table  grid
}

// holderRow is a person on a holders list, with the token (if any) and
// the state that put them there.
type holderRow struct {
	login, serial, typ, state string
}

// holdersLoaded is a holders pane's read.
type holdersLoaded struct {
	rows []holderRow
	err  error
}

// tokenRows reads tokens in one state as rows.
func tokenRows(read func(context.Context) ([]rsa.TokenSummary, error), state string) func(context.Context) ([]holderRow, error) {
	return func(ctx context.Context) ([]holderRow, error) {
		ts, err := read(ctx)
		rows := make([]holderRow, len(ts))
		for i, t := range ts {
			rows[i] = holderRow{t.AssignedUser, t.Serial, t.TokenType.String(), state}
		}
		return rows, err
	}
}

// openHolders opens the people in one state: ea, next or locked.
func openHolders(c *common, which string) reqs {
	am := c.am
	p := &holdersPane{table: newGrid(), noun: "token"}
	switch which {
	case "ea":
		p.what, p.read = "in emergency access", tokenRows(am.InEmergencyAccess, "emergency access on")
	case "next":
		p.what, p.read = "in next-tokencode mode", tokenRows(am.InNextTokencodeMode, "next-tokencode mode")
	case "locked":
		// AM's lockouts of the last day, each still in force
		since := c.now().Add(-24 * time.Hour)
		p.what, p.noun = "locked out by AM (in the last day, still locked)", "person"
		p.read = func(ctx context.Context) ([]holderRow, error) {
			ps, err := am.LockedSince(ctx, since)
			rows := make([]holderRow, len(ps))
			for i, pr := range ps {
				rows[i] = holderRow{login: pr.UserID, state: "locked out by AM"}
			}
			return rows, err
		}
	default:
		return do(fail("Unknown list " + printable(which) + ": :ea (in emergency access), :next (in next-tokencode mode) or :locked (locked out by AM)."))
	}
	return do(push(p))
}

func (p *holdersPane) open(c *common) reqs {
	read := p.read
	return do(call("Reading AM "+p.what, func(ctx context.Context) tea.Msg {
		rows, err := read(ctx)
		return holdersLoaded{rows: rows, err: err}
	}))
}

func (p *holdersPane) crumbs() []string { return []string{p.what} }

func (p *holdersPane) keys(c *common) []keyGroup {
	return []keyGroup{{"people " + p.what, []key.Binding{withHelp(c.km[action.Open], "open the person"), c.km[action.Refresh]}},
		{"moving", c.km.listKeys()}}
}

func (p *holdersPane) resize(c *common, w, h int) {
	p.table.SetHeight(max(h-3, 2))
	p.table.SetColumns([]column{{Title: "Login", Width: 14}, {Title: "Serial", Width: 12}, {Title: "Type", Width: 16},
		{Title: "State", Width: max(w-14-12-16-8, 10)}})
	p.setRows()
}

func (p *holdersPane) setRows() {
	rows := make([]row, len(p.rows))
	for i, r := range p.rows {
		rows[i] = row{printable(r.login), r.serial, r.typ, r.state}
	}
	p.table.SetRows(rows)
}

func (p *holdersPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case holdersLoaded:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.rows, p.loaded = msg.rows, true
		p.setRows()
		n := fmt.Sprintf("%d %s", len(p.rows), p.noun)
		switch {
		case len(p.rows) != 1 && p.noun == "person":
			n = fmt.Sprintf("%d people", len(p.rows))
		case len(p.rows) != 1:
			n += "s"
		}
		return do(say(n + " " + p.what + ". enter opens the person."))
	case tokensLoaded:
		return openPerson(c, msg)
	}
	return nil
}

// openPerson opens the person a list read (enter on a holders list or a
// report): their screen on top, or what kept it from being read.
func openPerson(c *common, msg tokensLoaded) reqs {
	if msg.err != nil && !partial(msg) {
		return do(fail(explain(msg.err)))
	}
	t := newTokensPane(msg.user)
	return append(do(push(t)), t.loaded(c, msg)...)
}

func (p *holdersPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	switch {
	case key.Matches(k, c.km[action.Refresh]):
		return p.open(c), true
	case key.Matches(k, c.km[action.Open]):
		if i := p.table.Cursor(); i < len(p.rows) {
			return do(readTokens(c, ad.User{Login: p.rows[i].login})), true
		}
		return nil, true
	}
	return nil, p.table.Update(c.km, k)
}

func (p *holdersPane) view(c *common, _, _ int) string {
	head := c.st.Title.Render("People " + p.what)
	if !p.loaded {
		return head + "\n\n  Reading AM's tokens…"
	}
	if len(p.rows) == 0 {
		return head + "\n\n  Nobody."
	}
	return head + "\n\n" + p.table.View()
}
