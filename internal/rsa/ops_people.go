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
	res.Commands = append(res.Commands, "LookupPrincipalCommand")
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
	res.Commands = append(res.Commands, "UnLockUserAccountCommand")
	werr := o.c.UnlockUser(ctx, p.GUID, p.IdentitySourceGUID)
	res.Commands = append(res.Commands, "LookupPrincipalCommand")
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
