package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// resultPane shows what AM holds after a change, with the changed fields
// marked, and the codes once.
type resultPane struct {
	paneBase
	res    rsa.EAResult
	clear  bool
	req    rsa.EARequest
	parent string // what back returns to: "the token list", "the token"
	title  string // for a change other than emergency access: what was done
	// uncertain: the reply was lost and AM does not show the change (yet);
	// the codes may be active, so they are shown, marked so
	uncertain bool
	// unverified: AM took the change (it answered) but the read-back
	// failed: the codes work, the rest is not shown
	unverified bool
	scroll     scroller
	// gap is, after a replacement, the token being replaced: e gives it
	// emergency access until the new one reaches owner
	gap   *rsa.TokenState
	owner ad.User
	// pair: Before and After are two tokens (a replacement's old and new),
	// shown side by side, not as one token's changes
	pair bool
}

// uncertain: the reply to a change was lost and AM does not show it (yet),
// but codes were made: they may be active.
func uncertain(r eaDone) bool { return errors.Is(r.err, rsa.ErrOutcomeUnknown) && len(r.res.Codes) > 0 }

// eaFinished is a change's result, for the screen it comes back to: the
// result screen when it was made (or may have been), else why not and what
// AM holds now. parent is that screen, for the way back.
func eaFinished(c *common, r eaDone, parent string) reqs {
	var rs reqs
	if r.res.After.Token.Serial != "" {
		rs = append(rs, tell(tokenNow{r.res.After}))
	}
	if r.err != nil && !uncertain(r) {
		msg := explain(r.err)
		if r.res.After.Token.Serial != "" {
			msg += " AM now holds: emergency access " + eaSummary(r.res.After.EA, c.loc) + "."
		}
		return append(rs, fail(msg))
	}
	p := &resultPane{res: r.res, clear: r.clear, req: r.req, parent: parent, uncertain: uncertain(r), title: r.title, scroll: newScroller(),
		unverified: errors.Is(r.err, rsa.ErrUnverified)}
	rs = append(rs, push(p))
	switch {
	case p.uncertain:
		return append(rs, fail(explain(r.err)))
	case r.res.Note != "":
		return append(rs, say("Done ("+r.res.Note+")."))
	}
	return append(rs, say("Done: AM holds the state shown."))
}

// changeFinished is a token change's result (a PIN), for the screen it
// comes back to: what AM holds now, changed fields marked; or why not.
func changeFinished(c *common, r changeDone, parent string) reqs {
	var rs reqs
	if r.res.After.Token.Serial != "" {
		rs = append(rs, tell(tokenNow{r.res.After}))
	}
	if r.err != nil {
		return append(rs, fail(explain(r.err)))
	}
	p := &resultPane{res: rsa.EAResult{Before: r.res.Before, After: r.res.After, Note: r.res.Note}, parent: parent,
		title: r.title + ": done for token " + r.res.After.Token.Serial, scroll: newScroller(), gap: r.gap, owner: r.owner, pair: r.pair}
	if r.res.Note != "" {
		return append(rs, push(p), say("Nothing to do ("+r.res.Note+")."))
	}
	if r.res.Also != "" {
		return append(rs, push(p), say("Done, and "+r.res.Also+"."))
	}
	return append(rs, push(p), say("Done: AM holds the state shown."))
}

func (p *resultPane) crumbs() []string { return []string{p.res.After.Token.Serial, "result"} }

func (p *resultPane) keys(c *common) []keyGroup {
	km := c.km
	ks := []key.Binding{withHelp(km[action.Done], "back to "+p.parent)}
	if len(p.res.Codes) > 0 {
		ks = append([]key.Binding{km[action.CopyCodes]}, ks...)
	}
	if p.gap != nil && c.permitted(actionOf(action.EmergencyAccess), p.gapTarget()) == nil {
		ks = append([]key.Binding{withHelp(km[action.EmergencyAccess], "emergency access on "+p.gap.Token.Serial+" for the gap")}, ks...)
	}
	return []keyGroup{{"result", ks}, {"scrolling", km.listKeys()}}
}

func (p *resultPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	if p.scroll.key(km, p.content(c), c.w, c.h, k) {
		return nil, true
	}
	switch {
	case key.Matches(k, km[action.CopyCodes]):
		if len(p.res.Codes) == 0 {
			return do(say("There are no codes to copy: ending emergency access issues none.")), true
		}
		// OSC 52 cannot confirm: the terminal may ignore it
		return do(say("Codes sent to the terminal's clipboard (OSC 52: your terminal may ignore it, check before pasting). Clear it after handing them over."), run(tea.SetClipboard(p.codesText()))), true
	case key.Matches(k, km[action.Done]):
		return do(back()), true // the codes are shown once: they go with the pane
	case key.Matches(k, km[action.EmergencyAccess]) && p.gap != nil:
		return append(do(back()), openAction(c, actionOf(action.EmergencyAccess), p.gapTarget())...), true
	}
	return nil, false
}

// precious: codes on screen are shown only now.
func (p *resultPane) precious() string {
	if len(p.res.Codes) > 0 {
		return "The codes are shown only now"
	}
	return ""
}

// gapTarget is the old token of a replacement, for emergency access
// until its owner has the new one.
func (p *resultPane) gapTarget() target {
	return target{user: p.owner, state: *p.gap, hasToken: true, parent: p.parent}
}

func (p *resultPane) codesText() string {
	s := make([]string, len(p.res.Codes))
	for i, c := range p.res.Codes {
		s[i] = c.Reveal()
	}
	return strings.Join(s, " ")
}

func (p *resultPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}

// content is the whole result: the codes in as many columns as the width
// takes, then every field AM holds; the scroller shows what fits.
func (p *resultPane) content(c *common) string {
	st := c.st
	var b strings.Builder
	title := "Emergency access is on for token " + p.res.After.Token.Serial
	if p.clear {
		title = "Emergency access ended for token " + p.res.After.Token.Serial
	}
	if p.uncertain {
		title = "Emergency access MAY be on for token " + p.res.After.Token.Serial + ": the reply was lost"
		if p.unverified {
			title = "Emergency access is on for token " + p.res.Before.Token.Serial + " (AM took it; reading it back failed)"
		}
	}
	if p.title != "" {
		title = p.title
	}
	b.WriteString(st.Title.Render(title) + "\n")
	switch {
	case p.unverified:
		b.WriteString(st.Err.Render("AM answered that it took the change, so these codes work; reading the token back failed, so the rest of what AM holds is not shown: r on the token reads it. Do not send the change again.") + "\n")
	case p.uncertain:
		b.WriteString(st.Err.Render("AM does not show the change yet, but may still apply it: these codes may be active. Press r on the token to check before handing them over or trying again.") + "\n")
	}
	if len(p.res.Codes) > 0 {
		label := "Temporary fixed tokencode"
		if len(p.res.Codes) > 1 {
			label = "One-time tokencodes"
		}
		codes := p.codesText()
		if len(p.res.Codes) > 1 {
			// numbered, so the person on the phone can say "code 7"
			num := len(fmt.Sprint(len(p.res.Codes)))
			per := max(1, min((c.w-4)/(rsa.EACodeSize+num+4), 10)) // a box border and padding; 10 a row at most
			var rows []string
			for i := 0; i < len(p.res.Codes); i += per {
				end := min(i+per, len(p.res.Codes))
				var row []string
				for j, c := range p.res.Codes[i:end] {
					row = append(row, fmt.Sprintf("%*d. %s", num, i+j+1, c.Reveal()))
				}
				rows = append(rows, strings.Join(row, "  "))
			}
			codes = strings.Join(rows, "\n")
		}
		b.WriteString(st.Box.Render(label+"\n"+st.Code.Render(codes)) + "\n")
		it := "it"
		if len(p.res.Codes) > 1 {
			it = "them" // "Hand it over" for ten codes
		}
		b.WriteString(st.Warn.Render("Shown only now. Hand "+it+" over by phone or in person, never by mail; the user types PIN + code.") + "\n")
	}
	if g := p.gap; g != nil {
		who, now := p.owner.Login, p.res.After.Token.Serial
		b.WriteString(st.Warn.Render("Until "+now+" reaches "+who+", they cannot log in with it.") + " ")
		if c.permitted(actionOf(action.EmergencyAccess), p.gapTarget()) == nil {
			b.WriteString(st.Key.Render(c.km[action.EmergencyAccess].Help().Key) + " gives emergency access on " + g.Token.Serial +
				" for the gap, as the Security Console's lost-token flow does; the token list offers it on " + now + " too.\n")
		} else {
			b.WriteString("Ask an admin who may give emergency access to cover the gap.\n")
		}
	}
	if p.pair {
		b.WriteString(st.Dim.Render("AM now holds the two tokens:") + "\n")
		b.WriteString(strings.Join(pairLines(c, p.res.Before, p.res.After), "\n"))
		return b.String()
	}
	b.WriteString(st.Dim.Render("AM now holds (* = changed, listed first):") + "\n")
	b.WriteString(strings.Join(fieldLines(c, p.res.After, p.res.Before, false), "\n"))
	return b.String()
}
