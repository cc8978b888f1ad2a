package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	// all is the pool as read; tokens what is shown of it (the type
	// filter); jump the digits typed to find a serial (the one on the fob
	// in the person's hand)
	all    []rsa.TokenSummary
	only   rsa.TokenType
	filter bool
	jump   string
}

// show narrows the pool to the type chosen.
func (p *poolPane) show(c *common) {
	p.tokens = p.all
	if p.filter {
		p.tokens = nil
		for _, t := range p.all {
			if t.TokenType == p.only {
				p.tokens = append(p.tokens, t)
			}
		}
	}
	p.setRows(c)
}

// nextType is the type after the one shown ("" shows all again): the
// types the pool holds, in turn.
func (p *poolPane) nextType() {
	var types []rsa.TokenType
	for _, t := range p.all {
		if !slices.Contains(types, t.TokenType) {
			types = append(types, t.TokenType)
		}
	}
	slices.Sort(types)
	if !p.filter {
		if len(types) > 0 {
			p.filter, p.only = true, types[0]
		}
		return
	}
	i := slices.Index(types, p.only)
	if i < 0 || i+1 >= len(types) {
		p.filter = false
		return
	}
	p.only = types[i+1]
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
	return []keyGroup{{"token pool", []key.Binding{open, c.km[action.FilterType], fixed("0-9", "find a serial by its digits"), c.km[action.Refresh]}},
		{"moving", c.km.listKeys()}}
}

func (p *poolPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case poolLoaded:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.all, p.loaded = msg.tokens, true
		rsa.PoolOrder(p.all) // never used first, retired last: the first row is a good pick
		p.show(c)
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
	if len(k.Text) == 1 && k.Text[0] >= '0' && k.Text[0] <= '9' || (k.String() == "backspace" && p.jump != "") {
		// digits of a serial: the cursor goes to the first token that has them
		if k.String() == "backspace" {
			p.jump = p.jump[:len(p.jump)-1]
		} else {
			p.jump += k.Text
		}
		for i, t := range p.tokens {
			if p.jump != "" && strings.Contains(t.Serial, p.jump) {
				p.table.SetCursor(i)
				return do(say("Serial …" + p.jump + ": " + t.Serial + ". enter picks it; more digits narrow it.")), true
			}
		}
		return do(fail("No token of the pool shown has …" + p.jump + " in its serial (backspace takes a digit back).")), true
	}
	p.jump = ""
	switch {
	case key.Matches(k, km[action.FilterType]):
		p.nextType()
		p.show(c)
		if !p.filter {
			return do(say(fmt.Sprintf("Every type: %d unassigned tokens.", len(p.tokens)))), true
		}
		return do(say(fmt.Sprintf("Only %s: %d of %d (%s again: the next type).", p.only, len(p.tokens), len(p.all), keyOf(c, action.FilterType)))), true
	case key.Matches(k, km[action.Refresh]):
		return do(p.read(c)), true
	case key.Matches(k, km[action.Open]):
		i := p.table.Cursor()
		if i >= len(p.tokens) {
			return nil, true
		}
		t, login, am, user := p.tokens[i], p.user.Login, c.am, p.user
		if r := p.replacing; r != nil {
			return do(push(replaceConfirm(c, *r, t, user))), true
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

// replaceConfirm confirms r's replacement by t, with the Security
// Console's choice for the old token until t is first used: it keeps
// working (broken, or found again), it is disabled now (lost or stolen, the
// new one in hand), or it is denied while emergency codes cover the time
// until the new one arrives. (It kept working, with no word of it.)
func replaceConfirm(c *common, r rsa.TokenState, t rsa.TokenSummary, user ad.User) *changePane {
	am, old, login := c.am, r.Token.Serial, user.Login
	replace := func(ctx context.Context) (rsa.ReplaceResult, changeDone) {
		res, err := am.Replace(ctx, old, t.Serial, false)
		return res, changeDone{title: "Replace the token", res: rsa.TokenResult{Before: res.Old, After: res.New, Commands: res.Commands}, err: err, owner: user, pair: true}
	}
	plan := rsa.ReplacePlan(t.Serial, old).Lines()
	words := "Replace token " + old + " (" + login + ") with " + t.Serial + " (" + t.TokenType.String() + "): " + t.Serial +
		" is " + login + "'s at once, with their PIN. Until " + t.Serial + " is first used (then AM retires " + old + "), " + old + ":"
	if t.TokenType != r.Token.TokenType {
		words = "Careful: " + t.Serial + " is a " + t.TokenType.String() + ", " + old + " a " + r.Token.TokenType.String() + ".\n\n" + words
	}
	return &changePane{state: r, title: "Replace the token", words: words, label: "Replacing token " + old + " with " + t.Serial,
		options: []changeOption{
			{label: "keeps working — a broken token, or one found again",
				words: old + " works as before; nobody else may hold it.", commands: plan,
				run: func(ctx context.Context) tea.Msg { _, d := replace(ctx); return d }},
			{label: "is disabled now — lost or stolen, the new token in hand",
				words:    old + " is refused from now on, emergency codes included; " + login + " logs in with " + t.Serial + ".",
				commands: append(slices.Clone(plan), rsa.EnablePlan(false).Lines()...),
				run: func(ctx context.Context) tea.Msg {
					res, d := replace(ctx)
					if d.err != nil {
						return d
					}
					if _, err := am.SetEnabled(ctx, old, false); err != nil {
						d.err = fmt.Errorf("%s replaces %s, but disabling %s failed: disable it (d) now: %w", t.Serial, old, old, err)
						return d
					}
					d.res.Also = old + " (" + res.Old.Token.TokenType.String() + ") is disabled: AM refuses it from now on"
					return d
				}},
			{label: "is denied, and emergency access covers the gap — lost, the new token still on its way",
				words: "After the replacement, e on the result gives " + old + " emergency access with the token itself denied: " +
					login + " logs in with the emergency code until " + t.Serial + " reaches them.",
				commands: plan,
				run: func(ctx context.Context) tea.Msg {
					res, d := replace(ctx)
					if d.err == nil && res.Old.Token.Serial != "" {
						d.gap = &res.Old
					}
					return d
				}},
		}}
}
