package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/approval"
)

// requestsPane lists the changes waiting for a second admin on rsatui
// serve's board (approvals.go), with who asks, what, for whom, why it
// waits and until when. a then y approves the selected one; x rejects it
// with a reason for the requester. Who may decide is rsa.MayApprove's to
// say (never one's own request; only a change one could make oneself).
type requestsPane struct {
	paneBase
	cursor int
	scroll scroller // a long plan's changes
	// follow: the cursor moved, and the next draw scrolls to the request
	// it is on
	follow bool
	// asking: a yes/no on approving (confirm) or the reason of a
	// rejection (reason) has the keys
	confirm bool
	reason  *textinput.Model
	id      string // the request asked about
}

func newRequestsPane() *requestsPane {
	p := &requestsPane{scroll: newScroller()}
	p.scroll.pagesOnly = true // up and down choose the request
	return p
}

func (p *requestsPane) crumbs() []string { return []string{"requests"} }

func (p *requestsPane) typing() bool { return p.confirm || p.reason != nil }

func (p *requestsPane) keys(c *common) []keyGroup {
	switch {
	case p.confirm:
		return []keyGroup{{"approve", []key.Binding{c.km[action.Yes], fixed("any other key", "cancel")}}}
	case p.reason != nil:
		return []keyGroup{{"reject", []key.Binding{fixed("enter", "reject with this reason"), fixed("esc", "cancel")}}}
	}
	return []keyGroup{{"requests", []key.Binding{c.km[action.Approve], c.km[action.Reject]}}, {"moving", []key.Binding{c.km[action.Up], c.km[action.Down]}}}
}

func (p *requestsPane) selected(c *common) (approval.Request, bool) {
	list := c.approvals.Waiting()
	if len(list) == 0 {
		return approval.Request{}, false
	}
	p.cursor = min(max(p.cursor, 0), len(list)-1)
	return list[p.cursor], true
}

func (p *requestsPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	switch {
	case p.confirm:
		p.confirm = false
		if !key.Matches(k, c.km[action.Yes]) {
			return do(say("Not approved: request " + p.id + " still waits.")), true
		}
		r, err := c.approvals.Approve(p.id, c.am.Approver())
		if err != nil {
			return do(fail("Not approved: " + trimKind(err) + ".")), true
		}
		return do(say(fmt.Sprintf("Approved request %s: it runs now in %s's session, and its result shows there.", r.ID, r.By.Name()))), true
	case p.reason != nil:
		switch k.String() {
		case "esc":
			p.reason = nil
			return do(say("Not rejected: request " + p.id + " still waits.")), true
		case "enter":
			r, err := c.approvals.Reject(p.id, c.am.Approver(), p.reason.Value())
			if err != nil {
				return do(fail("Not rejected: " + trimKind(err) + ".")), true
			}
			p.reason = nil
			return do(say(fmt.Sprintf("Rejected request %s: %s sees your reason; nothing was sent to AM.", r.ID, r.By.Name()))), true
		}
		in, cmd := p.reason.Update(k)
		p.reason = &in
		return do(run(cmd)), true
	}
	km := c.km
	if list, _, ok := p.list(c, c.w); ok && p.scroll.key(km, list, c.w, p.listHeight(p.question(c, c.w), c.h), k) {
		return nil, true // a long plan's changes scroll
	}
	switch {
	case key.Matches(k, km[action.Up]):
		p.cursor--
		p.follow = true
		p.selected(c)
		return nil, true
	case key.Matches(k, km[action.Down]):
		p.cursor++
		p.follow = true
		p.selected(c)
		return nil, true
	case key.Matches(k, km[action.Approve]), key.Matches(k, km[action.Reject]):
		r, ok := p.selected(c)
		if !ok {
			return do(say("No request waits.")), true
		}
		if r.By.Same(c.am.Approver().Actor) {
			return do(fail("Request " + r.ID + " is your own: another admin decides it (esc on its screen withdraws it).")), true
		}
		p.id = r.ID
		if key.Matches(k, km[action.Approve]) {
			p.confirm = true
			return do(say("Approve request " + r.ID + "? " + keyOf(c, action.Yes) + " approves, any other key cancels.")), true
		}
		in := textinput.New()
		in.Prompt, in.Placeholder, in.CharLimit = "", "why, for the requester", approval.MaxReasonLen
		in.SetWidth(max(c.w-12, 20))
		p.reason = &in
		return do(say("Why reject request "+r.ID+"? Type the reason, enter rejects it."), run(p.reason.Focus())), true
	}
	return nil, false
}

func (p *requestsPane) update(c *common, msg tea.Msg) reqs {
	if _, ok := msg.(boardChanged); ok && p.id != "" && p.typing() {
		if r, ok := c.approvals.Get(p.id); ok && r.State != approval.Waiting {
			// decided meanwhile (by another admin, or expired)
			p.confirm, p.reason = false, nil
			return do(say("Request " + p.id + " was " + r.Words() + " meanwhile."))
		}
	}
	return nil
}

func (p *requestsPane) view(c *common, w, h int) string {
	list, at, ok := p.list(c, w)
	if !ok {
		return list
	}
	q := p.question(c, w)
	lh := p.listHeight(q, h)
	if p.follow {
		p.follow = false
		p.scroll.reveal(list, w, lh, at)
	}
	return p.scroll.view(c.st, list, w, lh) + "\n\n" + q
}

// listHeight is the list's part of a body h high: the question below
// stays in sight however long the list (a plan of a hundred changes
// scrolls above it).
func (p *requestsPane) listHeight(q string, h int) int { return max(h-lipgloss.Height(q)-1, 1) }

// list is the waiting requests, the selected one with its every line, and
// the line the selected one starts on; ok=false: none waits (the whole
// view).
func (p *requestsPane) list(c *common, w int) (text string, at int, ok bool) {
	st := c.st
	list := c.approvals.Waiting()
	me := c.am.Approver().Actor
	var b strings.Builder
	b.WriteString(st.Title.Render(fmt.Sprintf("Requests for a second admin: %d waiting", len(list))) + "\n\n")
	if len(list) == 0 {
		b.WriteString("None waits. A change the site's policy has two admins make shows here when another admin asks for it.\n")
		return lipgloss.NewStyle().Width(w).Render(b.String()), 0, false
	}
	p.cursor = min(max(p.cursor, 0), len(list)-1)
	// the request's lines indented as a block, also where they wrap
	indent := lipgloss.NewStyle().PaddingLeft(4).Width(max(w, 8))
	for i, r := range list {
		mark := "  "
		if i == p.cursor {
			mark = "> "
		}
		who := r.By.Name()
		if r.By.Same(me) {
			who += " (yours)"
		}
		left := r.Expires.Sub(c.now())
		head := fmt.Sprintf("%sRequest %s · %s · asked %s · expires in %s", mark, r.ID, printable(who), r.Asked.In(c.loc).Format("15:04"), waitWords(max(left, 0)))
		if i == p.cursor {
			head = st.Key.Render(head)
			at = strings.Count(b.String(), "\n")
		}
		b.WriteString(head + "\n")
		what := printable(r.What)
		if r.Change.Login != "" {
			what += " — for " + printable(r.Change.Login)
		}
		b.WriteString(indent.Render(what) + "\n")
		if i == p.cursor { // what a plan does, row by row: nobody approves it blind
			for _, l := range r.Lines {
				b.WriteString(indent.PaddingLeft(6).Render("· "+printable(l)) + "\n")
			}
		}
		b.WriteString(indent.Render(st.Dim.Render("Why it waits: "+printable(r.Why))) + "\n")
		if r.Verified != "" {
			b.WriteString(indent.Render(st.Dim.Render("Checks of the caller done: "+printable(r.Verified))) + "\n")
		} else if r.Ticket != "" {
			b.WriteString(indent.Render(st.Dim.Render("Ticket: "+printable(r.Ticket))) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n"), at, true
}

// question is what is asked below the list: approve?, the reason, or the
// reminder of what approving means.
func (p *requestsPane) question(c *common, w int) string {
	st := c.st
	var q string
	switch {
	case p.confirm:
		q = "Approve request " + p.id + "? The change runs in the requester's session; what it brings shows only there.\n" +
			st.Key.Render(keyOf(c, action.Yes)) + " approve    " + st.Key.Render("any other key") + " cancel"
	case p.reason != nil:
		q = "Reject request " + p.id + " — reason: " + p.reason.View()
	default:
		q = st.Dim.Render("Before approving, check the ticket and call the requester back if in doubt: approving is your name in the audit too.")
	}
	return lipgloss.NewStyle().Width(w).Render(q)
}
