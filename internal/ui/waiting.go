package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// waitingPane is the requester's screen while their change waits for a
// second admin (approvals.go). It holds the console: what the change
// brings (a code) must come back to this screen, so nothing else is
// opened meanwhile. Esc withdraws the request; quitting does too.
type waitingPane struct {
	paneBase
	req   approval.Request
	board *approval.Board
	me    rsa.Actor
	// ended: withdrawn here (closing the pane then withdraws nothing; a
	// decided request the board no longer lets anyone withdraw)
	ended bool
}

func newWaitingPane(c *common, r approval.Request) *waitingPane {
	return &waitingPane{req: r, board: c.approvals, me: c.am.Approver().Actor}
}

func (p *waitingPane) crumbs() []string { return []string{"request " + p.req.ID} }

// holdsConsole: only help and quit work besides esc (which withdraws).
func (p *waitingPane) holdsConsole() {}

func (p *waitingPane) keys(c *common) []keyGroup {
	return []keyGroup{{"waiting for a second admin", []key.Binding{fixed("esc", "withdraw the request")}}}
}

func (p *waitingPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	switch {
	case k.String() == "esc":
		return p.withdraw(), true
	case key.Matches(k, c.km[action.Help]), key.Matches(k, c.km[action.Quit]):
		return nil, false // quitting asks first (precious), then withdraws
	}
	return do(say("Request " + p.req.ID + " waits for a second admin; esc withdraws it (nothing was sent to AM).")), true
}

func (p *waitingPane) withdraw() reqs {
	if _, err := p.board.Withdraw(p.req.ID, p.me); err != nil {
		// decided a moment ago: the decision is on its way to this screen
		return do(fail(trimKind(err) + "."))
	}
	p.ended = true
	return do(back(), say("Nothing was sent to AM: request "+p.req.ID+" withdrawn."))
}

// close withdraws a request still waiting when the screen goes (a quit).
func (p *waitingPane) close() {
	if !p.ended {
		p.ended = true
		_, _ = p.board.Withdraw(p.req.ID, p.me)
	}
}

// precious: quitting withdraws the request.
func (p *waitingPane) precious() string {
	if p.ended {
		return ""
	}
	return "Request " + p.req.ID + " waits; quitting withdraws it"
}

func (p *waitingPane) view(c *common, w, _ int) string {
	st, r := c.st, p.req
	var b strings.Builder
	b.WriteString(st.Title.Render("Waiting for a second admin — request "+r.ID) + "\n\n")
	b.WriteString(printable(r.What) + "\n")
	if r.Change.Login != "" {
		b.WriteString("For " + printable(r.Change.Login) + ".\n")
	}
	b.WriteString("It needs another admin's approval: " + printable(r.Why) + ".\n\n")
	b.WriteString("Ask another admin to approve request " + r.ID + " in their rsatui serve session (" + keyOf(c, action.Requests) + " there lists it).\n")
	b.WriteString("Nothing has been sent to AM. Once approved, the change runs here and what it brings shows on this screen.\n\n")
	left := r.Expires.Sub(c.now()).Round(time.Minute)
	b.WriteString(st.Dim.Render("Asked at "+r.Asked.In(c.loc).Format("15:04:05")+"; it expires at "+r.Expires.In(c.loc).Format("15:04")+
		" (in about "+waitWords(left)+") unless decided.") + "\n\n")
	b.WriteString(st.Key.Render("esc") + " withdraw it")
	return lipgloss.NewStyle().Width(w).Render(b.String())
}

// waitWords is a wait in words ("25 minutes", "less than a minute").
func waitWords(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return verify.Words(d)
}
