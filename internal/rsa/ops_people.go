package rsa

import (
	"context"
	"errors"
	"fmt"
)

// PrincipalResult is a change to a person's AM account: what AM held
// before and after, the commands sent, and a note when nothing was to do.
type PrincipalResult struct {
	Before, After Principal
	Commands      []string
	Note          string
}

// Unlock clears AM's lockout of a person (helpdesk-ops §4): their principal
// read fresh (LookupPrincipalCommand: a lockout changes within minutes, the
// kept principal may be older) → UnLockUserAccountCommand with the
// identity source's GUID → read back. A person who is not locked gets a
// note, not an error.
func (o *Ops) Unlock(ctx context.Context, login string) (PrincipalResult, error) {
	ctx = withQueue(ctx, o.queue)
	ctx = o.intend(ctx, "user.unlock", "user "+login, nil)
	res, err := o.unlock(ctx, login)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) unlock(ctx context.Context, login string) (PrincipalResult, error) {
	var res PrincipalResult
	if err := o.Permits(PermUnlock); err != nil {
		return res, err
	}
	p, err := o.Principal(ctx, login)
	if err != nil {
		return res, err
	}
	plan := UnlockPlan()
	res.Commands = append(res.Commands, plan[0].Commands...)
	if res.Before, err = o.c.LookupPrincipal(ctx, p.GUID, p.IdentitySourceGUID); err != nil {
		return res, err
	}
	if !res.Before.Locked {
		res.After, res.Note = res.Before, login+" is not locked by AM; nothing was changed"
		return res, nil
	}
	if err := o.announce(ctx); err != nil {
		return res, err
	}
	res.Commands = append(res.Commands, plan.write())
	werr := o.c.UnlockUser(ctx, p.GUID, p.IdentitySourceGUID)
	res.Commands = append(res.Commands, plan[2].Commands...)
	after, rerr := o.c.LookupPrincipal(ctx, p.GUID, p.IdentitySourceGUID)
	if rerr == nil {
		res.After = after
		o.people.put(login, after, o.Now())
	}
	switch {
	case werr == nil && rerr != nil:
		return res, fmt.Errorf("UnLockUserAccountCommand succeeded, but reading %s back failed: %w", login, rerr)
	case werr == nil && after.Locked:
		return res, fmt.Errorf("%w: AM took UnLockUserAccountCommand, but %s is locked again (another failed login landed meanwhile)", ErrOtherChange, login)
	case errors.Is(werr, ErrOutcomeUnknown) && rerr == nil && !after.Locked:
		return res, nil // the reply was lost, the read-back shows it done
	}
	return res, werr
}

// PersonState is a person's principal and every token in full, with the
// principal read afresh (LookupPrincipalCommand, alongside the token
// lookups, so no round trip is added): the lockout and failed count as AM
// holds them now, not as kept since the person was first looked up. The
// dashboard and its diagnosis read this.
func (o *Ops) PersonState(ctx context.Context, login string) (Principal, []TokenState, error) {
	ctx = withQueue(ctx, o.queue)
	p, err := o.Principal(ctx, login)
	if err != nil {
		return p, nil, err
	}
	var fresh Principal
	var states []TokenState
	var serr, ferr error
	together(
		func() { _, states, serr = o.UserTokenStates(ctx, login, true) },
		func() { fresh, ferr = o.c.LookupPrincipal(ctx, p.GUID, p.IdentitySourceGUID) },
	)
	switch {
	case ferr == nil:
		o.people.put(login, fresh, o.Now())
		p = fresh
	case serr == nil || errors.Is(serr, ErrIncomplete):
		serr = errors.Join(serr, fmt.Errorf("%w: AM's account of %s could not be read afresh, its lockout may be out of date: %w", ErrIncomplete, login, ferr))
	}
	return p, states, serr
}
