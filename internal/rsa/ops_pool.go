package rsa

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

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

// Expiring lists the assigned tokens that stop working within d from now
// (not those already expired), soonest first: who needs a new token soon.
func (o *Ops) Expiring(ctx context.Context, d time.Duration) ([]TokenSummary, error) {
	if d <= 0 {
		return nil, fmt.Errorf("%w: give how far ahead to look, e.g. 30d", ErrInvalidInput)
	}
	now := o.Now()
	out, err := o.searchTokens(ctx, true, func(t TokenSummary) bool {
		return !t.Expires.IsZero() && t.Expires.After(now) && !t.Expires.After(now.Add(d))
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.Before(out[j].Expires) })
	return out, err
}

// searchTokens reads the assigned or unassigned tokens page by page and
// keeps those keep says.
func (o *Ops) searchTokens(ctx context.Context, assigned bool, keep func(TokenSummary) bool) ([]TokenSummary, error) {
	ctx = withQueue(ctx, o.queue)
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
	ctx = withQueue(ctx, o.queue)
	if err := o.Permits(PermAssign); err != nil {
		return TokenResult{}, err
	}
	next, err := o.c.NextAvailableToken(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w: the token pool is empty: import or unassign tokens first", err)
		}
		return TokenResult{Commands: []string{"GetNextAvailableTokenCommand"}}, err
	}
	ctx = o.intend(ctx, "token.assign", "token "+next.Serial+" to "+login, map[string]string{"from": "the next available token"})
	res, err := o.assign(ctx, next.Serial, login, false)
	res.Commands = append([]string{"GetNextAvailableTokenCommand"}, res.Commands...)
	return res, o.record(ctx, res.Commands, res.Note, err)
}
