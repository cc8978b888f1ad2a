package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/rsa"
)

// Four eyes in the console (rsatui serve). A change the site's policy has
// a second admin approve is refused by the operation layer before anything
// is sent (rsa.ApprovalError). Here that refusal becomes a request on the
// server's board: the requester's screen waits for it (waiting.go), every
// other admin's header counts it and their requests pane decides it
// (requests.go). Once approved, the very change the requester confirmed
// runs in their own session, with the approval in its context: its result
// — a code — shows on their screen and nowhere else. Rejected, expired or
// withdrawn, nothing is sent and the screen says why.

// sentWrite is the change the console last sent: what a request runs
// again once approved, as the requester confirmed it.
type sentWrite struct {
	owner  pane
	r      callReq
	caller verifiedCaller // the caller's checks when it was confirmed
	ticket string
}

// pendingChange is the requester's change waiting on the board.
type pendingChange struct {
	req     approval.Request
	sent    sentWrite
	refused tea.Msg // the operation's refusal: shown if it never runs
}

// boardChanged: something changed on the board (a request asked, decided
// or expired) — or a minute passed, and the time each request has left is
// drawn anew ("expires in about 24 minutes" must not stay at 30).
type boardChanged struct{}

// boardRedraw is how often the times left are drawn anew when nothing
// changes on the board (a console takes it when it is built).
var boardRedraw = time.Minute

// watchBoard waits for the board's next change (nothing without a board,
// or once the console's life ends).
func (m *Model) watchBoard() tea.Cmd {
	b := m.c.approvals
	if b == nil {
		return nil
	}
	changed, life, every := b.Changed(), m.c.ctx, m.c.boardRedraw
	return func() tea.Msg {
		var redraw <-chan time.Time // nothing waits: no time left to draw
		if len(b.Waiting()) > 0 {
			t := time.NewTimer(every)
			defer t.Stop()
			redraw = t.C
		}
		select {
		case <-changed:
			return boardChanged{}
		case <-redraw:
			return boardChanged{}
		case <-life.Done():
			return nil
		}
	}
}

// needsApproval is the operation's refusal for want of a second admin, if
// the result of a change is one.
func needsApproval(msg tea.Msg) *rsa.ApprovalError {
	r, ok := msg.(interface{ outcome() error })
	if !ok {
		return nil
	}
	var ae *rsa.ApprovalError
	if errors.As(r.outcome(), &ae) {
		return ae
	}
	return nil
}

// askApproval puts the refused change on the board and waits for it.
func (m *Model) askApproval(ae *rsa.ApprovalError, refused tea.Msg) tea.Cmd {
	s := m.sent
	req, err := m.c.approvals.Ask(m.c.ctx, approval.Request{By: m.c.am.Approver().Actor, Change: ae.Change,
		What: s.r.label, Lines: s.r.detail, Why: ae.Why, Ticket: s.ticket, Verified: ae.Verified})
	if err != nil {
		cmd := m.deliverWrite(s.owner, refused)
		m.setStatus("Not sent, nothing was changed: it needs a second admin's approval, and the request could not be made: "+explain(err), true)
		return cmd
	}
	m.pending = &pendingChange{req: req, sent: s, refused: refused}
	return m.apply(nil, do(push(newWaitingPane(m.c, req)),
		say(fmt.Sprintf("Request %s is waiting for a second admin; nothing has been sent to AM yet.", req.ID))))
}

// boardMoved follows the board: the requester's change runs once approved
// or ends once rejected, expired or withdrawn; every screen is told (the
// requests pane, the header's count).
func (m *Model) boardMoved(msg boardChanged) tea.Cmd {
	cmds := []tea.Cmd{m.watchBoard()}
	if p := m.pending; p != nil {
		if r, ok := m.c.approvals.Get(p.req.ID); !ok || r.State != approval.Waiting {
			cmds = append(cmds, m.settle(p, r, ok))
		}
	}
	return tea.Batch(append(cmds, m.tellAll(msg))...)
}

// settle ends the wait for a decided request.
func (m *Model) settle(p *pendingChange, r approval.Request, known bool) tea.Cmd {
	m.pending = nil
	for _, q := range m.stack {
		if w, ok := q.(*waitingPane); ok {
			m.back(w, nil) // its close withdraws nothing: the request is decided
			break
		}
	}
	if known && r.State == approval.Approved {
		s := p.sent
		a := r.Approval()
		fn := s.r.fn
		run := func(ctx context.Context) tea.Msg {
			// the checks and the ticket the change was confirmed with, not
			// whatever the console holds by now
			ctx = rsa.WithReason(ctx, s.ticket)
			if s.caller.login != "" {
				ctx = rsa.WithCaller(ctx, s.caller.login, s.caller.done)
			}
			return fn(rsa.WithApproval(ctx, a))
		}
		label := fmt.Sprintf("%s (request %s, approved by %s)", s.r.label, r.ID, r.Decider.Name())
		cmd := m.startCall(s.owner, callReq{label: label, write: true, fn: run, detail: s.r.detail})
		if cmd == nil { // refused to start (a shutdown): its words stay
			why, isErr := m.status, m.statusErr
			cmd = m.deliverWrite(s.owner, p.refused)
			m.setStatus(why, isErr)
		}
		return cmd
	}
	cmd := m.deliverWrite(p.sent.owner, p.refused)
	var what string
	switch {
	case !known:
		what = "request " + p.req.ID + " is no longer on the board"
	case r.State == approval.Rejected:
		what = "request " + p.req.ID + " was rejected by " + r.Decider.Name() + " (" + r.Reason + ")"
	case r.State == approval.Expired:
		what = "request " + p.req.ID + " expired before a second admin decided it"
	default:
		what = "request " + p.req.ID + " withdrawn"
	}
	m.setStatus("Nothing was sent to AM: "+what+".", r.State != approval.Withdrawn)
	return cmd
}

// othersWaiting is how many requests of other admins wait (the header's
// count); none for a person who may change nothing.
func (m Model) othersWaiting() int {
	if m.c.approvals == nil || m.c.info.ReadOnly {
		return 0
	}
	me := m.c.am.Approver().Actor
	n := 0
	for _, r := range m.c.approvals.Waiting() {
		if !r.By.Same(me) {
			n++
		}
	}
	return n
}

// openRequests opens the requests pane.
func openRequests(c *common) reqs {
	if c.approvals == nil {
		return do(fail("No requests here: a second admin approves changes in rsatui serve."))
	}
	if _, ok := c.top.(*requestsPane); ok {
		return nil
	}
	return do(push(newRequestsPane()))
}
