package rsa

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa/am"
)

// TokenResult is what a token operation did.
type TokenResult struct {
	Before, After TokenState
	Commands      []string
	Note          string // why nothing was changed ("" when something was)
	// Also is what the change did beyond what was asked, for the person to
	// know (an assignment that cleared the PIN the token still had)
	Also string
}

// Assign gives a token to a person. Refused when the person already has a
// token (unless allowSecond, which the audit log records), when the token
// belongs to someone else, or when it has expired.
func (o *Ops) Assign(ctx context.Context, serial, login string, allowSecond bool) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "token.assign", "token "+serial+" to "+login, map[string]string{"allow_second": fmt.Sprint(allowSecond)})
	res, err := o.assign(ctx, serial, login, allowSecond)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) assign(ctx context.Context, serial, login string, allowSecond bool) (TokenResult, error) {
	var res TokenResult
	if err := o.Permits(PermAssign); err != nil {
		return res, err
	}
	if err := ValidateSerial(serial); err != nil {
		return res, err
	}
	res.Commands = append(res.Commands, findPerson.Commands...)
	p, held, err := o.UserTokens(ctx, login)
	if err != nil {
		return res, err
	}
	return o.assignTo(ctx, res, serial, login, p, held, allowSecond)
}

// assignTo is assign for a person already read (p and the tokens they
// hold): a caller that has just read them does not read them again.
func (o *Ops) assignTo(ctx context.Context, res TokenResult, serial, login string, p Principal, held []TokenSummary, allowSecond bool) (TokenResult, error) {
	if err := o.Permits(PermAssign); err != nil {
		return res, err
	}
	for _, t := range held {
		if t.Serial == serial {
			return res, fmt.Errorf("%w: token %s is already assigned to %s", ErrRule, serial, login)
		}
	}
	have := make([]Token, len(held))
	for i, t := range held {
		have[i] = t.AsToken(p.GUID)
	}
	if err := HoldingOf(have).RefuseSecond(login); err != nil && !allowSecond {
		return res, fmt.Errorf("%w (override with --allow-second, which is recorded)", err)
	}
	res.Commands = append(res.Commands, readBySerial.Commands()...)
	before, err := o.Token(ctx, serial)
	if err != nil {
		return res, err
	}
	res.Before = before
	switch t := before.Token; {
	case t.Assigned():
		return res, fmt.Errorf("%w: token %s belongs to %s: unassign it there first", ErrRule, serial, t.AssignedUserID)
	case !t.Expires.IsZero() && !t.Expires.After(o.Now()):
		return res, fmt.Errorf("%w: token %s expired on %s", ErrRule, serial, t.Expires.Format("2006-01-02"))
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("principalId", now.Token.PrincipalGUID == p.GUID)
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, AssignPlan(false).write(), before.Token, differs,
		func() error { return o.c.LinkTokens(ctx, p.GUID, before.Token.GUID) })
	if err != nil || !res.After.Token.PinSet {
		return res, err
	}
	// a PIN left on the token (a retired token keeps its old holder's) is
	// not the new holder's: cleared, they set their own at the first login
	linked := res.After.Token
	cleared := func(now TokenState) []string {
		d := differences{}
		d.check("pinIsSet", !now.Token.PinSet)
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == linked.RowVersion+1)
		return d
	}
	res.After, _, err = o.write(ctx, &res.Commands, PINPlan(true).write(), linked, cleared,
		func() error { return o.c.UpdatePIN(ctx, linked, true) })
	if err != nil {
		return res, fmt.Errorf("token %s is %s's, but clearing the PIN it still had failed: clear it (p) before handing it over: %w", serial, login, err)
	}
	res.Also = "the token still had a PIN (its previous holder's): cleared, " + login + " sets one at the first login"
	return res, nil
}

// Unassign takes a token from its owner. Unassigning ends the token's
// emergency access, so when it is on, endEA must say that is intended.
func (o *Ops) Unassign(ctx context.Context, serial string, endEA bool) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "token.unassign", "token "+serial, map[string]string{"end_emergency_access": fmt.Sprint(endEA)})
	res, err := o.unassign(ctx, serial, endEA)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

// begin is the start of every single-token write: refuse what the person
// may not do (p), then read the token as it is.
func (o *Ops) begin(ctx context.Context, serial string, p Permission) (TokenResult, TokenState, error) {
	res := TokenResult{Commands: readBySerial.Commands()}
	if err := o.Permits(p); err != nil {
		res.Commands = nil
		return res, TokenState{}, err
	}
	before, err := o.Token(ctx, serial)
	res.Before = before
	return res, before, err
}

func (o *Ops) unassign(ctx context.Context, serial string, endEA bool) (TokenResult, error) {
	res, before, err := o.begin(ctx, serial, PermUnassign)
	if err != nil {
		return res, err
	}
	if err := UnassignReady(before, endEA); err != nil {
		return res, err
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("principalId", !now.Token.Assigned())
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, UnassignPlan().write(), before.Token, differs,
		func() error { return o.c.UnlinkTokens(ctx, before.Token.GUID) })
	return res, err
}

// SetEnabled enables or disables a token.
func (o *Ops) SetEnabled(ctx context.Context, serial string, enable bool) (TokenResult, error) {
	op := "token.disable"
	if enable {
		op = "token.enable"
	}
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, op, "token "+serial, nil)
	res, err := o.setEnabled(ctx, serial, enable)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) setEnabled(ctx context.Context, serial string, enable bool) (TokenResult, error) {
	perm := PermDisable
	if enable {
		perm = PermEnable
	}
	res, before, err := o.begin(ctx, serial, perm)
	if err != nil {
		return res, err
	}
	if note := EnableUnneeded(before, enable); note != "" {
		res.After, res.Note = before, note
		return res, nil
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("tokenEnabled", now.Token.Enabled == enable)
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, EnablePlan(enable).write(), before.Token, differs,
		func() error { return o.c.EnableTokens(ctx, enable, before.Token.GUID) })
	return res, err
}

// ClearPIN clears a token's PIN: the person logs in with the tokencode
// alone next time and AM asks them for a new PIN (the Security Console's
// "Clear SecurID PIN"). Lookup → UpdateTokenCommand with the whole record,
// pinIsSet=false, pin="", newPinMode=true (helpdesk-ops §1.2, as TriVir's
// client sends it) → read back.
func (o *Ops) ClearPIN(ctx context.Context, serial string) (TokenResult, error) {
	return o.pinChange(ctx, serial, true)
}

// RequireNewPIN keeps the PIN and has AM ask for a new one at the next
// authentication (the User Dashboard's "Require SecurID PIN Change"):
// Lookup → UpdateTokenCommand with newPinMode=true → read back.
func (o *Ops) RequireNewPIN(ctx context.Context, serial string) (TokenResult, error) {
	return o.pinChange(ctx, serial, false)
}

func (o *Ops) pinChange(ctx context.Context, serial string, clear bool) (TokenResult, error) {
	op, perm := "token.require_new_pin", PermPinNew
	if clear {
		op, perm = "token.clear_pin", PermPinClear
	}
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, op, "token "+serial, nil)
	res, err := o.pinWrite(ctx, serial, clear, perm)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) pinWrite(ctx context.Context, serial string, clear bool, perm Permission) (TokenResult, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenResult{}, err
	}
	res, before, err := o.begin(ctx, serial, perm)
	if err != nil {
		return res, err
	}
	t := before.Token
	if note, err := PINReady(t, clear); err != nil || note != "" {
		res.After, res.Note = before, note
		return res, err
	}
	if err := o.guard(ctx, Change{Action: map[bool]action.Name{true: action.ClearPIN, false: action.RequireNewPIN}[clear], Login: t.AssignedUserID}); err != nil {
		return res, err
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("newPinMode", now.Token.NewPinMode)
		d.check("pinIsSet", !clear || !now.Token.PinSet)
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == t.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, PINPlan(clear).write(), t, differs,
		func() error { return o.c.UpdatePIN(ctx, t, clear) })
	if errors.Is(err, ErrConcurrentUpdate) {
		err = am.Advise(err, fmt.Sprintf("token %s changed while this was prepared, so AM kept its record and nothing was changed by this; what AM holds now is shown — look at it, then try again", serial))
	}
	return res, err
}

// Resync resynchronizes a token with two consecutive tokencodes the
// person reads off it (helpdesk-ops §2): Lookup → ResynchronizeTokenCommand
// (by serial) → read back. AM keeps the token's clock offset and clears its
// next-tokencode mode. The codes are secrets: never logged, audited or shown.
func (o *Ops) Resync(ctx context.Context, serial string, first, second Secret) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "token.resync", "token "+serial, nil)
	res, err := o.resync(ctx, serial, first, second)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

// TokencodePolicy checks a tokencode as typed: 6 or 8 digits (a code
// length AM's tokens have), before AM is asked.
func TokencodePolicy(code string) error {
	switch {
	case code == "":
		return fmt.Errorf("%w: give the tokencode shown on the token", ErrInvalidInput)
	case strings.Trim(code, "0123456789") != "":
		return fmt.Errorf("%w: a tokencode is digits only (the PIN is not part of it)", ErrInvalidInput)
	case len(code) != 6 && len(code) != 8:
		return fmt.Errorf("%w: a tokencode has 6 or 8 digits (this one has %d)", ErrInvalidInput, len(code))
	}
	return nil
}

func (o *Ops) resync(ctx context.Context, serial string, first, second Secret) (TokenResult, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenResult{}, err
	}
	for i, c := range []Secret{first, second} {
		if err := TokencodePolicy(c.Reveal()); err != nil {
			return TokenResult{}, fmt.Errorf("%w (the %s tokencode)", err, []string{"first", "second"}[i])
		}
	}
	if first == second {
		return TokenResult{}, fmt.Errorf("%w: the two tokencodes are the same: wait for the token to show the next one", ErrInvalidInput)
	}
	res, before, err := o.begin(ctx, serial, PermResync)
	if err != nil {
		return res, err
	}
	t := before.Token
	if err := o.guard(ctx, Change{Action: action.Resync, Login: t.AssignedUserID}); err != nil {
		return res, err
	}
	if len(first) != t.CodeLength && t.CodeLength > 0 {
		return res, fmt.Errorf("%w: token %s shows %d-digit tokencodes, not %d", ErrInvalidInput, serial, t.CodeLength, len(first))
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("nextTokenCodeMode", !now.Token.NextTokencodeMode)
		d.check("badTokenCodeCount", now.Token.BadCodeCount == 0)
		// the witness that AM took this resync: its own update of the record
		// (a token in sync looks the same whether it was resynchronized or
		// not — a lost reply was taken for success, even for a request AM
		// never got or refused)
		d.check("rowVersion (the resync's own update)", t.RowVersion == 0 || now.Token.RowVersion == t.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, ResyncPlan().write(), t, differs,
		func() error { return o.c.ResynchronizeToken(ctx, serial, first, second) })
	if errors.Is(err, ErrInvalidArgument) {
		err = am.Advise(err, fmt.Sprintf("AM did not find the two tokencodes as consecutive codes of token %s: read them again off the token — the second after it changes — and retry", serial))
	}
	return res, err
}

// ClearBadCount resets the count of bad tokencodes of the person who holds
// token serial and takes their tokens out of next-tokencode mode
// (helpdesk-ops §3): Lookup → ClearBadTokenCountCommand with the owner's
// principal GUID (the command names a person, so every token of theirs is
// cleared) → read the token back. Unlike a resync it needs no tokencodes
// from the person; it is the remedy when the clock is right but a
// mistyped PIN put the token in next-tokencode mode.
func (o *Ops) ClearBadCount(ctx context.Context, serial string) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "token.clear_bad_count", "token "+serial, nil)
	res, err := o.clearBadCount(ctx, serial)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) clearBadCount(ctx context.Context, serial string) (TokenResult, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenResult{}, err
	}
	res, before, err := o.begin(ctx, serial, PermBadCount)
	if err != nil {
		return res, err
	}
	t := before.Token
	switch {
	case t.PrincipalGUID == "":
		return res, fmt.Errorf("%w: token %s is not assigned to anyone: the count belongs to the person who holds it", ErrRule, serial)
	case t.BadCodeCount == 0 && !t.NextTokencodeMode:
		res.After, res.Note = before, "token "+serial+" has no bad tokencodes counted and is not in next-tokencode mode; nothing was changed"
		return res, nil
	}
	if err := o.guard(ctx, Change{Action: action.ClearBadCount, Login: t.AssignedUserID}); err != nil {
		return res, err
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("badTokenCodeCount", now.Token.BadCodeCount == 0)
		d.check("nextTokenCodeMode", !now.Token.NextTokencodeMode)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, BadCountPlan().write(), t, differs,
		func() error { return o.c.ClearBadTokenCount(ctx, t.PrincipalGUID) })
	return res, err
}
