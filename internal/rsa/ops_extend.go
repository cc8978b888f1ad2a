package rsa

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rsatui/rsatui/internal/rsa/am"
)

// ExtendLifetimePlan gives a software token the expiry of an extension
// record: read it, find the record (the unassigned tokens, page by page),
// ExtendTokensCommand, read it back.
func ExtendLifetimePlan() Plan {
	return append(append(Plan{}, readBySerial...),
		Step{Commands: []string{"SearchTokensCommand"}, Carries: "the unassigned tokens, page by page: the extension record expiring last"},
		Step{Commands: []string{"ExtendTokensCommand"}, Carries: "extendedTokenGuid, extentionTokenGuid"}, readBack)
}

// ExtendReady refuses a lifetime extension AM would refuse (helpdesk-ops
// §8.1): only a software token its holder has, not one being replaced,
// not an evaluation token (serials 1–25). A hardware token is replaced.
func ExtendReady(t Token) error {
	n, _ := strconv.Atoi(t.Serial)
	switch {
	case t.TokenType != TokenTypeSoftID:
		return fmt.Errorf("%w: token %s is a %s: only a software token's lifetime can be extended; replace it (replace-next)", ErrRule, t.Serial, t.TokenType)
	case !t.Assigned():
		return fmt.Errorf("%w: token %s is not assigned to anyone: only a distributed token is extended", ErrRule, t.Serial)
	case t.ReplacementMode == ReplacementPending || t.ReplacementMode == ReplacementNew:
		return fmt.Errorf("%w: token %s is part of a replacement (with %s): extend it once the replacement is over", ErrRule, t.Serial, t.ReplaceSerial)
	case n >= 1 && n <= 25:
		return fmt.Errorf("%w: token %s is an evaluation token (serials 1 to 25), which AM does not extend", ErrRule, t.Serial)
	}
	return nil
}

// ExtensionFor picks the extension record for t from the unassigned
// tokens: a software token expiring after t, the one expiring last.
func ExtensionFor(t Token, unassigned []TokenSummary) (TokenSummary, bool) {
	var best TokenSummary
	found := false
	for _, u := range unassigned {
		if u.TokenType == TokenTypeSoftID && u.ReplacementMode == 0 && u.Expires.After(t.Expires) && (!found || u.Expires.After(best.Expires)) {
			best, found = u, true
		}
	}
	return best, found
}

// ExtendLifetime extends a software token's lifetime with AM's
// ExtendTokensCommand: the token takes the expiry of an unassigned
// extension record, which AM deletes; the person's phone is untouched.
// AM asks for the assign-tokens permission.
func (o *Ops) ExtendLifetime(ctx context.Context, serial string) (TokenResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "token.extend_lifetime", "token "+serial, nil)
	res, err := o.extendLifetime(ctx, serial)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) extendLifetime(ctx context.Context, serial string) (TokenResult, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenResult{}, err
	}
	res, before, err := o.begin(ctx, serial, PermAssign)
	if err != nil {
		return res, err
	}
	if err := ExtendReady(before.Token); err != nil {
		return res, err
	}
	res.Commands = append(res.Commands, "SearchTokensCommand")
	pool, err := o.searchTokens(ctx, false, func(t TokenSummary) bool { return t.TokenType == TokenTypeSoftID })
	if err != nil {
		return res, err
	}
	ext, ok := ExtensionFor(before.Token, pool)
	if !ok {
		return res, fmt.Errorf("%w: AM holds no extension record expiring after token %s (%s): import the extension token file RSA sent, or issue a new software token",
			ErrRule, serial, before.Token.Expires.Format("2006-01-02"))
	}
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("dateTokenShutdown", now.Token.Expires.Equal(ext.Expires))
		d.check("rowVersion (another change landed meanwhile)", now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, "ExtendTokensCommand", before.Token, differs,
		func() error { return o.c.ExtendToken(ctx, before.Token.GUID, ext.GUID) })
	if err == nil && res.Note == "" {
		res.Note = fmt.Sprintf("now expires %s (was %s), from extension record %s", res.After.Token.Expires.Format("2006-01-02"),
			before.Token.Expires.Format("2006-01-02"), ext.Serial)
	}
	return res, err
}
