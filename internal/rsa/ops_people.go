package rsa

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa/am"
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
	ctx = am.WithQueue(ctx, o.queue)
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
	if err := o.guard(ctx, Change{Action: action.Unlock, Login: login}); err != nil {
		return res, err
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
		return res, fmt.Errorf("%w: AM took UnLockUserAccountCommand for %s, but reading it back failed (%v): the unlock is made, do not send it again: %w",
			ErrUnverified, login, rerr, ErrOutcomeUnknown)
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
	ctx = am.WithQueue(ctx, o.queue)
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

// Source resolves (once) the identity source: the configured name, or the only
// LDAP one. Its GUID is what principal searches need — the missing piece behind
// "IdentitySource Guid is not specified".
func (o *Ops) Source(ctx context.Context) (IdentitySource, error) {
	ctx = am.WithQueue(ctx, o.queue)
	o.src.mu.Lock()
	defer o.src.mu.Unlock()
	if o.src.source.GUID != "" {
		return o.src.source, nil
	}
	all, err := o.c.GetIdentitySources(ctx)
	if err != nil {
		return IdentitySource{}, err
	}
	var match []IdentitySource
	for _, is := range all {
		if (o.IdentitySource != "" && strings.EqualFold(is.Name, o.IdentitySource)) || (o.IdentitySource == "" && !is.Internal) {
			match = append(match, is)
		}
	}
	names := make([]string, len(all))
	for i, is := range all {
		names[i] = is.Name
	}
	switch {
	case len(match) == 0 && o.IdentitySource != "":
		return IdentitySource{}, fmt.Errorf("%w: no identity source named %q (AM has: %s)", ErrNotFound, o.IdentitySource, strings.Join(names, ", "))
	case len(match) == 0:
		return IdentitySource{}, fmt.Errorf("%w: AM has no LDAP identity source (only: %s)", ErrNotFound, strings.Join(names, ", "))
	case len(match) > 1:
		return IdentitySource{}, fmt.Errorf("%w: several identity sources could map the directory (%s): configure identity_source",
			ErrAmbiguous, strings.Join(names, ", "))
	}
	o.src.source = match[0]
	return o.src.source, nil
}

// forgetSource drops the resolved identity source (AM said it is gone), so
// the next call resolves it again.
func (o *Ops) forgetSource(guid string) {
	o.src.mu.Lock()
	if o.src.source.GUID == guid {
		o.src.source = IdentitySource{}
	}
	o.src.mu.Unlock()
	o.people.clear()
}

// Principal finds the AM principal for a directory login. A principal found
// is kept for PrincipalTTL (see principalCache): a login's GUID does not
// change while an admin looks at it.
func (o *Ops) Principal(ctx context.Context, login string) (Principal, error) {
	if strings.TrimSpace(login) == "" {
		return Principal{}, fmt.Errorf("%w: the login is empty", ErrInvalidInput)
	}
	if p, ok := o.people.get(login, o.Now()); ok {
		return p, nil
	}
	return o.searchPrincipal(am.WithQueue(ctx, o.queue), login)
}

// searchPrincipal asks AM for the principal of login (SearchPrincipals) and
// keeps what it finds.
func (o *Ops) searchPrincipal(ctx context.Context, login string) (Principal, error) {
	src, err := o.Source(ctx)
	if err != nil {
		return Principal{}, err
	}
	q := PrincipalQuery{Login: login, IdentitySourceGUID: src.GUID, SecurityDomainGUID: src.SecurityDomainGUID, Limit: 2}
	ps, err := o.c.SearchPrincipals(ctx, q)
	if errors.Is(err, ErrNotFound) {
		// the identity source kept for the session may be gone (reconfigured
		// in AM): resolve it again, once
		o.forgetSource(src.GUID)
		if src, err = o.Source(ctx); err != nil {
			return Principal{}, err
		}
		q.IdentitySourceGUID, q.SecurityDomainGUID = src.GUID, src.SecurityDomainGUID
		ps, err = o.c.SearchPrincipals(ctx, q)
	}
	if err != nil {
		return Principal{}, err
	}
	switch len(ps) {
	case 0:
		return Principal{}, fmt.Errorf("%w: %q is not in %q", ErrNotInAM, login, src.Name)
	case 1:
		o.people.put(login, ps[0], o.Now())
		return ps[0], nil
	}
	return Principal{}, fmt.Errorf("%w: %d AM principals have the login %q", ErrAmbiguous, len(ps), login)
}

// UserTokens returns a user's principal and tokens, sorted by serial.
func (o *Ops) UserTokens(ctx context.Context, login string) (Principal, []TokenSummary, error) {
	ctx = am.WithQueue(ctx, o.queue)
	_, kept := o.people.get(login, o.Now()) // before Principal, which keeps what it finds
	p, err := o.Principal(ctx, login)
	if err != nil {
		return Principal{}, nil, err
	}
	ts, err := o.c.ListTokensByPrincipal(ctx, p.GUID)
	if kept && (errors.Is(err, ErrNotFound) || err == nil && len(ts) == 0) {
		// AM answers an unknown principal as it answers "no tokens"
		// (DataNotFoundException): a kept GUID is checked before a person is
		// said to have none, or when AM does not know it any more (a GUID
		// just found needs no such check)
		o.people.drop(login)
		if p, err = o.searchPrincipal(ctx, login); err != nil {
			return Principal{}, nil, err
		}
		ts, err = o.c.ListTokensByPrincipal(ctx, p.GUID)
	}
	if err != nil {
		return p, nil, err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Serial < ts[j].Serial })
	return p, ts, nil
}

// UserTokenStates returns a user's principal and every token with its
// emergency-access state: the list, then all the lookups at once (as many
// in flight as the lanes allow, see gate.go). whole reads each token's
// full record too (LookupToken); without it the token is what the list
// says (Listed), which is all a screen of tokens shows, and one lookup a
// token is saved. A lookup that fails leaves what the list said of that
// token, with Unread saying what is missing, and the error (ErrIncomplete)
// names the tokens; the tokens read in full are returned as they are.
func (o *Ops) UserTokenStates(ctx context.Context, login string, whole bool) (Principal, []TokenState, error) {
	ctx = am.WithQueue(ctx, o.queue)
	p, list, err := o.UserTokens(ctx, login)
	if err != nil {
		return p, nil, err
	}
	states := make([]TokenState, len(list))
	reads := make([]func(), len(list))
	for i, t := range list {
		reads[i] = func() { states[i] = o.stateOf(ctx, t, p.GUID, whole) }
	}
	together(reads...)
	var missing []string
	var first error
	for _, st := range states {
		if st.Unread != nil {
			missing = append(missing, st.Token.Serial)
			if first == nil {
				first = st.Unread
			}
		}
	}
	if first != nil {
		return p, states, fmt.Errorf("%w: token %s could not be read in full (%d of %d): %w",
			ErrIncomplete, strings.Join(missing, ", "), len(missing), len(states), first)
	}
	return p, states, nil
}

// stateOf reads a listed token's emergency-access state and, when whole,
// its record, at once (both lookups need only its GUID). What cannot be
// read is said in Unread; the token then keeps what the list said of it.
func (o *Ops) stateOf(ctx context.Context, t TokenSummary, owner string, whole bool) TokenState {
	st := TokenState{ReadAt: o.Now()}
	var terr, eerr error
	if !whole {
		st.EA, eerr = o.c.LookupEmergencyAccess(ctx, t.GUID)
		st.Token, st.Listed = t.AsToken(owner), true
		if eerr != nil {
			st.Unread = fmt.Errorf("its emergency access: %w", eerr)
		}
		return st
	}
	together(
		func() { st.Token, terr = o.c.LookupToken(ctx, TokenRef{GUID: t.GUID}) },
		func() { st.EA, eerr = o.c.LookupEmergencyAccess(ctx, t.GUID) },
	)
	switch {
	case terr != nil && eerr != nil:
		st.Unread = fmt.Errorf("the token and its emergency access: %w", errors.Join(terr, eerr))
	case terr != nil:
		st.Unread = fmt.Errorf("the token record: %w", terr)
	case eerr != nil:
		st.Unread = fmt.Errorf("its emergency access: %w", eerr)
	}
	if terr != nil {
		st.Token, st.Listed = t.AsToken(owner), true
	}
	return st
}

// Token reads a token and its emergency-access state: two round trips one
// after the other, as the second needs the GUID the first returns. (Where
// the GUID is known, stateOf and readBack send both at once.)
func (o *Ops) Token(ctx context.Context, serial string) (TokenState, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenState{}, err
	}
	ctx = am.WithQueue(ctx, o.queue)
	at := o.Now()
	t, err := o.c.LookupToken(ctx, TokenRef{Serial: serial})
	if err != nil {
		return TokenState{}, err
	}
	ea, err := o.c.LookupEmergencyAccess(ctx, t.GUID)
	if err != nil {
		return TokenState{}, err
	}
	return TokenState{Token: t, EA: ea, ReadAt: at}, nil
}

// Reread reads a token again, in one round trip when its GUID is known
// (both lookups at once), and its record in full.
func (o *Ops) Reread(ctx context.Context, st TokenState) (TokenState, error) {
	if st.Token.GUID == "" {
		return o.Token(ctx, st.Token.Serial)
	}
	if err := ValidateSerial(st.Token.Serial); err != nil {
		return TokenState{}, err
	}
	now, err := o.readBack(am.WithQueue(ctx, o.queue), st.Token.GUID)
	if err == nil && now.Token.Serial != st.Token.Serial {
		return TokenState{}, fmt.Errorf("%w: AM holds token %s under the GUID of %s", ErrOtherChange, now.Token.Serial, st.Token.Serial)
	}
	return now, err
}

// LockedSince is the people AM locked out after since, as its activity
// records them (USER_LOCKED_OUT), who are locked still — each read afresh.
// AM's principal search takes a name, not a lockout state: its activity
// is where lockouts across everybody can be found without reading every
// principal.
func (o *Ops) LockedSince(ctx context.Context, since time.Time) ([]Principal, error) {
	ctx = am.WithQueue(ctx, o.queue)
	evs, err := o.c.ActivityPoll(ctx, since)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var logins []string
	for _, e := range evs {
		if e.ResultKey == "USER_LOCKED_OUT" && e.User != "" && !seen[strings.ToLower(e.User)] {
			seen[strings.ToLower(e.User)] = true
			logins = append(logins, e.User)
		}
	}
	sort.Strings(logins)
	var out []Principal
	for _, login := range logins {
		p, err := o.Principal(ctx, login)
		if errors.Is(err, ErrNotInAM) {
			continue // deleted since
		}
		if err != nil {
			return out, err
		}
		now, err := o.c.LookupPrincipal(ctx, p.GUID, p.IdentitySourceGUID)
		if err != nil {
			return out, err
		}
		if now.Locked {
			out = append(out, now)
		}
	}
	return out, nil
}
