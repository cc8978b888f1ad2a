package rsa

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ExtendEmergencyAccess moves the end of an active emergency access:
// the token's EA record as AM holds it, with a new eaExpiration
// and nothing else changed (the unused one-time codes kept:
// clearUnusedCodes=false) → UpdateTokenEmergencyAccessCommand → read back.
// The lifetime rules are those of giving it (AM's maximum from now).
func (o *Ops) ExtendEmergencyAccess(ctx context.Context, serial string, expires time.Time) (EAResult, error) {
	ctx = withQueue(ctx, o.queue)
	ctx = o.intend(ctx, "ea.extend", "token "+serial, map[string]string{"expires": expires.UTC().Format(time.RFC3339)})
	res, err := o.eaChange(ctx, serial, expires, 0)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

// AddOneTimeCodes adds n one-time codes to an active set: AM
// generates them (GenerateOneTimeTokenCodeSetCommand) and the update keeps
// the unused ones (clearUnusedCodes=false). The new codes are returned once.
func (o *Ops) AddOneTimeCodes(ctx context.Context, serial string, n int) (EAResult, error) {
	ctx = withQueue(ctx, o.queue)
	ctx = o.intend(ctx, "ea.add_codes", "token "+serial, map[string]string{"count": fmt.Sprint(n)})
	res, err := o.eaChange(ctx, serial, time.Time{}, n)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

// eaChange is an extension (expires set) or an addition of n codes.
func (o *Ops) eaChange(ctx context.Context, serial string, expires time.Time, n int) (EAResult, error) {
	var res EAResult
	if err := ValidateSerial(serial); err != nil {
		return res, err
	}
	adding := n > 0
	if adding {
		if err := CheckOneTimeCount(n); err != nil {
			return res, err
		}
	}
	before, cmds, err := o.current(ctx, serial, nil)
	res.Commands, res.Before = cmds, before
	if err != nil {
		return res, err
	}
	ea := before.EA
	if err := o.Permits(EAPermission(ea.Mode)); err != nil {
		return res, err
	}
	switch {
	case !ea.Active():
		return res, fmt.Errorf("%w: emergency access is not on for token %s: give it first (ea set)", ErrRule, serial)
	case adding && ea.Mode != EAOneTimeCodes:
		return res, fmt.Errorf("%w: token %s has a temporary fixed tokencode, not one-time codes: give a set instead (ea set --one-time N)", ErrRule, serial)
	case !adding && ea.Mode == EAFixedCode && ea.TemporaryFixedTokencode == "":
		return res, fmt.Errorf("%w: AM does not show token %s's fixed code, so it cannot be sent back with a new end: give a new code instead (ea set)", ErrRule, serial)
	}
	if !adding {
		exp := o.wireExpiry(expires)
		if err := o.Validate(EARequest{Serial: serial, Mode: ea.Mode, Expires: exp, IfAvailable: ea.LostMode, Count: max(ea.NumUnusedCodes, 1),
			FixedCode: ea.TemporaryFixedTokencode}); err != nil {
			return res, err
		}
		ea.Expiration = exp
		if ea.Mode == EAFixedCode {
			ea.TFTExpiration = time.Time{} // as when given: eaExpiration ends it
		}
	} else {
		res.Commands = append(res.Commands, AddCodesPlan(n)[2].Commands...)
		codes, err := o.c.GenerateOneTimeCodes(ctx, before.Token.GUID, n)
		if err != nil {
			return res, err
		}
		ea.OneTimeCodes, res.Codes = codes, codes
	}
	ea.ClearUnusedCodes = false
	want := ea.NumUnusedCodes + n
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("eaExpiration", sameInstant(now.EA.Expiration, ea.Expiration))
		d.check("numUnusedCodes", !adding || now.EA.NumUnusedCodes == want)
		d.check("rowVersion (another change landed meanwhile)", before.Token.RowVersion == 0 || now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, ExtendPlan().write(), before.Token, differs,
		func() error { return o.c.UpdateEmergencyAccess(ctx, ea) })
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		res.Codes = nil // never show codes that do not work (unknown: they may be active, the caller marks them)
	}
	return res, err
}
