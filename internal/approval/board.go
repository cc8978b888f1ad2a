// Package approval is rsatui serve's board of requests for a second
// admin's approval (#31, [approve]): a change the site's policy has two
// people make waits here, visibly, until another admin — another key,
// another person — approves or rejects it, or it expires. The board only
// keeps and decides requests; the change itself runs afterwards in the
// requester's session, under rsa.WithApproval, so that what AM generates
// (codes) shows on the requester's screen and nowhere else. Who may
// approve what is rsa.MayApprove's to say.
package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
)

// State is where a request is.
type State string

// The states of a request: it waits, then ends in one of the others.
const (
	Waiting   State = "waiting"
	Approved  State = "approved"
	Rejected  State = "rejected"
	Expired   State = "expired"
	Withdrawn State = "withdrawn" // by the requester, or their session ended
)

// Request is one change waiting for (or decided by) a second admin.
type Request struct {
	ID     string
	By     rsa.Actor  // who asks
	Change rsa.Change // what would change
	// What is the change in the requester's words ("Putting token
	// 000100001007 into emergency access"); Why is why it waits (the
	// policy's words); Ticket is the requester's ticket, if any; Verified
	// the checks of the caller they did ("callback,ticket=INC123").
	What, Why, Ticket, Verified string
	// Lines are what the change does, one line each, where its What
	// cannot say it all: a plan's rows. The approver reads them before
	// deciding; nobody approves a bulk change blind.
	Lines          []string
	Asked, Expires time.Time

	State   State
	Decider rsa.Actor // who approved, rejected or withdrew it
	Reason  string    // a rejection's reason
	Decided time.Time
	// approver is who approved it, with what they may do (the guard asks
	// rsa.MayApprove again when the change runs)
	approver rsa.Approver
}

// Approval is the approved request as the change carries it.
func (r Request) Approval() rsa.Approval {
	return rsa.Approval{ID: r.ID, By: r.approver, Change: r.Change}
}

// Event is something that happened to a request, for the audit log.
type Event struct {
	Op      string // "approval.ask", "approval.approve", "approval.reject", "approval.expire", "approval.withdraw"
	Request Request
	Actor   rsa.Actor // who did it (the requester for ask and withdraw; nobody for expire)
}

// Errors of the board, for errors.Is.
var (
	ErrUnknown  = errors.New("no such request")
	ErrDecided  = errors.New("the request is no longer waiting")
	ErrNoReason = errors.New("a rejection needs a reason")
)

// MaxReasonLen bounds a rejection's reason.
const MaxReasonLen = 200

// keepDecided is how long a decided request stays readable (the
// requester's screen, the audit has it for good).
const keepDecided = time.Hour

// Board holds the requests of one rsatui serve.
type Board struct {
	expires time.Duration
	now     func() time.Time
	record  func(Event) error

	mu      sync.Mutex
	next    int
	reqs    map[string]*Request
	changed chan struct{} // closed (and replaced) at every change
}

// New is a board whose requests expire after expires; record writes each
// event to the audit log (nil: none). A request whose asking cannot be
// recorded is not made.
func New(expires time.Duration, now func() time.Time, record func(Event) error) *Board {
	if now == nil {
		now = time.Now
	}
	if record == nil {
		record = func(Event) error { return nil }
	}
	return &Board{expires: expires, now: now, record: record, reqs: map[string]*Request{}, changed: make(chan struct{})}
}

// Changed is closed at the board's next change: every session waits on it
// (its requester's screen, the count in its header, its requests pane).
func (b *Board) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

// changedLocked wakes every waiter; b.mu is held.
func (b *Board) changedLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// Ask puts r on the board, waiting: its id, when it was asked and when it
// expires are set here. It is withdrawn when ctx ends (the requester's
// session closed: nobody would see what it brings).
func (b *Board) Ask(ctx context.Context, r Request) (Request, error) {
	if err := ctx.Err(); err != nil {
		return Request{}, err
	}
	b.mu.Lock()
	now := b.now()
	b.next++
	r.ID = strconv.Itoa(b.next)
	r.Asked, r.Expires, r.State = now, now.Add(b.expires), Waiting
	r.Decider, r.Reason, r.Decided = rsa.Actor{}, "", time.Time{}
	if err := b.record(Event{Op: "approval.ask", Request: r, Actor: r.By}); err != nil {
		b.mu.Unlock()
		return Request{}, fmt.Errorf("%w: the request could not be written to the audit log, so it was not made: %v", rsa.ErrAuditUnavailable, err)
	}
	for id, old := range b.reqs {
		if old.State != Waiting && now.Sub(old.Decided) > keepDecided {
			delete(b.reqs, id)
		}
	}
	kept := r
	b.reqs[r.ID] = &kept
	b.changedLocked()
	b.mu.Unlock()

	id := r.ID
	time.AfterFunc(b.expires, func() { b.end(id, Expired, rsa.Approver{}, "", "approval.expire") })
	context.AfterFunc(ctx, func() {
		b.end(id, Withdrawn, rsa.Approver{Actor: r.By}, "the requester's session ended", "approval.withdraw")
	})
	return r, nil
}

// end moves a waiting request to state (nothing when it is no longer
// waiting).
func (b *Board) end(id string, state State, by rsa.Approver, reason, op string) (Request, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.reqs[id]
	switch {
	case !ok:
		return Request{}, fmt.Errorf("%w: request %s (requests are kept an hour after they are decided)", ErrUnknown, id)
	case r.State != Waiting:
		return *r, fmt.Errorf("%w: request %s was %s already", ErrDecided, id, r.Words())
	}
	r.State, r.Decider, r.approver, r.Reason, r.Decided = state, by.Actor, by, reason, b.now()
	// a decision that cannot be audited is still made: undoing it would
	// leave the requester's screen and the board disagreeing; the error
	// says so to whoever decided
	err := b.record(Event{Op: op, Request: *r, Actor: by.Actor})
	b.changedLocked()
	if err != nil {
		return *r, fmt.Errorf("request %s is %s, but the audit log could not be written: %v", id, state, err)
	}
	return *r, nil
}

// Approve approves a waiting request, when by may (rsa.MayApprove: not
// their own, and a change they could make).
func (b *Board) Approve(id string, by rsa.Approver) (Request, error) {
	r, err := b.mayDecide(id, by)
	if err != nil {
		return r, err
	}
	return b.end(id, Approved, by, "", "approval.approve")
}

// Reject rejects a waiting request with a reason (the requester reads it).
func (b *Board) Reject(id string, by rsa.Approver, reason string) (Request, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Request{}, fmt.Errorf("%w: say why, for the requester (\"could not reach the manager\")", ErrNoReason)
	case len(reason) > MaxReasonLen:
		return Request{}, fmt.Errorf("%w: the reason is %d characters; at most %d", ErrNoReason, len(reason), MaxReasonLen)
	}
	r, err := b.mayDecide(id, by)
	if err != nil {
		return r, err
	}
	return b.end(id, Rejected, by, reason, "approval.reject")
}

func (b *Board) mayDecide(id string, by rsa.Approver) (Request, error) {
	r, ok := b.Get(id)
	if !ok {
		return Request{}, fmt.Errorf("%w: request %s", ErrUnknown, id)
	}
	return r, rsa.MayApprove(by, r.By, r.Change)
}

// Withdraw ends a waiting request of by's own.
func (b *Board) Withdraw(id string, by rsa.Actor) (Request, error) {
	r, ok := b.Get(id)
	if !ok {
		return Request{}, fmt.Errorf("%w: request %s", ErrUnknown, id)
	}
	if !r.By.Same(by) {
		return r, fmt.Errorf("%w: request %s is %s's: only they withdraw it (reject it instead)", rsa.ErrNotPermitted, id, r.By.Name())
	}
	return b.end(id, Withdrawn, rsa.Approver{Actor: by}, "withdrawn by the requester", "approval.withdraw")
}

// Get is one request as it stands.
func (b *Board) Get(id string) (Request, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.reqs[id]
	if !ok {
		return Request{}, false
	}
	return *r, true
}

// Waiting is every waiting request, oldest first.
func (b *Board) Waiting() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Request
	for _, r := range b.reqs {
		if r.State == Waiting {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, c Request) int {
		x, _ := strconv.Atoi(a.ID)
		y, _ := strconv.Atoi(c.ID)
		return x - y
	})
	return out
}

// Words says where the request stands, for a person: "approved by bob",
// "rejected by bob: could not reach the manager", "expired".
func (r Request) Words() string {
	switch r.State {
	case Approved:
		return "approved by " + r.Decider.Name()
	case Rejected:
		return "rejected by " + r.Decider.Name() + ": " + r.Reason
	}
	return string(r.State)
}

// AuditTo records a board's events in ops' audit log: one line each,
// naming the request, the change (never as "action": those lines are
// counted as codes handed out), the requester and a rejection's reason.
func AuditTo(ops *rsa.Ops) func(Event) error {
	return func(ev Event) error {
		r := ev.Request
		params := map[string]string{"request": r.ID, "change": string(r.Change.Action), "what": r.What, "why": r.Why,
			"requested_by": r.By.String()}
		if r.Reason != "" {
			params["decision"] = r.Reason
		}
		if r.Verified != "" {
			params["verified"] = r.Verified
		}
		if ev.Op == "approval.ask" {
			params["expires"] = r.Expires.UTC().Format(time.RFC3339)
		}
		target := "user " + r.Change.Login
		if r.Change.Login == "" {
			target = string(r.Change.Action)
		}
		return ops.AuditEvent(ev.Actor, ev.Op, target, r.Ticket, params)
	}
}
