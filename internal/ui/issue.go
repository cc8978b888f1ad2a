package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// issuePane confirms issuing a software token to a person's phone: which
// token (theirs, or the next from the software-token pool), which profile
// and delivery (1, 2, … choose), a new seed or not (n), the AM commands.
// Only y issues; esc cancels. A token file (.sdtid) is the verb's: the
// console draws a QR code or shows a token string, and writes no files
// (over SSH it would write them on the server).
type issuePane struct {
	askingBase
	user    ad.User
	soft    *rsa.TokenState // the person's software token; nil: one from the pool
	options []issueOption
	chosen  int
	newSeed bool
	loaded  bool
}

// issueOption is one profile with one of its deliveries.
type issueOption struct {
	profile rsa.SoftTokenProfile
	via     rsa.Delivery
}

type profilesLoaded struct {
	profiles []rsa.SoftTokenProfile
	err      error
}

// issueDone is the result of an issue.
type issueDone struct {
	res rsa.Issued
	err error
}

func (d issueDone) outcome() error { return d.err }

// issueUnavailable says why a software token cannot be issued to the
// person on screen ("" when it can): rsa's one-token rule, and the pool's
// need of the assign permission.
func issueUnavailable(c *common, t target) string {
	soft, hard := softAndHard(t.all)
	switch {
	case len(soft) > 1:
		return t.user.Login + " holds " + fmt.Sprint(len(soft)) + " software tokens: issue one by serial (rsatui token issue SERIAL)."
	case len(soft) == 1:
		return ""
	case len(hard) > 0:
		return t.user.Login + " holds " + hard[0].Token.TokenType.String() + " " + hard[0].Token.Serial +
			": one token a person (" + keyOf(c, action.Replace) + " replaces it, with a software token from the pool)."
	}
	if err := c.am.Permits(rsa.PermAssign); err != nil {
		return t.user.Login + " has no software token, and giving one from the pool assigns it: " + refusal(err)
	}
	return ""
}

func softAndHard(all []rsa.TokenState) (soft, hard []rsa.TokenState) {
	for _, s := range all {
		if s.Token.ReplacementMode == rsa.ReplacementRetired {
			continue
		}
		if s.Token.TokenType == rsa.TokenTypeSoftID {
			soft = append(soft, s)
		} else {
			hard = append(hard, s)
		}
	}
	return soft, hard
}

func openIssue(c *common, t target) reqs {
	p := &issuePane{user: t.user}
	if soft, _ := softAndHard(t.all); len(soft) == 1 {
		p.soft = &soft[0]
		p.newSeed = true // the new-phone call: the old phone's copy should stop working
	}
	return do(push(p))
}

func (p *issuePane) open(c *common) reqs {
	am := c.am
	return do(call("Reading the software token profiles from AM", func(ctx context.Context) tea.Msg {
		ps, err := am.SoftProfiles(ctx)
		return profilesLoaded{profiles: ps, err: err}
	}))
}

func (p *issuePane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case profilesLoaded:
		if msg.err != nil {
			return do(back(), fail("No software token can be issued: "+explain(msg.err)))
		}
		// one choice a profile, with the delivery it is set up for (a
		// token file is the verb's: the console writes no files)
		for _, pr := range msg.profiles {
			via := rsa.DeliveryOf(pr)
			if via == "" || via == rsa.ViaFile {
				continue
			}
			if _, err := rsa.PickProfile([]rsa.SoftTokenProfile{pr}, pr.GUID, via); err == nil {
				p.options = append(p.options, issueOption{profile: pr, via: via})
			}
		}
		p.loaded = true
		if len(p.options) == 0 {
			return do(back(), fail("No software token profile in AM delivers by QR code or token string: a token file is issued with rsatui token issue … --via file."))
		}
		return do(say("Review the issue: 1–" + fmt.Sprint(min(len(p.options), 9)) + " choose, y issues, esc cancels."))
	}
	return nil
}

func (p *issuePane) crumbs() []string { return []string{p.user.Login, "issue a software token"} }

func (p *issuePane) keys(c *common) []keyGroup {
	ks := []key.Binding{c.km[action.Yes], fixed("1–9", "choose"), withHelp(c.km[action.NewSeed], "new seed / keep it"), fixed("esc", "cancel, nothing sent")}
	return []keyGroup{{"issue a software token", ks}}
}

func (p *issuePane) request() rsa.IssueRequest {
	o := p.options[p.chosen]
	return rsa.IssueRequest{Login: p.user.Login, Via: o.via, Profile: o.profile.GUID, NewSeed: p.newSeed && o.via != rsa.ViaCTKIP}
}

func (p *issuePane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if !p.loaded {
		if k.String() == "esc" {
			return do(back(), say("Cancelled: nothing was sent to AM.")), true
		}
		return nil, true
	}
	if len(k.Text) == 1 && k.Text[0] >= '0' && k.Text[0] <= '9' {
		// a number chooses; one with no choice says so (it cancelled the issue)
		if i := int(k.Text[0] - '1'); i >= 0 && i < min(len(p.options), 9) {
			p.chosen = i
			return nil, true
		}
		return do(fail(fmt.Sprintf("There is no choice %s: 1–%d choose, y issues, esc cancels.", k.Text, min(len(p.options), 9)))), true
	}
	switch {
	case key.Matches(k, c.km[action.NewSeed]):
		p.newSeed = !p.newSeed
		return nil, true
	case key.Matches(k, c.km[action.Yes]):
		am, r, login := c.am, p.request(), p.user.Login
		return do(back(), write("Issuing a software token to "+login, func(ctx context.Context) tea.Msg {
			res, err := am.IssueSoftware(ctx, r)
			return issueDone{res: res, err: err}
		})), true
	}
	return do(back(), say("Cancelled: nothing was sent to AM.")), true
}

func (p *issuePane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Please confirm: issue a software token to "+p.user.Login) + "\n")
	if !p.loaded {
		return b.String() + "Reading the software token profiles from AM…"
	}
	if p.soft != nil {
		b.WriteString("Token " + p.soft.Token.Serial + " (" + p.user.Login + "'s software token) to the app on their phone:\n")
	} else {
		b.WriteString(p.user.Login + " has no token: the pool's next software token is assigned to them, then issued:\n")
	}
	for i, o := range p.options {
		if i == 9 {
			break
		}
		mark := "  "
		if i == p.chosen {
			mark = "› "
		}
		b.WriteString(mark + st.Key.Render(fmt.Sprint(i+1)) + " " + o.profile.Name + ": " + o.via.Words() + ", " + rsa.PINWords(o.profile) + "\n")
	}
	o := p.options[p.chosen]
	switch {
	case o.via == rsa.ViaCTKIP:
		b.WriteString("A new seed at activation: an old phone's copy stops working then.\n")
	case p.newSeed:
		b.WriteString(st.Key.Render(keyOf(c, action.NewSeed)) + " New seed: the old phone's copy stops working now.\n")
	default:
		b.WriteString(st.Key.Render(keyOf(c, action.NewSeed)) + " Same seed: a copy already on a phone keeps working.\n")
	}
	b.WriteString(st.Dim.Render("A token file: rsatui token issue --next-software "+p.user.Login+" --via file --out F") + "\n")
	b.WriteString(strings.TrimPrefix(ticketLine(c), "\n"))
	r := p.request()
	// one paragraph: a token from the pool is a dozen steps, which a
	// list a line each pushed off an 80×24 screen
	var steps []string
	for i, cmd := range rsa.IssuePlan(r.Via, false, p.soft == nil, r.NewSeed).Lines() {
		steps = append(steps, fmt.Sprintf("%d. %s", i+1, cmd))
	}
	b.WriteString(st.Dim.Render("AM commands (+ at once): "+strings.Join(steps, " · ")) + "\n")
	return lipgloss.NewStyle().Width(w).Render(b.String())
}
