package am

import (
	"context"
	"errors"
	"fmt"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Typed commands: one method per AM command, with the field names of
// rsa-am-api.md §7. Each returns the typed output or a *Fault / *CallError.

// equalFilter builds Filter{comp: Simple{attr, core, type: Equal, value}} (§8).
func equalFilter(attr, value string) *soapenc.Value {
	return soapenc.Obj("filter", amproto.FilterType,
		soapenc.Obj("comp", amproto.SimpleFilter,
			soapenc.Str("attr", attr), soapenc.Bool("core", true),
			soapenc.Obj("type", amproto.EqualType), soapenc.Str("value", value)))
}

func emptyFilter(name string) *soapenc.Value {
	return soapenc.Obj(name, amproto.FilterType, soapenc.Obj("comp", amproto.EmptyFilter))
}

// decodeList decodes the items of an array member with decode; a nil or
// missing array is an empty list.
func decodeList[T any](array *soapenc.Value, decode func(*soapenc.Value) (T, error)) ([]T, error) {
	var out []T
	for _, it := range array.Items() {
		v, err := decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// SearchRealms returns the realms whose name equals name (SystemDomain is AM's
// default realm).
func (c *Client) SearchRealms(ctx context.Context, name string) ([]Realm, error) {
	return query(ctx, c, command(amproto.SearchRealmsCommand, equalFilter(amproto.AttrRealmName, name), soapenc.Int("limit", 10)),
		func(reply *soapenc.Value) ([]Realm, error) { return decodeList(reply.Field("realms"), decodeRealm) })
}

// GetIdentitySources lists every identity source the admin can see.
func (c *Client) GetIdentitySources(ctx context.Context) ([]IdentitySource, error) {
	return query(ctx, c, command(amproto.GetIdentitySourcesCommand,
		soapenc.Bool("excludeRTSources", false), soapenc.Bool("identitySourceScope", false),
		soapenc.Nil("identitySources"), soapenc.Nil("securityDomainGuid")),
		func(reply *soapenc.Value) ([]IdentitySource, error) {
			return decodeList(reply.Field("identitySources"), decodeIdentitySource)
		})
}

// LookupIdentitySource returns one identity source by GUID.
func (c *Client) LookupIdentitySource(ctx context.Context, guid string) (IdentitySource, error) {
	return query(ctx, c, command(amproto.LookupIdentitySourceCommand, soapenc.Str("guid", guid)),
		func(reply *soapenc.Value) (IdentitySource, error) {
			return decodeIdentitySource(reply.Field("identitySource"))
		})
}

// PrincipalQuery selects principals by login within one identity source.
// IdentitySourceGUID is required: without it AM answers "IdentitySource Guid is
// not specified".
type PrincipalQuery struct {
	Login              string
	IdentitySourceGUID string
	SecurityDomainGUID string
	Limit              int
}

// SearchPrincipals runs SearchPrincipalsCommand with LOGINUID == Login.
func (c *Client) SearchPrincipals(ctx context.Context, q PrincipalQuery) ([]Principal, error) {
	if q.Limit <= 0 {
		q.Limit = 10
	}
	return query(ctx, c, command(amproto.SearchPrincipalsCommand,
		soapenc.Nil("attributeMask"), soapenc.Nil("extendedAttributeGuids"),
		equalFilter(amproto.AttrLoginUID, q.Login),
		soapenc.Nil("groupGuid"),
		soapenc.OptStr("identitySourceGuid", q.IdentitySourceGUID),
		soapenc.Int("limit", q.Limit),
		soapenc.Bool("onlyRegistered", false), soapenc.Bool("onlyUnregistered", false),
		soapenc.Bool("searchSubDomains", true),
		soapenc.OptStr("securityDomainGuid", q.SecurityDomainGUID),
		emptyFilter("systemFilter"),
	), func(reply *soapenc.Value) ([]Principal, error) {
		return decodeList(reply.Field("principals"), decodePrincipal)
	})
}

// LookupPrincipal returns one principal by GUID.
func (c *Client) LookupPrincipal(ctx context.Context, guid, identitySourceGUID string) (Principal, error) {
	return query(ctx, c, command(amproto.LookupPrincipalCommand,
		soapenc.Bool("flushEntry", false), soapenc.Str("guid", guid), soapenc.OptStr("identitySourceGuid", identitySourceGUID)),
		func(reply *soapenc.Value) (Principal, error) { return decodePrincipal(reply.Field("principal")) })
}

// ListTokensByPrincipal lists a principal's tokens. AM answers
// DataNotFoundException when there are none; like RSA's own sample, that becomes
// an empty list here.
func (c *Client) ListTokensByPrincipal(ctx context.Context, principalGUID string) ([]TokenSummary, error) {
	out, err := query(ctx, c, command(amproto.ListTokensByPrincipalCommand, soapenc.Str("principalId", principalGUID)),
		func(reply *soapenc.Value) ([]TokenSummary, error) {
			return decodeList(reply.Field("tokenDTOs"), decodeTokenSummary)
		})
	var f *Fault
	if errors.As(err, &f) && f.Class == amproto.ExDataNotFound {
		return []TokenSummary{}, nil
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []TokenSummary{}
	}
	return out, nil
}

// SearchTokens is one page of the assigned or unassigned tokens
// (SearchTokensCommand with an empty filter, as TriVir's client pages it).
func (c *Client) SearchTokens(ctx context.Context, assigned bool, first, limit int) ([]TokenSummary, error) {
	return query(ctx, c, command(amproto.SearchTokensCommand, emptyFilter("filter"), soapenc.Bool("assigned", assigned),
		soapenc.Int("firstResult", first), soapenc.Int("limit", limit)),
		func(reply *soapenc.Value) ([]TokenSummary, error) {
			return decodeList(reply.Field("listSecurIDTokens"), decodeTokenSummary)
		})
}

// NextAvailableToken is the unassigned token AM would hand out next
// (GetNextAvailableTokenCommand; ErrNotFound when none is left).
func (c *Client) NextAvailableToken(ctx context.Context) (Token, error) {
	return query(ctx, c, command(amproto.GetNextAvailableTokenCommand),
		func(reply *soapenc.Value) (Token, error) { return decodeToken(reply.Field("token")) })
}

// UnlockUser clears a principal's AM lockout (UnLockUserAccountCommand,
// which needs the identity source's GUID too).
func (c *Client) UnlockUser(ctx context.Context, principalGUID, identitySourceGUID string) error {
	return c.run(ctx, command(amproto.UnLockUserAccountCommand, soapenc.Str("principalGuid", principalGUID),
		soapenc.Str("identitySourceGuid", identitySourceGUID)))
}

// ClearBadTokenCount resets the bad-tokencode count of a principal's
// tokens (ClearBadTokenCountCommand, ns http://am.ucm.rsa.com; it names
// the principal, not a token: helpdesk-ops §3).
func (c *Client) ClearBadTokenCount(ctx context.Context, principalGUID string) error {
	return c.run(ctx, command(amproto.ClearBadTokenCountCommand, soapenc.Str("principalGuid", principalGUID)))
}

// ReplaceToken makes replacementGUID the successor of oldGUID
// (ReplaceTokensCommand: replacingTokenGuid is the OLD token); setNewPin
// makes the person choose a new PIN on the new token.
func (c *Client) ReplaceToken(ctx context.Context, oldGUID, replacementGUID string, setNewPin bool) error {
	pair := soapenc.Obj("item", amproto.ReplaceTokenDTO, soapenc.Str("replacingTokenGuid", oldGUID), soapenc.Str("replacementTokenGuid", replacementGUID))
	return c.run(ctx, command(amproto.ReplaceTokensCommand, soapenc.ObjArray("repTknDTO", amproto.ReplaceTokenDTO, pair),
		soapenc.Bool("setNewPin", setNewPin)))
}

// ExtendToken gives a distributed software token the expiry of an
// unassigned extension token record, which AM then deletes
// (ExtendTokensCommand, helpdesk-ops §8.1; "extention" is AM's spelling).
func (c *Client) ExtendToken(ctx context.Context, tokenGUID, extensionGUID string) error {
	pair := soapenc.Obj("item", amproto.ExtendTokenDTO, soapenc.Str("extendedTokenGuid", tokenGUID), soapenc.Str("extentionTokenGuid", extensionGUID))
	return c.run(ctx, command(amproto.ExtendTokensCommand, soapenc.ObjArray("extTknDTO", amproto.ExtendTokenDTO, pair), soapenc.Nil("messageKey")))
}

// ReplaceWithNextAvailable replaces oldGUID with the token AM hands out
// next and returns it (ReplaceWithNextAvailableTokenCommand).
func (c *Client) ReplaceWithNextAvailable(ctx context.Context, oldGUID string, setNewPin bool) (Token, error) {
	return query(ctx, c, command(amproto.ReplaceWithNextAvailableTokenCmd, soapenc.Str("tknGuid", oldGUID), soapenc.Bool("setNewPin", setNewPin)),
		func(reply *soapenc.Value) (Token, error) { return decodeToken(reply.Field("replacementTkn")) })
}

// TokenRef names a token by serial number or GUID (one of them).
type TokenRef struct {
	Serial string
	GUID   string
}

func (r TokenRef) String() string {
	if r.Serial != "" {
		return "token " + r.Serial
	}
	return "token guid " + r.GUID
}

// LookupToken returns the full token record.
func (c *Client) LookupToken(ctx context.Context, ref TokenRef) (Token, error) {
	if ref.Serial == "" && ref.GUID == "" {
		return Token{}, fmt.Errorf("%w: a token serial number or GUID is required", ErrInvalidArgument)
	}
	return query(ctx, c, command(amproto.LookupTokenCommand,
		soapenc.OptStr("guid", ref.GUID), soapenc.OptStr("serialNumber", ref.Serial)),
		func(reply *soapenc.Value) (Token, error) { return decodeToken(reply.Field("token")) })
}

// UpdatePIN sends t's whole record back with its PIN members changed
// (UpdateTokenCommand): new-PIN mode, and with clear the PIN forgotten. The record carries the rowVersion it was read at:
// AM refuses it with ConcurrentUpdateException if the token changed since.
func (c *Client) UpdatePIN(ctx context.Context, t Token, clear bool) error {
	// new-PIN mode: AM asks for a new PIN at the next login; clear also
	// forgets the PIN, so the person logs in with the tokencode alone first
	set := []*soapenc.Value{soapenc.Bool("newPinMode", true)}
	if clear {
		set = append(set, soapenc.Bool("pinIsSet", false), soapenc.Str("pin", ""))
	}
	if t.record == nil {
		return fmt.Errorf("%w: token %s was not read in full (LookupTokenCommand) before its update", ErrInvalidArgument, t.Serial)
	}
	rec := t.record.Clone()
	rec.Name = "token"
	for _, f := range set {
		rec.Set(f)
	}
	// commandVersion is left at its zero value, as no public client sets it
	return c.run(ctx, command(amproto.UpdateTokenCommand, soapenc.Int("commandVersion", 0), rec))
}

// ResynchronizeToken sends two consecutive tokencodes the person read off
// the token (ResynchronizeTokenCommand takes the serial, not the GUID).
func (c *Client) ResynchronizeToken(ctx context.Context, serial string, first, second Secret) error {
	return c.run(ctx, command(amproto.ResynchronizeTokenCommand, soapenc.Str("tokenSerialNum", serial),
		soapenc.Str("firstTokencode", first.Reveal()), soapenc.Str("secondTokencode", second.Reveal())))
}

// LinkTokens assigns tokens to a principal (LinkTokensWithPrincipalCommand).
func (c *Client) LinkTokens(ctx context.Context, principalGUID string, tokenGUIDs ...string) error {
	return c.run(ctx, command(amproto.LinkTokensWithPrincipalCommand,
		soapenc.Nil("linkedTokens"), soapenc.Str("principalGuid", principalGUID),
		soapenc.Bool("returnTokens", false), soapenc.StrArray("tokenGuids", tokenGUIDs)))
}

// UnlinkTokens unassigns tokens (UnlinkTokensFromPrincipalsCommand).
func (c *Client) UnlinkTokens(ctx context.Context, tokenGUIDs ...string) error {
	return c.run(ctx, command(amproto.UnlinkTokensFromPrincipalsCommand, soapenc.StrArray("tokenGuids", tokenGUIDs)))
}

// EnableTokens enables or disables tokens (EnableTokensCommand).
func (c *Client) EnableTokens(ctx context.Context, enable bool, tokenGUIDs ...string) error {
	return c.run(ctx, command(amproto.EnableTokensCommand,
		soapenc.Bool("enable", enable), soapenc.StrArray("tokenGuids", tokenGUIDs)))
}

// LookupEmergencyAccess returns a token's emergency-access DTO. Note the input
// member is "guid" (not tokenGuid, which only the Generate commands have).
func (c *Client) LookupEmergencyAccess(ctx context.Context, tokenGUID string) (EmergencyAccess, error) {
	return query(ctx, c, command(amproto.LookupTokenEmergencyAccessCommand, soapenc.Str("guid", tokenGUID)),
		func(reply *soapenc.Value) (EmergencyAccess, error) {
			return decodeEmergencyAccess(reply.Field("tokenEmergencyAccess"))
		})
}

// UpdateEmergencyAccess writes a token's emergency-access DTO. Start from a
// LookupEmergencyAccess result: AM needs at least the id.
func (c *Client) UpdateEmergencyAccess(ctx context.Context, ea EmergencyAccess) error {
	return c.run(ctx, command(amproto.UpdateTokenEmergencyAccessCommand, ea.encode("tokenEmergencyAccessDTO")))
}

// GenerateEmergencyAccessCode asks AM for a temporary fixed tokencode that
// follows the token's policy. It only computes the code; the update installs it.
func (c *Client) GenerateEmergencyAccessCode(ctx context.Context, tokenGUID string) (Secret, error) {
	return query(ctx, c, command(amproto.GenerateEmergencyAccessCodeCommand,
		soapenc.Nil("emergencyAccessCode"), soapenc.OptStr("tokenGuid", tokenGUID)),
		func(reply *soapenc.Value) (Secret, error) {
			code := reply.Str("emergencyAccessCode")
			if code == "" {
				return "", &CallError{Command: "GenerateEmergencyAccessCodeCommand", Err: fmt.Errorf("%w: no emergencyAccessCode", ErrMalformedReply)}
			}
			return Secret(code), nil
		})
}

// GenerateOneTimeCodes asks AM for n one-time tokencodes (installed by the update).
func (c *Client) GenerateOneTimeCodes(ctx context.Context, tokenGUID string, n int) ([]Secret, error) {
	return query(ctx, c, command(amproto.GenerateOneTimeTokenCodeSetCommand,
		soapenc.Nil("otts"), soapenc.Int("setSize", n), soapenc.OptStr("tokenGuid", tokenGUID)),
		func(reply *soapenc.Value) ([]Secret, error) {
			codes := reply.Strings("otts")
			if len(codes) != n {
				return nil, &CallError{Command: "GenerateOneTimeTokenCodeSetCommand", Err: fmt.Errorf("%w: asked for %d codes, got %d", ErrMalformedReply, n, len(codes))}
			}
			out := make([]Secret, len(codes))
			for i, s := range codes {
				out[i] = Secret(s)
			}
			return out, nil
		})
}
