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
	"github.com/rsatui/rsatui/internal/rsa/amproto"
)

// poolPage is how many unassigned tokens one SearchTokensCommand asks for
// (TriVir's client pages by 100).
const poolPage = 100

// maxPool bounds a pool listing: past it the listing says so rather than
// reading a hundred thousand tokens.
const maxPool = 10000

// PoolQuery narrows the token pool: a token type ("key fob", "software
// token", as TokenType says it; empty: any) and tokens that expire before
// a moment (zero: any).
type PoolQuery struct {
	Type           string
	ExpiringBefore time.Time
}

// Pool lists the unassigned tokens, page by page (SearchTokensCommand with
// an empty filter, helpdesk-ops §5.2), narrowed here by q. It stops after
// maxPool tokens, with ErrIncomplete saying so.
func (o *Ops) Pool(ctx context.Context, q PoolQuery) ([]TokenSummary, error) {
	if _, ok := amproto.TokenTypeNamed(q.Type); q.Type != "" && !ok {
		return nil, fmt.Errorf("%w: no token type is called %q (the types: %s)", ErrInvalidInput, q.Type, strings.Join(amproto.TokenTypeNames(), ", "))
	}
	return o.searchTokens(ctx, false, func(t TokenSummary) bool {
		return (q.Type == "" || strings.EqualFold(t.TokenType.String(), q.Type)) &&
			(q.ExpiringBefore.IsZero() || !t.Expires.IsZero() && t.Expires.Before(q.ExpiringBefore))
	})
}

// Expiring lists the assigned tokens that stop working within d from now,
// and those that already have (still assigned: their holders cannot log
// in), soonest first: who needs a new token.
func (o *Ops) Expiring(ctx context.Context, d time.Duration) ([]TokenSummary, error) {
	if d <= 0 {
		return nil, fmt.Errorf("%w: give how far ahead to look, e.g. 30d", ErrInvalidInput)
	}
	now := o.Now()
	out, err := o.searchTokens(ctx, true, func(t TokenSummary) bool {
		return !t.Expires.IsZero() && !t.Expires.After(now.Add(d))
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.Before(out[j].Expires) })
	return out, err
}

// AssignedTokens is every assigned token, as AM's token search lists
// them (pages of poolPage): what the week's reports start from.
func (o *Ops) AssignedTokens(ctx context.Context) ([]TokenSummary, error) {
	return o.searchTokens(ctx, true, func(TokenSummary) bool { return true })
}

// searchTokens reads the assigned or unassigned tokens page by page and
// keeps those keep says.
func (o *Ops) searchTokens(ctx context.Context, assigned bool, keep func(TokenSummary) bool) ([]TokenSummary, error) {
	ctx = am.WithQueue(ctx, o.queue)
	out := []TokenSummary{}
	for first := 0; ; first += poolPage {
		if first >= maxPool {
			return out, fmt.Errorf("%w: more than %d tokens to read; narrow the question", ErrIncomplete, maxPool)
		}
		page, err := o.c.SearchTokens(ctx, assigned, first, poolPage)
		if err != nil {
			return out, err
		}
		for _, t := range page {
			if keep(t) {
				out = append(out, t)
			}
		}
		if len(page) < poolPage {
			return out, nil
		}
	}
}

// AssignNext gives login the token AM hands out next
// (GetNextAvailableTokenCommand), with Assign's rules (one token a
// person, not someone else's, not expired).
func (o *Ops) AssignNext(ctx context.Context, login string) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	if err := o.Permits(PermAssign); err != nil {
		return TokenResult{}, err
	}
	next, err := o.c.NextAvailableToken(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			err = am.Advise(err, errEmptyPool)
		}
		return TokenResult{Commands: []string{"GetNextAvailableTokenCommand"}}, err
	}
	ctx = o.intend(ctx, "token.assign", "token "+next.Serial+" to "+login, map[string]string{"from": "the next available token"})
	res, err := o.assign(ctx, next.Serial, login, false)
	res.Commands = append([]string{"GetNextAvailableTokenCommand"}, res.Commands...)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

// errEmptyPool says AM's DataNotFoundException for the next available token.
const errEmptyPool = "the token pool is empty: import or unassign tokens in AM first"

// ReplaceResult is a replacement: the old token and its successor as AM
// holds them afterwards.
type ReplaceResult struct {
	Old, New TokenState
	Commands []string
}

// Replace gives the owner of a lost or broken token a successor
// (helpdesk-ops §6): with, a serial from the pool (ReplaceTokensCommand,
// replacingTokenGuid = the old token), or "" for the one AM hands out next
// (ReplaceWithNextAvailableTokenCommand). AM retires the old token itself
// when the new one is first used, so it is not unassigned here; until
// then the person holds both. setNewPin makes them choose a new PIN.
func (o *Ops) Replace(ctx context.Context, oldSerial, with string, setNewPin bool) (ReplaceResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	target := "token " + oldSerial + " with " + with
	if with == "" {
		target = "token " + oldSerial + " with the next available token"
	}
	ctx = o.intend(ctx, "token.replace", target, map[string]string{"new_pin": fmt.Sprint(setNewPin)})
	res, err := o.replace(ctx, oldSerial, with, setNewPin)
	return res, o.record(ctx, res.Commands, "", err)
}

func (o *Ops) replace(ctx context.Context, oldSerial, with string, setNewPin bool) (ReplaceResult, error) {
	var res ReplaceResult
	if err := ValidateSerial(oldSerial); err != nil {
		return res, err
	}
	if with != "" {
		if err := ValidateSerial(with); err != nil {
			return res, err
		}
		if with == oldSerial {
			return res, fmt.Errorf("%w: a token cannot replace itself", ErrInvalidInput)
		}
	}
	tr, old, err := o.begin(ctx, oldSerial, PermReplace)
	res.Commands = tr.Commands
	if err != nil {
		return res, err
	}
	if err := ReplaceReady(old.Token); err != nil {
		return res, err
	}
	if err := o.guard(ctx, Change{Action: action.Replace, Login: old.Token.AssignedUserID}); err != nil {
		return res, err
	}
	var newGUID string
	if with != "" {
		res.Commands = append(res.Commands, lookupSuccessor.Commands...)
		n, err := o.c.LookupToken(ctx, TokenRef{Serial: with})
		if err != nil {
			return res, err
		}
		switch {
		case n.Assigned():
			return res, fmt.Errorf("%w: token %s belongs to %s: pick a token from the pool (rsatui tokens pool)", ErrRule, with, n.AssignedUserID)
		case !n.Expires.IsZero() && !n.Expires.After(o.Now()):
			return res, fmt.Errorf("%w: token %s expired on %s", ErrRule, with, n.Expires.Format("2006-01-02"))
		}
		newGUID = n.GUID
	}
	if err := o.announce(ctx); err != nil {
		return res, err
	}
	if with != "" {
		res.Commands = append(res.Commands, ReplacePlan(with, "").write())
		err = o.c.ReplaceToken(ctx, old.Token.GUID, newGUID, setNewPin)
	} else {
		res.Commands = append(res.Commands, ReplacePlan("", "").write())
		var n Token
		n, err = o.c.ReplaceWithNextAvailable(ctx, old.Token.GUID, setNewPin)
		newGUID = n.GUID
		if errors.Is(err, ErrNotFound) {
			err = am.Advise(err, errEmptyPool)
		}
	}
	lost := errors.Is(err, ErrOutcomeUnknown)
	if err != nil && !lost {
		return res, err
	}
	if lost && newGUID == "" {
		// the reply naming AM's pick was lost: the old token's record
		// names its successor, if AM made the replacement
		res.Commands = append(res.Commands, readBack.Commands...)
		if st, rerr := o.readBack(ctx, old.Token.GUID); rerr == nil && st.Token.ReplaceSerial != "" {
			res.Commands = append(res.Commands, "LookupTokenCommand")
			if n, rerr := o.c.LookupToken(ctx, TokenRef{Serial: st.Token.ReplaceSerial}); rerr == nil {
				newGUID = n.GUID
			}
		}
		if newGUID == "" {
			return res, fmt.Errorf("the reply was lost and AM's record of token %s names no successor (yet): read it again (`rsatui token show %s`) before replacing it again: %w",
				oldSerial, oldSerial, err)
		}
	}
	res.Commands = append(res.Commands, Plan{readBoth}.Commands()...)
	var oerr, nerr error
	together(
		func() { res.Old, oerr = o.readBack(ctx, old.Token.GUID) },
		func() { res.New, nerr = o.readBack(ctx, newGUID) },
	)
	if rerr := errors.Join(oerr, nerr); rerr != nil {
		if lost {
			return res, err
		}
		return res, fmt.Errorf("%w: AM took the replacement of token %s, but reading the tokens back failed (%v): it is made — read them with `rsatui token show %s`, do not replace it again: %w",
			ErrUnverified, oldSerial, rerr, oldSerial, ErrOutcomeUnknown)
	}
	if lost {
		if res.Old.Token.ReplaceSerial != res.New.Token.Serial || res.New.Token.PrincipalGUID != old.Token.PrincipalGUID {
			return res, fmt.Errorf("the reply was lost and AM does not show the replacement (yet): read token %s again before replacing it again: %w", oldSerial, err)
		}
		return res, nil // the reply was lost; AM's records show the replacement made
	}
	if res.New.Token.PrincipalGUID != old.Token.PrincipalGUID || res.Old.Token.ReplaceSerial != res.New.Token.Serial {
		return res, fmt.Errorf("%w: AM took the replacement, but now holds %s for %s — shown here", ErrOtherChange, res.New.Token.AssignedUserID, res.New.Token.Serial)
	}
	return res, nil
}

// PoolOrder is the order a person picks from the pool in: tokens never
// used first (new from the box), then used ones, and last the ones AM
// retired after a replacement — each by serial. A retired token is never
// the one offered first.
func PoolOrder(ts []TokenSummary) {
	rank := func(t TokenSummary) int {
		switch {
		case t.Retired():
			return 2
		case !t.LastLogin.IsZero():
			return 1
		}
		return 0
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if ri, rj := rank(ts[i]), rank(ts[j]); ri != rj {
			return ri < rj
		}
		return ts[i].Serial < ts[j].Serial
	})
}

// DaysLeft is how many whole days t has before it stops working from now:
// negative once it has (-3: expired three whole days ago).
func DaysLeft(t, now time.Time) int { return int(t.Sub(now) / (24 * time.Hour)) }

// InEmergencyAccess is the assigned tokens in emergency access (one paged
// read of AM's token search), by holder: who is living on emergency codes.
func (o *Ops) InEmergencyAccess(ctx context.Context) ([]TokenSummary, error) {
	return o.heldWith(ctx, func(t TokenSummary) bool { return t.Lost })
}

// InNextTokencodeMode is the assigned tokens AM asks the next tokencode of,
// by holder: who is about to be locked out or has a token out of sync.
func (o *Ops) InNextTokencodeMode(ctx context.Context) ([]TokenSummary, error) {
	return o.heldWith(ctx, func(t TokenSummary) bool { return t.NextTokencodeMode })
}

func (o *Ops) heldWith(ctx context.Context, keep func(TokenSummary) bool) ([]TokenSummary, error) {
	out, err := o.searchTokens(ctx, true, keep)
	sort.SliceStable(out, func(i, j int) bool { return out[i].AssignedUser < out[j].AssignedUser })
	return out, err
}
