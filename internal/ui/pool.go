package ui

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// poolPane is the token pool, to give a person a token from: the
// unassigned tokens by serial; enter assigns the selected one (after a
// confirm), with the one-token rule of the operation.
type poolPane struct {
	paneBase
	user ad.User
	// replacing: the token a pool token is to replace (lost or broken);
	// nil: the pool gives the person a token
	replacing *rsa.TokenState
	tokens    []rsa.TokenSummary
	table     grid
	loaded    bool
	w         int
	// refused: AM's or a rule's refusal of the last pick, kept on screen
	// through the pool's re-read after it
	refused string
}

// poolLoaded is the pool, read.
type poolLoaded struct {
	tokens []rsa.TokenSummary
	err    error
}

// tokensStale says a person's tokens changed (one was assigned): their
// list reads them again.
type tokensStale struct{ login string }

// openPool opens the pool for u, when the person may assign tokens.
func openPool(c *common, u ad.User) reqs {
	return do(push(&poolPane{user: u, table: newGrid()}))
}

func (p *poolPane) open(c *common) reqs { return do(p.read(c)) }

func (p *poolPane) read(c *common) request {
	am := c.am
	return call("Reading the token pool from AM", func(ctx context.Context) tea.Msg {
		list, err := am.Pool(ctx, rsa.PoolQuery{})
		return poolLoaded{tokens: list, err: err}
	})
}

// openReplace opens the pool to pick the successor of s (lost or broken).
func openReplace(c *common, s rsa.TokenState, u ad.User) reqs {
	return do(push(&poolPane{user: u, replacing: &s, table: newGrid()}))
}

func (p *poolPane) crumbs() []string {
	if p.replacing != nil {
		return []string{p.replacing.Token.Serial, "replace"}
	}
	return []string{p.user.Login, "token pool"}
}

func (p *poolPane) resize(c *common, w, h int) {
	p.w = w
	p.table.SetHeight(max(h-3, 2))
	p.table.SetColumns([]column{{Title: "Serial", Width: 12}, {Title: "Type", Width: 16}, {Title: "State", Width: 8},
		{Title: "Last used", Width: 10}, {Title: "Expires", Width: max(w-12-16-8-10-10-1, 10)}})
	p.setRows(c)
}

func (p *poolPane) setRows(c *common) {
	rows := make([]row, len(p.tokens))
	for i, t := range p.tokens {
		state := map[bool]string{true: "enabled", false: "disabled"}[t.Enabled]
		if t.Retired() {
			state = "RETIRED" // replaced: somebody's lost or broken token
		}
		used := "never"
		if !t.LastLogin.IsZero() {
			used = t.LastLogin.In(c.loc).Format("2006-01-02")
		}
		rows[i] = row{t.Serial, t.TokenType.String(), state, used, expiry(t.Expires, c.now(), c.loc)}
	}
	p.table.SetRows(rows)
}

func (p *poolPane) keys(c *common) []keyGroup {
	open := withHelp(c.km[action.Open], "assign to "+p.user.Login)
	if p.replacing != nil {
		open = withHelp(c.km[action.Open], "replace "+p.replacing.Token.Serial+" with it")
	}
	return []keyGroup{{"token pool", []key.Binding{open, c.km[action.Refresh]}},
		{"moving", c.km.listKeys()}}
}

func (p *poolPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case poolLoaded:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.tokens, p.loaded = msg.tokens, true
		rsa.PoolOrder(p.tokens) // never used first, retired last: the first row is a good pick
		p.setRows(c)
		if p.refused != "" {
			why := p.refused
			p.refused = ""
			return do(fail(why))
		}
		if len(p.tokens) == 0 {
			return do(say("The token pool is empty: import or unassign tokens in AM first."))
		}
		if p.replacing != nil {
			return do(say(fmt.Sprintf("%d unassigned tokens. enter makes the selected one %s's successor.", len(p.tokens), p.replacing.Token.Serial)))
		}
		return do(say(fmt.Sprintf("%d unassigned tokens. enter assigns the selected one to %s.", len(p.tokens), p.user.Login)))
	case changeDone:
		if msg.err != nil {
			p.refused = "Not done: " + explain(msg.err)
			return do(fail(p.refused), p.read(c))
		}
		return append(do(back(), tell(tokensStale{p.user.Login})), changeFinished(c, msg, "the token list")...)
	}
	return nil
}

func (p *poolPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	switch {
	case key.Matches(k, km[action.Refresh]):
		return do(p.read(c)), true
	case key.Matches(k, km[action.Open]):
		i := p.table.Cursor()
		if i >= len(p.tokens) {
			return nil, true
		}
		t, login, am, user := p.tokens[i], p.user.Login, c.am, p.user
		if r := p.replacing; r != nil {
			old := r.Token.Serial
			return do(push(&changePane{state: *r, title: "Replace the token",
				words: "Replace token " + old + " (" + login + ") with " + t.Serial + " (" + t.TokenType.String() + "): " + t.Serial +
					" is " + login + "'s at once, with their PIN; " + old + " keeps working until " + t.Serial + " is first used, then AM retires it.",
				commands: rsa.ReplacePlan(t.Serial, old).Lines(),
				label:    "Replacing token " + old + " with " + t.Serial,
				run: func(ctx context.Context) tea.Msg {
					res, err := am.Replace(ctx, old, t.Serial, false)
					d := changeDone{title: "Replace the token", res: rsa.TokenResult{Before: res.Old, After: res.New, Commands: res.Commands}, err: err, owner: user}
					if err == nil && res.Old.Token.Serial != "" {
						d.gap = &res.Old
					}
					return d
				}})), true
		}
		words := ""
		if t.Retired() {
			words = "Careful: AM RETIRED this token when its replacement was used — it was somebody's lost or broken token.\n\n"
		}
		words += "Assign token " + t.Serial + " (" + t.TokenType.String() + ") to " + login + ": they log in with it from now on " +
			"(AM enables a disabled token when it is assigned). One token a person is the rule: a second is refused."
		if t.PinSet {
			words += " It still has a PIN (its previous holder's): it is cleared, and " + login + " sets one at the first login."
		}
		return do(push(&changePane{state: rsa.TokenState{Token: rsa.Token{Serial: t.Serial, GUID: t.GUID}},
			title: "Assign the token", words: words,
			commands: rsa.AssignPlan(t.PinSet).Lines(),
			label:    "Assigning token " + t.Serial + " to " + login,
			run: tokenChange("Assign the token", func(ctx context.Context) (rsa.TokenResult, error) {
				return am.Assign(ctx, t.Serial, login, false)
			})})), true
	}
	return nil, p.table.Update(km, k)
}

func (p *poolPane) view(c *common, _, _ int) string {
	head := c.st.Title.Render("Token pool") + " — give " + p.user.Login + " one of the unassigned tokens"
	if p.replacing != nil {
		head = c.st.Title.Render("Replace token "+p.replacing.Token.Serial) + " — pick its successor for " + p.user.Login
	}
	if !p.loaded {
		return head + "\n\n  Reading the pool…"
	}
	if len(p.tokens) == 0 {
		return head + "\n\n  No unassigned token in AM."
	}
	return head + "\n\n" + p.table.View()
}
