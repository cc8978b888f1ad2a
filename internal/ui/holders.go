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
	read   func(ctx context.Context) ([]rsa.TokenSummary, error)
	tokens []rsa.TokenSummary
	loaded bool
	table  grid
	locked bool // rows are people AM locked out, not tokens
}

// holdersLoaded is a holders pane's read.
type holdersLoaded struct {
	tokens []rsa.TokenSummary
	err    error
}

// openHolders opens the holders of tokens in one state: ea or next.
func openHolders(c *common, which string) reqs {
	am := c.am
	p := &holdersPane{table: newGrid()}
	switch which {
	case "ea":
		p.what, p.read = "in emergency access", am.InEmergencyAccess
	case "next":
		p.what, p.read = "in next-tokencode mode", am.InNextTokencodeMode
	case "locked":
		// AM's lockouts of the last day, each still in force, as rows
		since := c.now().Add(-24 * time.Hour)
		p.what = "locked out by AM (in the last day, still locked)"
		p.read = func(ctx context.Context) ([]rsa.TokenSummary, error) {
			ps, err := am.LockedSince(ctx, since)
			rows := make([]rsa.TokenSummary, len(ps))
			for i, pr := range ps {
				rows[i] = rsa.TokenSummary{AssignedUser: pr.UserID, Lost: false}
			}
			return rows, err
		}
		p.locked = true
	default:
		return do(fail("Unknown list " + printable(which) + ": :ea (in emergency access), :next (in next-tokencode mode) or :locked (locked out by AM)."))
	}
	return do(push(p))
}

func (p *holdersPane) open(c *common) reqs {
	read := p.read
	return do(call("Reading AM's tokens "+p.what, func(ctx context.Context) tea.Msg {
		ts, err := read(ctx)
		return holdersLoaded{tokens: ts, err: err}
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
	rows := make([]row, len(p.tokens))
	for i, t := range p.tokens {
		state := "emergency access on"
		switch {
		case p.locked:
			state = "locked out by AM"
		case !t.Lost:
			state = "next-tokencode mode"
		}
		rows[i] = row{printable(t.AssignedUser), t.Serial, t.TokenType.String(), state}
	}
	p.table.SetRows(rows)
}

func (p *holdersPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case holdersLoaded:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.tokens, p.loaded = msg.tokens, true
		p.setRows()
		n := fmt.Sprintf("%d tokens", len(p.tokens))
		switch {
		case p.locked && len(p.tokens) == 1:
			n = "1 person"
		case p.locked:
			n = fmt.Sprintf("%d people", len(p.tokens))
		case len(p.tokens) == 1:
			n = "1 token"
		}
		return do(say(n + " " + p.what + ". enter opens the person."))
	case tokensLoaded:
		if msg.err != nil && !partial(msg) {
			return do(fail(explain(msg.err)))
		}
		t := newTokensPane(msg.user)
		return append(do(push(t)), t.loaded(c, msg)...)
	}
	return nil
}

func (p *holdersPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	switch {
	case key.Matches(k, c.km[action.Refresh]):
		return p.open(c), true
	case key.Matches(k, c.km[action.Open]):
		if i := p.table.Cursor(); i < len(p.tokens) {
			return do(readTokens(c, ad.User{Login: p.tokens[i].AssignedUser})), true
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
	if len(p.tokens) == 0 {
		return head + "\n\n  Nobody."
	}
	return head + "\n\n" + p.table.View()
}
