package rsa

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/verify"
)

// Four eyes (#31): a change the site's policy ([approve]) has a second
// admin approve runs only with that approval in its context. rsatui
// serve's request board (package approval) gets it from another session;
// everywhere else the change is refused with the reason. Who may approve
// what is decided here, once: the board asks MayApprove when the second
// admin says yes, and the guard asks again when the change runs.

// Approver is an admin who approves or rejects a request: who they are
// and what they may do.
type Approver struct {
	Actor Actor
	Grant Grant
}

// Approver is this person as an approver of other admins' requests.
func (o *Ops) Approver() Approver { return Approver{Actor: o.Actor, Grant: o.Grant()} }

// Same reports whether two actors are one admin: one SSH key, or one
// SSH user, or (outside rsatui serve) one OS user.
func (a Actor) Same(b Actor) bool {
	switch {
	case a.KeyFP != "" && a.KeyFP == b.KeyFP, a.SSHUser != "" && sshName(a.SSHUser) == sshName(b.SSHUser):
		return true
	case a.KeyFP == "" && b.KeyFP == "" && a.SSHUser == "" && b.SSHUser == "":
		return a.OSUser == b.OSUser
	}
	return false
}

// Name is the actor as a person says it: the SSH user ("alice"), else
// the OS user (the audit's String adds the key).
func (a Actor) Name() string {
	if a.SSHUser != "" {
		return sshName(a.SSHUser)
	}
	return a.OSUser
}

// Approval is a second admin's yes to one request: the change it is for
// (a batch-apply approval covers every row of the plan).
type Approval struct {
	ID     string // the request's id
	By     Approver
	Change Change
}

type approvalKey struct{}

// WithApproval is ctx carrying a second admin's approval of the change
// made under it.
func WithApproval(ctx context.Context, a Approval) context.Context {
	return context.WithValue(ctx, approvalKey{}, a)
}

// ApprovalError is ErrNeedsApproval with the change that waits and why:
// rsatui serve turns it into a request on the board.
type ApprovalError struct {
	Change Change
	Why    string
	// Verified is the checks of the caller done (verify.Done.String), when
	// the policy asked for some
	Verified string
}

func (e *ApprovalError) Error() string {
	return ErrNeedsApproval.Error() + ": " + e.Why + " (rsatui serve asks another admin for it)"
}
func (e *ApprovalError) Unwrap() error { return ErrNeedsApproval }

// approvalPerms are the permissions that let an admin approve an action:
// any one of them — the approver must be someone who could make the
// change themselves. None (a batch-apply): only an admin.
var approvalPerms = map[action.Name][]Permission{
	action.EmergencyAccess:       {PermEmergencyTFT, PermEmergencyOTT},
	action.AddOneTimeCodes:       {PermEmergencyOTT},
	action.ExtendEmergencyAccess: {PermEmergencyTFT, PermEmergencyOTT},
	action.OfflinePasscode:       {PermOfflinePasscode},
	action.IssueSoftware:         {PermIssueSoftware},
	action.NewSeed:               {PermIssueSoftware},
	action.Unlock:                {PermUnlock},
	action.ClearPIN:              {PermPinClear},
	action.RequireNewPIN:         {PermPinNew},
	action.Resync:                {PermResync},
	action.ClearBadCount:         {PermBadCount},
	action.Replace:               {PermReplace},
}

// MayApprove says whether by may approve (or reject) ch, asked by
// requester, and if not, why: never their own request (one SSH key or one
// SSH user), and only a change they could make themselves.
func MayApprove(by Approver, requester Actor, ch Change) error {
	if by.Actor.Same(requester) {
		return fmt.Errorf("%w: the request is your own (%s): another admin approves it", ErrNotPermitted, requester)
	}
	perms, ok := approvalPerms[ch.Action]
	if !ok {
		if by.Grant.Role == RoleAdmin && !by.Grant.None() {
			return nil
		}
		return fmt.Errorf("%w: your rsatui role (%s) may not approve a %s: an admin approves it", ErrNotPermitted, by.Grant.Role, ch.Action)
	}
	for _, p := range perms {
		if by.Grant.Has(p) {
			return nil
		}
	}
	return fmt.Errorf("%w: your rsatui role (%s) may not %s, so it may not approve one (%s)", ErrNotPermitted, by.Grant.Role, ch.Action, perms[0])
}

// covers reports whether the approval is of ch: the same action on the
// same person, for no longer than was approved (a batch-apply's covers
// the plan's rows).
func (a Approval) covers(ch Change) bool {
	if a.Change.Action == verify.BatchApply {
		return true
	}
	if a.Change.Action != ch.Action || !strings.EqualFold(a.Change.Login, ch.Login) || (ch.NewSeed && !a.Change.NewSeed) {
		return false
	}
	switch {
	case a.Change.Lasts == verify.NoEnd:
		return true
	case ch.Lasts == verify.NoEnd:
		return false
	}
	// the time the request waited shortens a relative expiry, never
	// lengthens it; a minute of slack for clocks read a moment apart
	return ch.Lasts <= a.Change.Lasts+time.Minute
}

// CheckApproval refuses ch when the policy has a second admin approve it
// and ctx carries no approval of it by somebody who may give one; an
// approved change's audit lines name the approver and the request.
func (o *Ops) CheckApproval(ctx context.Context, ch Change) error {
	a, err := o.approvalOf(ctx, ch)
	if a != nil {
		o.tag(ctx, "approved_by", a.By.Actor.String())
		o.tag(ctx, "request", a.ID)
	}
	return err
}

// ApproveRun is CheckApproval for a run of many changes (a plan's): it
// is asked before the run, when no change has an audit line yet, so the
// approval goes into the run's context instead — and every change of the
// run names the approver and the request in its audit line.
func (o *Ops) ApproveRun(ctx context.Context, ch Change) (context.Context, error) {
	a, err := o.approvalOf(ctx, ch)
	if a == nil || err != nil {
		return ctx, err
	}
	return WithAuditTag(WithAuditTag(ctx, "approved_by", a.By.Actor.String()), "request", a.ID), nil
}

// approvalOf is the approval ch needs and ctx carries (nil: none is
// needed), or why ch is refused without one.
func (o *Ops) approvalOf(ctx context.Context, ch Change) (*Approval, error) {
	if o.Policy == nil {
		return nil, nil
	}
	why, err := o.ApprovalNeeded(ctx, ch)
	if err != nil || why == "" {
		return nil, err
	}
	a, ok := ctx.Value(approvalKey{}).(Approval)
	if !ok {
		return nil, &ApprovalError{Change: ch, Why: why}
	}
	if !a.covers(ch) {
		return nil, fmt.Errorf("%w: %s, and request %s approved another change (%s for %s)", ErrNeedsApproval, why, a.ID, a.Change.Action, a.Change.Login)
	}
	if err := MayApprove(a.By, o.Actor, ch); err != nil {
		return nil, fmt.Errorf("%w: %s, and the approval does not count: %v", ErrNeedsApproval, why, err)
	}
	return &a, nil
}
