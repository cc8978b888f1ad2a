package approval_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/rsa"
)

type events struct {
	mu  sync.Mutex
	ops []string
}

func (e *events) record(ev approval.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops = append(e.ops, ev.Op+" "+ev.Request.ID+" "+ev.Actor.String())
	return nil
}

func (e *events) list() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.ops, "; ")
}

var (
	alice = rsa.Actor{SSHUser: "alice from 10.0.0.1", KeyFP: "SHA256:a"}
	bob   = rsa.Actor{SSHUser: "bob from 10.0.0.2", KeyFP: "SHA256:b"}
	carol = rsa.Actor{SSHUser: "carol from 10.0.0.3", KeyFP: "SHA256:c"}
)

func grant(t *testing.T, r rsa.Role) rsa.Grant {
	t.Helper()
	g, err := rsa.GrantOf(r, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func tenDays() approval.Request {
	return approval.Request{By: alice, What: "Putting token 000100001007 into emergency access", Why: "it lasts 10 days",
		Change: rsa.Change{Action: action.EmergencyAccess, Login: "jdoe", Lasts: 240 * time.Hour}}
}

// A request waits until another admin who could make the change decides
// it: never the requester (another key of the same SSH user neither), not
// a viewer; decided once; every step in the audit.
func TestApproveOnlyByAnotherWhoMay(t *testing.T) {
	ev := &events{}
	b := approval.New(30*time.Minute, nil, ev.record)
	ctx := context.Background()
	r, err := b.Ask(ctx, tenDays())
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "1" || r.State != approval.Waiting || !r.Expires.Equal(r.Asked.Add(30*time.Minute)) {
		t.Fatalf("asked: %+v", r)
	}
	if w := b.Waiting(); len(w) != 1 || w[0].ID != "1" {
		t.Fatalf("waiting: %+v", w)
	}
	changed := b.Changed()
	sameUser := rsa.Actor{SSHUser: "Alice from 10.9.9.9", KeyFP: "SHA256:other"}
	for _, by := range []rsa.Approver{{Actor: alice, Grant: grant(t, rsa.RoleAdmin)}, {Actor: sameUser, Grant: grant(t, rsa.RoleAdmin)}, {Actor: carol, Grant: grant(t, rsa.RoleViewer)}} {
		if _, err := b.Approve("1", by); !errors.Is(err, rsa.ErrNotPermitted) {
			t.Fatalf("%s approved it: %v", by.Actor, err)
		}
	}
	select {
	case <-changed:
		t.Fatal("a refused approval changed the board")
	default:
	}
	got, err := b.Approve("1", rsa.Approver{Actor: bob, Grant: grant(t, rsa.RoleHelpdesk)})
	if err != nil || got.State != approval.Approved || !got.Decider.Same(bob) {
		t.Fatalf("bob's approval: %+v %v", got, err)
	}
	<-changed // the waiters were woken
	if _, err := b.Reject("1", rsa.Approver{Actor: carol, Grant: grant(t, rsa.RoleAdmin)}, "too late"); !errors.Is(err, approval.ErrDecided) {
		t.Fatalf("decided twice: %v", err)
	}
	if len(b.Waiting()) != 0 {
		t.Fatal("an approved request still waits")
	}
	a := got.Approval()
	if a.ID != "1" || a.Change.Login != "jdoe" || !a.By.Actor.Same(bob) || !a.By.Grant.Has(rsa.PermEmergencyTFT) {
		t.Fatalf("the approval: %+v", a)
	}
	if want := "approval.ask 1 alice (key SHA256:a); approval.approve 1 bob (key SHA256:b)"; ev.list() != want {
		t.Fatalf("audit events:\n got %s\nwant %s", ev.list(), want)
	}
}

// A rejection needs a reason; a request expires by itself, and is
// withdrawn when its requester's session ends — or by them, not by others.
func TestRejectExpireWithdraw(t *testing.T) {
	ev := &events{}
	b := approval.New(time.Hour, nil, ev.record)
	admin := rsa.Approver{Actor: bob, Grant: grant(t, rsa.RoleAdmin)}
	r, _ := b.Ask(context.Background(), tenDays())
	if _, err := b.Reject(r.ID, admin, "  "); !errors.Is(err, approval.ErrNoReason) {
		t.Fatalf("a rejection without a reason: %v", err)
	}
	if _, err := b.Reject(r.ID, admin, strings.Repeat("x", approval.MaxReasonLen+1)); !errors.Is(err, approval.ErrNoReason) {
		t.Fatalf("a reason of a page: %v", err)
	}
	got, err := b.Reject(r.ID, admin, "could not reach the manager")
	if err != nil || got.State != approval.Rejected || got.Words() != "rejected by bob: could not reach the manager" {
		t.Fatalf("rejected: %+v %v", got, err)
	}

	ctx, endSession := context.WithCancel(context.Background())
	r, _ = b.Ask(ctx, tenDays())
	if _, err := b.Withdraw(r.ID, bob); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("bob withdrew alice's request: %v", err)
	}
	changed := b.Changed()
	endSession()
	<-changed
	if got, _ := b.Get(r.ID); got.State != approval.Withdrawn {
		t.Fatalf("the session ended, the request: %+v", got)
	}

	short := approval.New(20*time.Millisecond, nil, ev.record)
	changed = short.Changed()
	r, _ = short.Ask(context.Background(), tenDays())
	<-changed // the ask
	changed = short.Changed()
	<-changed // the expiry
	if got, _ := short.Get(r.ID); got.State != approval.Expired {
		t.Fatalf("after its time: %+v", got)
	}
	if _, err := short.Approve(r.ID, admin); !errors.Is(err, approval.ErrDecided) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired request approved: %v", err)
	}
	if _, err := b.Approve("99", admin); !errors.Is(err, approval.ErrUnknown) {
		t.Fatalf("an unknown request: %v", err)
	}
	for _, op := range []string{"approval.reject 1 bob", "approval.withdraw 2 alice", "approval.expire 1 "} {
		if !strings.Contains(ev.list(), op) {
			t.Errorf("the audit lacks %q: %s", op, ev.list())
		}
	}
}

// A request that cannot be audited is not made.
func TestAskNeedsTheAudit(t *testing.T) {
	b := approval.New(time.Hour, nil, func(approval.Event) error { return errors.New("disk full") })
	if _, err := b.Ask(context.Background(), tenDays()); !errors.Is(err, rsa.ErrAuditUnavailable) || len(b.Waiting()) != 0 {
		t.Fatalf("asked without an audit: %v, waiting %d", err, len(b.Waiting()))
	}
}
