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

// changePane confirms a change to a token other than emergency access (a
// PIN): what it does in words and the AM commands it sends. Only y runs it;
// every other key cancels.
type changePane struct {
	askingBase
	state    rsa.TokenState
	title    string   // "Clear the PIN"
	words    string   // what happens, for the person on the phone
	commands []string // what is sent, in order
	label    string   // the spinner's words while it runs
	run      func(ctx context.Context) tea.Msg
	// options, when set, are the ways the change can go (1, 2, 3 choose;
	// y runs the chosen one): each with its words, commands and run
	options []changeOption
	chosen  int
}

// changeOption is one way a confirmed change can go.
type changeOption struct {
	label    string // "keeps working until 000512 is first used"
	words    string // what then happens, for the person on the phone
	commands []string
	run      func(ctx context.Context) tea.Msg
}

// tokenChange is a confirm's run for a change whose result is a token.
func tokenChange(title string, f func(ctx context.Context) (rsa.TokenResult, error)) func(ctx context.Context) tea.Msg {
	return func(ctx context.Context) tea.Msg {
		res, err := f(ctx)
		return changeDone{title: title, res: res, err: err}
	}
}

// changeDone is the result of a change confirmed on a changePane.
type changeDone struct {
	title string
	res   rsa.TokenResult
	err   error
	// gap, after a replacement: the old token, offered emergency access
	// for the time until owner has the new one
	gap   *rsa.TokenState
	owner ad.User
	// pair: res.Before and res.After are two tokens (a replacement)
	pair bool
}

func (d changeDone) outcome() error { return d.err }

// openPINChange confirms clearing the PIN (clear) or requiring a new one.
// u is the person whose list the token was opened from: a listed token
// does not name its owner (the operation reads the whole record and checks
// it is assigned).
func openPINChange(c *common, s rsa.TokenState, u ad.User, clear bool) reqs {
	serial, owner := s.Token.Serial, s.Token.AssignedUserID
	if owner == "" {
		owner = u.Login
	}
	if owner == "" && s.Token.GUID != "" && !s.Listed && !s.Token.Assigned() {
		return do(fail("No PIN change: token " + serial + " is not assigned to anyone; a PIN belongs to the person who holds it."))
	}
	who := owner
	if who == "" {
		who = "the person"
	}
	am := c.am
	p := &changePane{state: s,
		title: "Require a new PIN",
		words: "Require a new PIN for token " + serial + " (" + who + "): the PIN stays; at the next login " + who +
			" enters PIN + tokencode as usual, then AM asks them to choose a new PIN.",
		commands: rsa.PINPlan(false).Lines(),
		label:    "Requiring a new PIN for token " + serial,
		run:      tokenChange("Require a new PIN", func(ctx context.Context) (rsa.TokenResult, error) { return am.RequireNewPIN(ctx, serial) })}
	if clear {
		p.title = "Clear the PIN"
		p.words = "Clear the PIN of token " + serial + " (" + who + "): AM forgets it; at the next login " + who +
			" enters the tokencode alone (no PIN), then AM asks them to choose a new PIN."
		p.commands = rsa.PINPlan(true).Lines()
		p.label = "Clearing the PIN of token " + serial
		p.run = tokenChange(p.title, func(ctx context.Context) (rsa.TokenResult, error) { return am.ClearPIN(ctx, serial) })
	}
	return do(push(p), say("Review the change: y runs it, any other key cancels."))
}

// openTokenChange confirms disabling or enabling a token (the one it is
// not), or, with unassign, taking it from its owner (saying that its
// emergency access ends with it, when it is on).
func openTokenChange(c *common, s rsa.TokenState, u ad.User, unassign bool) reqs {
	t := s.Token
	serial, who := t.Serial, t.AssignedUserID
	if who == "" {
		who = u.Login
	}
	am := c.am
	if unassign {
		endEA := s.EA.Active() || s.EA.Lost
		words := "Unassign token " + serial + " from " + who + ": it goes back to the token pool and " + who +
			" can no longer log in with it."
		if endEA {
			words += " Its emergency access (" + eaSummary(s.EA, c.loc) + ") ends with it."
		}
		return do(push(&changePane{state: s, title: "Unassign the token", words: words,
			commands: rsa.UnassignPlan().Lines(),
			label:    "Unassigning token " + serial,
			run:      tokenChange("Unassign the token", func(ctx context.Context) (rsa.TokenResult, error) { return am.Unassign(ctx, serial, endEA) })}),
			say("Review the change: y runs it, any other key cancels."))
	}
	enable, label := !t.Enabled, "Disabling token "+serial
	title, words := "Disable the token", "Disable token "+serial+" ("+who+"): AM refuses every login with it, emergency codes included, until it is enabled again."
	if enable {
		label = "Enabling token " + serial
		title, words = "Enable the token", "Enable token "+serial+" ("+who+"): it works for logins again."
	}
	return do(push(&changePane{state: s, title: title, words: words,
		commands: rsa.EnablePlan(enable).Lines(),
		label:    label,
		run:      tokenChange(title, func(ctx context.Context) (rsa.TokenResult, error) { return am.SetEnabled(ctx, serial, enable) })}),
		say("Review the change: y runs it, any other key cancels."))
}

// openBadCount confirms clearing the bad-tokencode count of s's owner.
func openBadCount(c *common, s rsa.TokenState, u ad.User) reqs {
	serial, who := s.Token.Serial, s.Token.AssignedUserID
	if who == "" {
		who = u.Login
	}
	am := c.am
	return do(push(&changePane{state: s, title: "Clear the bad-tokencode count",
		words: "Clear the count of bad tokencodes of " + who + " and take their tokens out of next-tokencode mode: at the next login " + who +
			" enters PIN + tokencode once, as usual. If their codes keep failing, the token is out of sync: resynchronize it (" + keyOf(c, action.Resync) + ") instead.",
		commands: rsa.BadCountPlan().Lines(),
		label:    "Clearing the bad-tokencode count of " + who,
		run:      tokenChange("Clear the bad-tokencode count", func(ctx context.Context) (rsa.TokenResult, error) { return am.ClearBadCount(ctx, serial) })}),
		say("Review the change: y runs it, any other key cancels."))
}

// unlockDone is the result of an unlock.
type unlockDone struct {
	res rsa.PrincipalResult
	err error
}

func (d unlockDone) outcome() error { return d.err }

// openUnlock confirms clearing AM's lockout of u, saying what it does not
// clear: a token's next-tokencode mode, AD's own lockout.
func openUnlock(c *common, u ad.User, tokens []rsa.TokenState) reqs {
	am, login := c.am, u.Login
	return do(push(&changePane{state: rsa.TokenState{}, title: "Unlock " + login,
		words:    unlockWords(c, u, tokens),
		commands: rsa.UnlockPlan().Lines(),
		label:    "Unlocking " + login,
		run: func(ctx context.Context) tea.Msg {
			res, err := am.Unlock(ctx, login)
			return unlockDone{res: res, err: err}
		}}), say("Review the change: y runs it, any other key cancels."))
}

func (p *changePane) crumbs() []string {
	return []string{p.state.Token.Serial, lowerFirst(p.title)}
}
func (p *changePane) typing() bool { return true } // a yes/no question takes every key

func (p *changePane) keys(c *common) []keyGroup {
	return []keyGroup{{"confirm", []key.Binding{c.km[action.Yes], fixed("any other key", "cancel, nothing sent")}}}
}

func (p *changePane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if n := len(p.options); n > 0 && len(k.Text) == 1 && k.Text[0] >= '1' && int(k.Text[0]-'1') < n {
		p.chosen = int(k.Text[0] - '1')
		return nil, true
	}
	if !key.Matches(k, c.km[action.Yes]) {
		return do(back(), say("Cancelled: nothing was sent to AM.")), true
	}
	run := p.run
	if len(p.options) > 0 {
		run = p.options[p.chosen].run
	}
	// the confirm closes first: the result comes to the screen below it
	return do(back(), write(p.label, run)), true
}

func (p *changePane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Please confirm: "+lowerFirst(p.title)) + "\n\n" + p.words + "\n")
	commands := p.commands
	if len(p.options) > 0 {
		o := p.options[p.chosen]
		b.WriteString("\n")
		for i, opt := range p.options {
			mark := "  "
			if i == p.chosen {
				mark = "› "
			}
			b.WriteString(mark + st.Key.Render(string(rune('1'+i))) + " " + opt.label + "\n")
		}
		b.WriteString("\n" + o.words + "\n")
		commands = o.commands
	}
	b.WriteString(ticketLine(c))
	b.WriteString("\n" + st.Dim.Render("AM commands, in order (+ sent at the same time):") + "\n")
	for i, cmd := range commands {
		b.WriteString(st.Dim.Render("  "+string(rune('1'+i))+". "+cmd) + "\n")
	}
	b.WriteString("\n" + st.Key.Render(c.km[action.Yes].Help().Key) + " run it    " + st.Key.Render("any other key") + " cancel")
	return lipgloss.NewStyle().Width(w).Render(b.String())
}

// lowerFirst is s with its first letter small ("Clear the PIN" → "clear the PIN").
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// unlockWords is what an unlock does, and what it leaves as it is.
func unlockWords(c *common, u ad.User, tokens []rsa.TokenState) string {
	login := u.Login
	w := "Clear AM's lockout of " + login + ": the lockout and AM's count of failed logins go; " + login +
		" can log in again with PIN + tokencode."
	var not []string
	for _, s := range tokens {
		if s.Token.NextTokencodeMode {
			not = append(not, "take token "+s.Token.Serial+" out of next-tokencode mode (AM will still ask for a second code: "+
				keyOf(c, action.ClearBadCount)+" clears it)")
		}
	}
	if u.Locked {
		not = append(not, "unlock "+login+"'s AD account (locked by bad Windows passwords: the directory team unlocks it)")
	}
	if len(not) > 0 {
		w += " It does not " + strings.Join(not, ", nor ") + "."
	}
	return w + " If they keep failing, look at why (wrong PIN, token out of sync) before they lock again."
}
