package amsim

import (
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

type handler func(s *Sim, in *soapenc.Value) (*soapenc.Value, *simFault)

var handlers map[soapenc.QName]handler

func init() {
	handlers = map[soapenc.QName]handler{
		amproto.SearchRealmsCommand:               (*Sim).searchRealms,
		amproto.GetIdentitySourcesCommand:         (*Sim).getIdentitySources,
		amproto.LookupIdentitySourceCommand:       (*Sim).lookupIdentitySource,
		amproto.SearchPrincipalsCommand:           (*Sim).searchPrincipals,
		amproto.LookupPrincipalCommand:            (*Sim).lookupPrincipal,
		amproto.ListTokensByPrincipalCommand:      (*Sim).listTokensByPrincipal,
		amproto.LookupTokenCommand:                (*Sim).lookupToken,
		amproto.LinkTokensWithPrincipalCommand:    (*Sim).linkTokens,
		amproto.UnlinkTokensFromPrincipalsCommand: (*Sim).unlinkTokens,
		amproto.EnableTokensCommand:               (*Sim).enableTokens,
		amproto.UpdateTokenCommand:                (*Sim).updateToken,
		amproto.ResynchronizeTokenCommand:         (*Sim).resynchronizeToken,
		amproto.SearchTokensCommand:               (*Sim).searchTokens,
		amproto.GetNextAvailableTokenCommand:      (*Sim).nextAvailableToken,
		amproto.UnLockUserAccountCommand:          (*Sim).unlockUser,
		amproto.ClearBadTokenCountCommand:         (*Sim).clearBadTokenCount,
		amproto.ActivityMonitorCommand:            (*Sim).activityMonitor,
		amproto.ReplaceTokensCommand:              (*Sim).replaceTokens,
		amproto.ReplaceWithNextAvailableTokenCmd:  (*Sim).replaceWithNext,
		amproto.ExtendTokensCommand:               (*Sim).extendTokens,
		// agents and access rules (agents.go)
		amproto.SearchAgentsCommand:                       (*Sim).searchAgents,
		amproto.LookupAgentCommand:                        (*Sim).lookupAgent,
		amproto.ListGroupsByAgentCommand:                  (*Sim).listGroupsByAgent,
		amproto.SearchAccessibleAgentsForPrincipalCommand: (*Sim).searchAccessibleAgentsForPrincipal,
		amproto.GetTimeRestrictedAccessCommand:            (*Sim).getTimeRestrictedAccess,
		amproto.TestAccessInfoCommand:                     (*Sim).testAccessInfo,
		// a person's offline emergency passcode (offlineea.go)
		amproto.LookupEmergencyAccessPasscodeCommand: (*Sim).lookupOfflinePasscode,
		amproto.UpdateEmergencyAccessPasscodeCommand: (*Sim).updateOfflinePasscode,
		amproto.LookupTokenEmergencyAccessCommand:    (*Sim).lookupEA,
		amproto.UpdateTokenEmergencyAccessCommand:    (*Sim).updateEA,
		amproto.GenerateEmergencyAccessCodeCommand:   (*Sim).generateEACode,
		amproto.GenerateOneTimeTokenCodeSetCommand:   (*Sim).generateOTTs,
		// software tokens (softtoken.go)
		amproto.ListSoftTokenProfilesCommand:          (*Sim).listSoftTokenProfiles,
		amproto.LookupSoftTokenProfileCommand:         (*Sim).lookupSoftTokenProfile,
		amproto.LookupSoftTokenDeviceTypeCommand:      (*Sim).lookupSoftTokenDeviceType,
		amproto.GetAvailableSoftwareTokensCommand:     (*Sim).getAvailableSoftwareTokens,
		amproto.CountIssuableSoftwareTokensCommand:    (*Sim).countIssuableSoftwareTokens,
		amproto.GenerateSoftTokenTSFCommand:           (*Sim).generateSoftTokenTSF,
		amproto.IssueSoftwareTokensCommand:            (*Sim).issueSoftwareTokens,
		amproto.GetSoftwareTokenFileCommand:           (*Sim).getSoftwareTokenFile,
		amproto.DeleteSoftwareTokenFileCommand:        (*Sim).deleteSoftwareTokenFile,
		amproto.LinkSoftTokensWithProfileCommand:      (*Sim).linkSoftTokensWithProfile,
		amproto.UpdateOrAddCTKIPActivationCodeCommand: (*Sim).updateOrAddCTKIPActivationCode,
		amproto.LookupCTKIPActivationCodeCommand:      (*Sim).lookupCTKIPActivationCode,
		amproto.DeleteCTKIPActivationCodesCommand:     (*Sim).deleteCTKIPActivationCodes,
		amproto.LookupCTKIPActivationCodeLifetime:     (*Sim).lookupCTKIPActivationCodeLifetime,
		amproto.LookupCTKIPQRCodeLifetimeCommand:      (*Sim).lookupCTKIPQRCodeLifetime,
		amproto.GetSoftTokenDeviceInfoCommand:         (*Sim).getSoftTokenDeviceInfo,
		amproto.LinkSoftTokensWithDeviceTypeCommand:   (*Sim).linkSoftTokensWithDeviceType,
	}
}

// reply is the product's answer: the same command, input members echoed, output
// members filled, every declared member present.
func reply(in *soapenc.Value, out ...*soapenc.Value) *soapenc.Value {
	known := map[string]bool{}
	for _, m := range amtypes.AllMembers(amtypes.Lookup(in.Type)) {
		known[m.Name] = true
	}
	replaced := map[string]bool{}
	for _, o := range out {
		replaced[o.Name] = true
	}
	var set []*soapenc.Value
	seen := map[string]bool{}
	for _, f := range in.Fields {
		if known[f.Name] && !replaced[f.Name] && !seen[f.Name] {
			seen[f.Name] = true
			set = append(set, f)
		}
	}
	return obj(amproto.PartReturn, in.Type, append(set, out...)...)
}

func badArg(format string, args ...any) *simFault {
	return fault(amproto.ExInvalidArgument, "INVALID_ARGUMENT", format, args...)
}

func notFound(key, format string, args ...any) *simFault {
	return fault(amproto.ExDataNotFound, key, format, args...)
}

// seedFault is the forum question's fault, verbatim.
func seedFault() *simFault {
	return notFound("IDENTITY_SOURCE_NOT_SPECIFIED", amproto.MsgIdentitySourceGuidNotSpecified)
}

// --- session ---

func (s *Sim) login(in *soapenc.Value) (*soapenc.Value, *simFault) {
	var user, password string
	for _, p := range in.Field("parameters").Items() {
		switch p.Str("promptKey") {
		case amproto.PromptPrincipalID:
			user = p.Str("value")
		case amproto.PromptPassword:
			password = p.Str("value")
		}
	}
	method := in.Str("authenticationMethodId")
	if method != amproto.MethodRSAPassword && method != amproto.MethodLDAPPassword {
		return nil, fault(amproto.ExInvalidLogin, "INVALID_AUTHENTICATION_METHOD", "authentication method %q is not available for administrators", method)
	}
	a, ok := s.admins[user]
	// never echo the credentials back
	out := []*soapenc.Value{soapenc.Nil("parameters"), soapenc.Nil("hiddenParameters")}
	if !ok || a.password != password || password == "" {
		if s.opt.LoginFailureAsFault {
			return nil, fault(amproto.ExAuthentication, amproto.KeyAccessDenied, "Access Denied")
		}
		out = append(out, soapenc.Str("authenticationState", amproto.StateFailed),
			obj("message", amproto.MessageDTO, soapenc.Str("key", amproto.KeyAccessDenied), soapenc.Int("reasonCode", 0)),
			soapenc.Nil("sessionId"))
		return reply(in, out...), nil
	}
	now := s.opt.Now()
	sid := s.newGUID()
	s.sessions[sid] = &session{admin: user, role: a.role, created: now, lastUsed: now, principal: a.guid}
	out = append(out, soapenc.Str("authenticationState", amproto.StateAuthenticated),
		soapenc.Str("sessionId", sid), soapenc.Str("principalGuid", a.guid))
	return reply(in, out...), nil
}

func (s *Sim) logout(in *soapenc.Value) (*soapenc.Value, *simFault) {
	delete(s.sessions, in.Str("sessionId"))
	delete(s.userSessions, in.Str("sessionId"))
	delete(s.logons, in.Str("sessionId"))
	return reply(in), nil
}

// --- realms, identity sources, principals ---

// filterValue extracts (attr, value, isLike) from Filter{comp: Simple{…}}. A
// missing filter or an Empty comp gives ok=false (match everything).
func filterValue(f *soapenc.Value) (attr, value string, like, ok bool) {
	comp := f.Field("comp")
	if f == nil || f.Nil || comp == nil || comp.Nil || comp.Type.Local != "Simple" {
		return "", "", false, false
	}
	return comp.Str("attr"), comp.Str("value"), comp.Field("type").Type.Local == "Like", true
}

func matches(candidate, value string, like bool) bool {
	c, v := strings.ToLower(candidate), strings.ToLower(value)
	if !like {
		return c == v
	}
	switch {
	case strings.HasPrefix(v, "*") && strings.HasSuffix(v, "*") && len(v) > 1:
		return strings.Contains(c, strings.Trim(v, "*"))
	case strings.HasSuffix(v, "*"):
		return strings.HasPrefix(c, strings.TrimSuffix(v, "*"))
	case strings.HasPrefix(v, "*"):
		return strings.HasSuffix(c, strings.TrimPrefix(v, "*"))
	}
	return c == v
}

func (s *Sim) domainDTO() *soapenc.Value {
	return obj("topLevelSecurityDomain", amproto.SecurityDomainDTO, soapenc.Str("guid", s.domain.guid),
		soapenc.Str("name", s.domain.name), soapenc.Bool("topLevel", true), soapenc.Long("rowVersion", 1))
}

func (s *Sim) sourceDTO(name string, is *identitySource) *soapenc.Value {
	return obj(name, amproto.IdentitySourceDTO, soapenc.Str("guid", is.guid), soapenc.Str("name", is.name),
		soapenc.OptStr("description", is.description), soapenc.Bool("internal", is.internal),
		soapenc.Bool("readOnly", !is.internal), soapenc.Str("securityDomainGuid", s.domain.guid),
		soapenc.Str("securityDomainName", s.domain.name), soapenc.Int("srcType", map[bool]int{true: amproto.SrcTypeInternal, false: amproto.SrcTypeLDAP}[is.internal]))
}

func (s *Sim) sourcesArray(name string) *soapenc.Value {
	var items []*soapenc.Value
	for _, is := range s.sources {
		items = append(items, s.sourceDTO("item", is))
	}
	return soapenc.ObjArray(name, amproto.IdentitySourceDTO, items...)
}

func (s *Sim) searchRealms(in *soapenc.Value) (*soapenc.Value, *simFault) {
	attr, value, like, ok := filterValue(in.Field("filter"))
	var realms []*soapenc.Value
	if !ok || (strings.EqualFold(attr, amproto.AttrRealmName) && matches(s.domain.name, value, like)) {
		realms = append(realms, obj("item", amproto.RealmDTO, s.sourcesArray("identitySources"), s.domainDTO()))
	}
	return reply(in, soapenc.ObjArray("realms", amproto.RealmDTO, realms...)), nil
}

func (s *Sim) getIdentitySources(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if g := in.Str("securityDomainGuid"); g != "" && g != s.domain.guid {
		return nil, notFound("SECURITY_DOMAIN_NOT_FOUND", "SecurityDomain-Lookup : SecurityDomain %s not found", g)
	}
	return reply(in, s.sourcesArray("identitySources")), nil
}

func (s *Sim) lookupIdentitySource(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("guid")
	if g == "" {
		return nil, seedFault()
	}
	is := s.source(g)
	if is == nil {
		return nil, notFound("IDENTITY_SOURCE_NOT_FOUND", "IdentitySource-Lookup : IdentitySource %s not found", g)
	}
	return reply(in, s.sourceDTO("identitySource", is)), nil
}

func principalDTO(name string, p *principal, domainGUID string) *soapenc.Value {
	return obj(name, amproto.PrincipalDTO, soapenc.Str("guid", p.guid), soapenc.Str("userID", p.login),
		soapenc.OptStr("firstName", p.first), soapenc.OptStr("lastName", p.last), soapenc.OptStr("email", p.email),
		soapenc.Str("identitySourceGuid", p.source), soapenc.Str("securityDomainGuid", domainGUID),
		soapenc.Bool("enabled", p.enabled), soapenc.Bool("lockoutStatus", p.locked),
		soapenc.Time("lockoutExpireDate", p.lockoutExpire), soapenc.Int("failedPasswordCount", p.failedCount),
		soapenc.Time("lastLogin", p.lastLogin), soapenc.Long("rowVersion", int64(p.rowVersion)))
}

func (s *Sim) searchPrincipals(in *soapenc.Value) (*soapenc.Value, *simFault) {
	src := in.Str("identitySourceGuid")
	if src == "" {
		return nil, seedFault()
	}
	if s.source(src) == nil {
		return nil, notFound("IDENTITY_SOURCE_NOT_FOUND", "IdentitySource-Lookup : IdentitySource %s not found", src)
	}
	limit, err := in.Int("limit")
	if err != nil {
		return nil, badArg("limit: %v", err)
	}
	if limit <= 0 {
		limit = 100
	}
	attr, value, like, filtered := filterValue(in.Field("filter"))
	if filtered && !strings.EqualFold(attr, amproto.AttrLoginUID) {
		return nil, badArg("filter attribute %s is not supported by the simulator (use LOGINUID)", attr)
	}
	var found []*principal
	for _, p := range s.princ {
		if p.source == src && (!filtered || matches(p.login, value, like)) {
			found = append(found, p)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].login < found[j].login })
	if len(found) > limit {
		found = found[:limit]
	}
	items := make([]*soapenc.Value, len(found))
	for i, p := range found {
		items[i] = principalDTO("item", p, s.domain.guid)
	}
	return reply(in, soapenc.ObjArray("principals", amproto.PrincipalDTO, items...)), nil
}

func (s *Sim) lookupPrincipal(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("guid")
	p := s.princ[g]
	if p == nil || (in.Str("identitySourceGuid") != "" && in.Str("identitySourceGuid") != p.source) {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", g)
	}
	return reply(in, principalDTO("principal", p, s.domain.guid)), nil
}

// unlockUser clears a principal's lockout (helpdesk-ops §4): the flag, its
// expiry and the failure count. Unlocking a person who is not locked
// succeeds (idempotent) [proposal].
func (s *Sim) unlockUser(in *soapenc.Value) (*soapenc.Value, *simFault) {
	src := in.Str("identitySourceGuid")
	if src == "" {
		return nil, notFound("IDENTITY_SOURCE_NOT_SPECIFIED", "IdentitySource-Lookup : IdentitySource Guid is not specified")
	}
	p := s.princ[in.Str("principalGuid")]
	if p == nil || p.source != src {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", in.Str("principalGuid"))
	}
	p.locked, p.lockoutExpire, p.failedCount = false, time.Time{}, 0
	p.rowVersion++
	return reply(in), nil
}

// clearBadTokenCount resets the bad-tokencode count of every token of
// the principal and takes them out of next-tokencode mode (helpdesk-ops §3
// [proposal]: the command's effect is read off its name). A token whose
// counts change gets a new rowVersion, as every token write does.
func (s *Sim) clearBadTokenCount(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("principalGuid")
	if s.princ[g] == nil {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", g)
	}
	for _, t := range s.tokens {
		if t.principal == g && (t.badCodeCount != 0 || t.nextTokencodeMode) {
			t.badCodeCount, t.nextTokencodeMode = 0, false
			t.rowVersion++
		}
	}
	return reply(in), nil
}

// --- tokens ---

func (s *Sim) owner(t *token) string {
	if p := s.princ[t.principal]; p != nil {
		return p.login
	}
	return ""
}

func (s *Sim) listTokenDTO(t *token) *soapenc.Value {
	return obj("item", amproto.ListTokenDTO, soapenc.Str("guid", t.guid), soapenc.Str("serialNumber", t.serial),
		soapenc.OptStr("assignedUser", s.owner(t)), soapenc.Str("securityDomainName", s.domain.name),
		soapenc.Bool("enable", t.enabled), soapenc.Bool("tokenLost", t.ea.lost), soapenc.Bool("newPinMode", t.newPinMode),
		soapenc.Bool("nextTokenMode", t.nextTokencodeMode), soapenc.Bool("pinSet", t.pinSet),
		soapenc.Int("pinType", t.pinType), soapenc.Int("tokenType", int(t.typ)), soapenc.Str("algorithm", t.algorithm.String()),
		soapenc.Time("expirationDate", t.expires), soapenc.Time("lastLoginDate", t.lastLogin),
		soapenc.Int("replacementMode", t.replacementMode), soapenc.OptStr("replacedBy", pairSerial(t, 1)),
		soapenc.OptStr("willReplace", pairSerial(t, 2)))
}

// pairSerial is the other token of t's replacement pair when t's
// replacementMode is mode (1: t is being replaced by it; 2: t replaces it).
func pairSerial(t *token, mode int) string {
	if t.replacementMode == mode {
		return t.replaceSerial
	}
	return ""
}

func (s *Sim) tokenDTO(t *token) *soapenc.Value {
	var owner *principal
	if t.principal != "" {
		owner = s.princ[t.principal]
	}
	v := obj("token", amproto.TokenDTO, soapenc.Str("id", t.guid), soapenc.Str("serialNumber", t.serial),
		soapenc.Bool("tokenEnabled", t.enabled), soapenc.Bool("tokenLost", t.ea.lost), soapenc.Bool("newPinMode", t.newPinMode),
		soapenc.Bool("nextTokenCodeMode", t.nextTokencodeMode), soapenc.Bool("pinIsSet", t.pinSet),
		soapenc.Int("pinType", t.pinType), soapenc.Int("algorithm", int(t.algorithm)), soapenc.Int("tokenType", int(t.typ)),
		soapenc.Int("tokenCodeLength", t.codeLength), soapenc.Int("tokenCodeInterval", t.interval),
		soapenc.Time("dateTokenStart", t.start), soapenc.Time("dateTokenShutdown", t.expires),
		soapenc.Time("dateLastLogin", t.lastLogin), soapenc.Time("dateTokenAssigned", t.assigned),
		soapenc.Str("securityDomainId", s.domain.guid), soapenc.Long("rowVersion", int64(t.rowVersion)),
		soapenc.Time("datePinModified", t.pinModified), soapenc.Time("dateEnableFlagModified", t.enableModified), soapenc.OptStr("notes", t.notes),
		soapenc.Int("badTokenCodeCount", t.badCodeCount), soapenc.Int("replacementMode", t.replacementMode),
		soapenc.OptStr("replaceTknSN", t.replaceSerial), soapenc.Int("extensionMode", boolInt(t.extended)), soapenc.OptStr("extensionTknSN", t.extensionSerial))
	// pin stays nil: AM never hands a PIN back (helpdesk-ops §1.5)
	if owner != nil {
		v.Set(soapenc.Str("assignedUserId", owner.login))
		v.Set(soapenc.Str("assignedUserName", strings.TrimSpace(owner.first+" "+owner.last)))
		v.Set(soapenc.Str("principalId", owner.guid))
	}
	return v
}

func (s *Sim) eaDTO(name string, t *token) *soapenc.Value {
	// oneTimeTokencodeSet stays nil: issued codes can never be read back (S-fr)
	return obj(name, amproto.TokenEmergencyAccessDTO, soapenc.Str("id", t.guid), soapenc.Str("serialNumber", t.serial),
		soapenc.Int("tokenType", int(t.typ)), soapenc.Int("algorithm", int(t.algorithm)),
		soapenc.Bool("tokenLost", t.ea.lost), soapenc.Int("eaMode", int(t.ea.mode)), soapenc.Int("lostMode", int(t.ea.lostMode)),
		soapenc.OptStr("temporaryFixedTokencode", t.ea.tft), soapenc.Time("tftExpiration", t.ea.tftExpiration),
		soapenc.Time("lastTFTAuth", t.ea.lastTFTAuth), soapenc.Int("numUnusedCodes", len(t.ea.otts)),
		soapenc.Time("eaExpiration", t.ea.expiration), soapenc.Time("lastEaAuth", t.ea.lastEAAuth),
		soapenc.Bool("validOnlineData", t.ea.validOnlineData))
}

func (s *Sim) listTokensByPrincipal(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("principalId")
	if s.princ[g] == nil {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", g)
	}
	var mine []*token
	for _, t := range s.tokens {
		if t.principal == g {
			mine = append(mine, t)
		}
	}
	if len(mine) == 0 && !s.opt.NoTokensAsEmptyList {
		return nil, notFound("NO_TOKENS_FOUND", "No tokens are assigned to principal %s", g)
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].serial < mine[j].serial })
	items := make([]*soapenc.Value, len(mine))
	for i, t := range mine {
		items[i] = s.listTokenDTO(t)
	}
	return reply(in, soapenc.ObjArray("tokenDTOs", amproto.ListTokenDTO, items...)), nil
}

// tokenByRef finds a token by GUID or serial number.
func (s *Sim) tokenByRef(guid, serial string) (*token, *simFault) {
	switch {
	case guid != "":
		if t := s.tokens[guid]; t != nil {
			return t, nil
		}
		return nil, notFound("TOKEN_NOT_FOUND", "Token-Lookup : Token %s not found", guid)
	case serial != "":
		if t := s.bySerial[serial]; t != nil {
			return t, nil
		}
		return nil, notFound("TOKEN_NOT_FOUND", "Token-Lookup : Token with serial number %s not found", serial)
	}
	return nil, notFound("TOKEN_NOT_SPECIFIED", "Token-Lookup : Token Guid is not specified")
}

func (s *Sim) lookupToken(in *soapenc.Value) (*soapenc.Value, *simFault) {
	t, f := s.tokenByRef(in.Str("guid"), in.Str("serialNumber"))
	if f != nil {
		return nil, f
	}
	return reply(in, s.tokenDTO(t)), nil
}

// tokensByGUIDs resolves every GUID first, so a command with one bad GUID
// changes nothing (AM commands are transactional).
func (s *Sim) tokensByGUIDs(in *soapenc.Value) ([]*token, *simFault) {
	guids := in.Strings("tokenGuids")
	if len(guids) == 0 {
		return nil, badArg("tokenGuids must name at least one token")
	}
	out := make([]*token, 0, len(guids))
	for _, g := range guids {
		t, f := s.tokenByRef(g, "")
		if f != nil {
			return nil, f
		}
		out = append(out, t)
	}
	return out, nil
}

func (s *Sim) linkTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	pg := in.Str("principalGuid")
	p := s.princ[pg]
	if p == nil {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", pg)
	}
	ts, f := s.tokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		if t.principal != "" {
			return nil, badArg("Token %s is already assigned to %s", t.serial, s.owner(t))
		}
	}
	now := s.opt.Now()
	for _, t := range ts {
		t.principal, t.assigned, t.enabled = p.guid, now, true // assigning enables a token (S-doc-enable)
		t.rowVersion++
	}
	return reply(in), nil
}

func (s *Sim) unlinkTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	ts, f := s.tokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		if t.principal == "" {
			return nil, badArg("Token %s is not assigned", t.serial)
		}
	}
	for _, t := range ts {
		// emergency access belongs to the assignment: it ends with it
		t.principal, t.assigned, t.ea = "", time.Time{}, eaState{}
		t.rowVersion++
	}
	return reply(in), nil
}

func (s *Sim) enableTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	enable, err := in.Bool("enable")
	if err != nil {
		return nil, badArg("enable: %v", err)
	}
	ts, f := s.tokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		if t.enabled != enable {
			t.enableModified = s.opt.Now()
		}
		t.enabled = enable
		t.rowVersion++
	}
	return reply(in), nil
}

// updateToken takes a whole TokenDTO back (helpdesk-ops §1): the record as
// looked up, with the fields to change. A record read before another write
// (its rowVersion behind) is refused with ConcurrentUpdateException, as AM's
// optimistic locking does [inferred: S-fr]. Of the record, the PIN fields
// and the notes are applied; rsatui sends no other change [proposal].
func (s *Sim) updateToken(in *soapenc.Value) (*soapenc.Value, *simFault) {
	rec := in.Field("token")
	if rec.IsNil() {
		return nil, badArg("token: a TokenDTO is required")
	}
	t, f := s.tokenByRef(rec.Str("id"), "")
	if f != nil {
		return nil, f
	}
	rv, err := rec.Int("rowVersion")
	if err != nil {
		return nil, badArg("rowVersion: %v", err)
	}
	if rv != t.rowVersion {
		return nil, fault(amproto.ExConcurrentUpdate, "CONCURRENT_UPDATE",
			"Token %s was updated by another administrator (rowVersion %d, not %d): look it up again", t.serial, t.rowVersion, rv)
	}
	newPin, err1 := rec.Bool("newPinMode")
	pinSet, err2 := rec.Bool("pinIsSet")
	if err := errors.Join(err1, err2); err != nil {
		return nil, badArg("%v", err)
	}
	pin := rec.Str("pin")
	switch {
	case pin != "" && (len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != ""):
		return nil, badArg("Invalid token PIN") // the default policy: 4 to 8 digits
	case pin != "":
		t.pin, t.pinSet = pin, true
	case !pinSet:
		t.pin, t.pinSet = "", false // cleared: the person logs in with the tokencode alone and sets one
	}
	t.newPinMode = newPin
	t.notes = rec.Str("notes")
	t.pinModified = s.opt.Now()
	t.rowVersion++
	return reply(in), nil
}

// searchTokens lists assigned or unassigned tokens, a page at a time
// (firstResult, limit), by serial (helpdesk-ops §5.2: TriVir pages with an
// empty filter, limit 100). Of the filters, the simulator takes the empty
// one only.
func (s *Sim) searchTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if _, _, _, filtered := filterValue(in.Field("filter")); filtered {
		return nil, badArg("token search filters are not supported by the simulator (send an empty filter)")
	}
	assigned, err1 := in.Bool("assigned")
	first, err2 := in.Int("firstResult")
	limit, err3 := in.Int("limit")
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, badArg("%v", err)
	}
	if first < 0 || limit < 1 || limit > 1000 {
		return nil, badArg("firstResult %d, limit %d: want firstResult ≥ 0 and limit 1 to 1000", first, limit)
	}
	var match []*token
	for _, t := range s.tokens {
		if (t.principal != "") == assigned {
			match = append(match, t)
		}
	}
	sort.Slice(match, func(i, j int) bool { return match[i].serial < match[j].serial })
	var items []*soapenc.Value
	for i := first; i < len(match) && i < first+limit; i++ {
		items = append(items, s.listTokenDTO(match[i]))
	}
	return reply(in, soapenc.ObjArray("listSecurIDTokens", amproto.ListTokenDTO, items...)), nil
}

// nextAvailableToken names the token AM would hand out next: unassigned,
// enabled or not (assigning enables), not expired, lowest serial first
// [proposal: AM's choice is undocumented]; none → DataNotFoundException.
func (s *Sim) nextAvailableToken(in *soapenc.Value) (*soapenc.Value, *simFault) {
	best, f := s.nextAvailable()
	if f != nil {
		return nil, f
	}
	return reply(in, s.tokenDTO(best)), nil
}

// available reports whether AM may hand t out: unassigned, no part of a
// replacement, not lost, not expired.
func (t *token) available(now time.Time) bool {
	return t.principal == "" && t.replacementMode == 0 && !t.ea.lost && (t.expires.IsZero() || t.expires.After(now))
}

// nextAvailable is the token GetNextAvailableTokenCommand names. Caller holds mu.
func (s *Sim) nextAvailable() (*token, *simFault) {
	var best *token
	now := s.opt.Now()
	for _, t := range s.tokens {
		if t.available(now) && (best == nil || t.serial < best.serial) {
			best = t
		}
	}
	if best == nil {
		return nil, notFound("NO_AVAILABLE_TOKEN", "Token-Lookup : no unassigned token is available")
	}
	return best, nil
}

// replace makes replacement the old token's successor (helpdesk-ops §6):
// assigned to the same person at once, both kept until the new one is
// first used (then AM retires the old one), PIN kept unless setNewPin.
// Caller holds mu.
func (s *Sim) replace(old, replacement *token, setNewPin bool) *simFault {
	now := s.opt.Now()
	switch {
	case old.principal == "":
		return badArg("Token %s is not assigned: only an assigned token can be replaced", old.serial)
	case old.replacementMode != 0:
		return badArg("Token %s is already being replaced by %s", old.serial, old.replaceSerial)
	case replacement.principal != "" || replacement.replacementMode != 0:
		return badArg("Token %s is assigned or a replacement already: pick an unassigned token", replacement.serial)
	case !replacement.expires.IsZero() && !replacement.expires.After(now):
		return badArg("Token %s has expired", replacement.serial)
	}
	replacement.principal, replacement.assigned, replacement.enabled = old.principal, now, true
	old.replacementMode, old.replaceSerial = 1, replacement.serial
	replacement.replacementMode, replacement.replaceSerial = 2, old.serial
	if setNewPin {
		replacement.pin, replacement.pinSet, replacement.newPinMode = "", false, true
	} else {
		replacement.pin, replacement.pinSet, replacement.newPinMode = old.pin, old.pinSet, old.newPinMode
	}
	old.rowVersion++
	replacement.rowVersion++
	return nil
}

func (s *Sim) replaceTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	setNewPin, err := in.Bool("setNewPin")
	if err != nil {
		return nil, badArg("setNewPin: %v", err)
	}
	pairs := in.Field("repTknDTO").Items()
	if len(pairs) == 0 {
		return nil, badArg("repTknDTO: at least one ReplaceTokenDTO is required")
	}
	type pair struct{ old, replacement *token }
	var all []pair
	for _, p := range pairs { // every pair is checked before any is changed
		old, f := s.tokenByRef(p.Str("replacingTokenGuid"), "")
		if f != nil {
			return nil, f
		}
		replacement, f := s.tokenByRef(p.Str("replacementTokenGuid"), "")
		if f != nil {
			return nil, f
		}
		all = append(all, pair{old, replacement})
	}
	for _, p := range all {
		if f := s.replace(p.old, p.replacement, setNewPin); f != nil {
			return nil, f
		}
	}
	return reply(in), nil
}

func (s *Sim) replaceWithNext(in *soapenc.Value) (*soapenc.Value, *simFault) {
	setNewPin, err := in.Bool("setNewPin")
	if err != nil {
		return nil, badArg("setNewPin: %v", err)
	}
	old, f := s.tokenByRef(in.Str("tknGuid"), "")
	if f != nil {
		return nil, f
	}
	replacement, f := s.nextAvailable()
	if f != nil {
		return nil, f
	}
	if f := s.replace(old, replacement, setNewPin); f != nil {
		return nil, f
	}
	dto := s.tokenDTO(replacement)
	dto.Name = "replacementTkn"
	return reply(in, dto), nil
}

// resynchronizeToken takes two consecutive tokencodes by serial number
// (helpdesk-ops §2): found within AM's ±12 h, the token's drift is kept
// and its bad-tokencode count and next-tokencode mode cleared; else
// InvalidArgumentException [proposal: the class is not documented].
func (s *Sim) resynchronizeToken(in *soapenc.Value) (*soapenc.Value, *simFault) {
	t, f := s.tokenByRef("", in.Str("tokenSerialNum"))
	if f != nil {
		return nil, f
	}
	first, second := in.Str("firstTokencode"), in.Str("secondTokencode")
	if first == "" || second == "" {
		return nil, badArg("both tokencodes are required")
	}
	if !s.resync(t, first, second) {
		return nil, fault(amproto.ExInvalidArgument, "RESYNC_FAILED",
			"Resynchronization of token %s failed: the tokencodes are not two consecutive codes of the token", t.serial)
	}
	t.badCodeCount, t.nextTokencodeMode = 0, false
	t.rowVersion++
	return reply(in), nil
}

// --- emergency access ---

func (s *Sim) lookupEA(in *soapenc.Value) (*soapenc.Value, *simFault) {
	t, f := s.tokenByRef(in.Str("guid"), "")
	if f != nil {
		return nil, f
	}
	return reply(in, s.eaDTO("tokenEmergencyAccess", t)), nil
}

// eaTarget is the token an emergency-access generate command is for. The
// product resolves the owner's identity source to find the token policy, hence
// the forum's fault for an empty GUID or an unassigned token.
func (s *Sim) eaTarget(in *soapenc.Value) (*token, *simFault) {
	g := in.Str("tokenGuid")
	if g == "" {
		return nil, seedFault()
	}
	t, f := s.tokenByRef(g, "")
	if f != nil {
		return nil, f
	}
	if t.principal == "" {
		return nil, seedFault()
	}
	if !t.expires.IsZero() && !t.expires.After(s.opt.Now()) {
		return nil, badArg("Token %s expired on %s: emergency access needs an unexpired token; assign a replacement token",
			t.serial, t.expires.UTC().Format("2006-01-02"))
	}
	return t, nil
}

func (s *Sim) generateEACode(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if _, f := s.eaTarget(in); f != nil {
		return nil, f
	}
	return reply(in, soapenc.Str("emergencyAccessCode", s.newCode())), nil
}

// maxOTTSetSize caps a one-time code set (proposal: the console offers small sets).
const maxOTTSetSize = 100

func (s *Sim) generateOTTs(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if _, f := s.eaTarget(in); f != nil {
		return nil, f
	}
	n, err := in.Int("setSize")
	if err != nil || n < 1 || n > maxOTTSetSize {
		return nil, badArg("setSize must be between 1 and %d", maxOTTSetSize)
	}
	codes := make([]string, n)
	for i := range codes {
		codes[i] = s.newCode()
	}
	return reply(in, soapenc.StrArray("otts", codes)), nil
}

func (s *Sim) updateEA(in *soapenc.Value) (*soapenc.Value, *simFault) {
	d := in.Field("tokenEmergencyAccessDTO")
	if d == nil || d.Nil {
		return nil, badArg("tokenEmergencyAccessDTO is required")
	}
	id := d.Str("id")
	if id == "" {
		return nil, notFound("TOKEN_NOT_SPECIFIED", "Token-Lookup : Token Guid is not specified")
	}
	t, f := s.tokenByRef(id, "")
	if f != nil {
		return nil, f
	}
	lost, e1 := d.Bool("tokenLost")
	mode, e2 := d.Int("eaMode")
	lostMode, e3 := d.Int("lostMode")
	exp, e4 := d.Time("eaExpiration")
	clearCodes, e5 := d.Bool("clearUnusedCodes")
	online, e6 := d.Bool("validOnlineData")
	for _, err := range []error{e1, e2, e3, e4, e5, e6} {
		if err != nil {
			return nil, badArg("%v", err)
		}
	}
	if !lost || amproto.EAMode(mode) == amproto.EAModeNone {
		// back to normal token use; unused codes and the fixed code are gone
		t.ea = eaState{}
		t.rowVersion++
		return reply(in), nil
	}
	now := s.opt.Now()
	switch {
	case t.principal == "":
		return nil, badArg("Token %s is not assigned: emergency access is only for a token assigned to a user", t.serial)
	case !t.expires.IsZero() && !t.expires.After(now):
		return nil, badArg("Token %s expired on %s: emergency access needs an unexpired token; assign a replacement token",
			t.serial, t.expires.UTC().Format("2006-01-02"))
	case !amproto.EAMode(mode).Valid():
		return nil, badArg("eaMode %d is not one of 0 (none), 1 (temporary fixed tokencode), 2 (one-time tokencode set)", mode)
	case !amproto.LostMode(lostMode).Valid():
		return nil, badArg("lostMode %d is not one of 1 (DISABLE_EA_ON_AUTH), 2 (DISABLE_EA_ON_EXPIRE), 3 (DISABLE_EA_NEVER)", lostMode)
	case !exp.IsZero() && !exp.After(now):
		return nil, badArg("eaExpiration %s is in the past", exp.UTC().Format(time.RFC3339))
	case !exp.IsZero() && exp.After(now.Add(time.Duration(s.opt.EAMaxDays)*24*time.Hour+time.Minute)):
		return nil, badArg("eaExpiration %s is later than the maximum lifetime of %d days (%s)",
			exp.UTC().Format(time.RFC3339), s.opt.EAMaxDays, amproto.EAMaxLifetimeConfig)
	}
	next := eaState{lost: true, mode: amproto.EAMode(mode), lostMode: amproto.LostMode(lostMode), expiration: exp,
		validOnlineData: online, lastEAAuth: t.ea.lastEAAuth, lastTFTAuth: t.ea.lastTFTAuth}
	switch next.mode {
	case amproto.EAModeTemporaryFixedCode:
		code := d.Str("temporaryFixedTokencode")
		if err := amproto.CodePolicyViolation(code); err != "" {
			return nil, badArg("temporaryFixedTokencode %s", err)
		}
		next.tft, next.tftExpiration = code, exp
		if !clearCodes {
			next.otts = t.ea.otts
		}
	case amproto.EAModeOneTimeCodeSet:
		codes := d.Strings("oneTimeTokencodeSet")
		for i, c := range codes {
			if err := amproto.CodePolicyViolation(c); err != "" {
				return nil, badArg("oneTimeTokencodeSet[%d] %s", i, err)
			}
		}
		if !clearCodes {
			codes = append(append([]string{}, t.ea.otts...), codes...)
		}
		if len(codes) == 0 {
			return nil, badArg("oneTimeTokencodeSet is empty: generate codes with GenerateOneTimeTokenCodeSetCommand first")
		}
		next.otts = codes
	}
	t.ea = next
	t.rowVersion++
	return reply(in), nil
}

// codeAlphabet is what generated codes are drawn from (no look-alike characters).
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// newCode returns a policy-compliant code (unambiguous characters only).
func (s *Sim) newCode() string {
	for {
		b := make([]byte, amproto.EACodeSize)
		for i := range b {
			if s.opt.RandomCodes {
				b[i] = codeAlphabet[rand.IntN(len(codeAlphabet))] // math/rand/v2's source: seeded by the system
				continue
			}
			b[i] = codeAlphabet[s.rng.IntN(len(codeAlphabet))]
		}
		if amproto.CodePolicyViolation(string(b)) == "" {
			return string(b)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// extendTokens gives each distributed software token the expiry of an
// unassigned extension record, which is then deleted (helpdesk-ops §8.1).
// Eligible [confirmed: S-doc-extend]: a software token, assigned and
// distributed, not part of a replacement, not an evaluation serial (1–25).
// The extension record [proposal: AM imports them from a token file; the
// simulator takes any unassigned software token]: unassigned, a software
// token, expiring after the token it extends. Every pair is checked before
// any is changed; an ineligible one fails the command with
// InvalidArgumentException [proposal].
func (s *Sim) extendTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	pairs := in.Field("extTknDTO").Items()
	if len(pairs) == 0 {
		return nil, badArg("extTknDTO: at least one ExtendTokenDTO is required")
	}
	type pair struct{ token, ext *token }
	var all []pair
	seen := map[*token]bool{}
	for _, p := range pairs {
		t, f := s.tokenByRef(p.Str("extendedTokenGuid"), "")
		if f != nil {
			return nil, f
		}
		ext, f := s.tokenByRef(p.Str("extentionTokenGuid"), "")
		if f != nil {
			return nil, f
		}
		serialNo, _ := strconv.Atoi(t.serial)
		switch {
		case t.typ != amproto.TokenTypeSoftID:
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Token %s is not a software token: only software tokens can be extended (replace a hardware token)", t.serial)
		case t.principal == "" || !t.distributed:
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Token %s is not distributed to a user", t.serial)
		case t.replacementMode != 0:
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Token %s is being replaced", t.serial)
		case serialNo >= 1 && serialNo <= 25:
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Token %s is an evaluation token", t.serial)
		case ext.principal != "" || ext.typ != amproto.TokenTypeSoftID || ext.replacementMode != 0:
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Token %s is not an unassigned extension token record", ext.serial)
		case !ext.expires.After(t.expires):
			return nil, fault(amproto.ExInvalidArgument, "TOKEN_EXTEND_ERROR", "Extension token %s expires on %s, not after token %s (%s)",
				ext.serial, ext.expires.Format("2006-01-02"), t.serial, t.expires.Format("2006-01-02"))
		case seen[t] || seen[ext] || t == ext:
			return nil, badArg("extTknDTO: token %s or %s named twice", t.serial, ext.serial)
		}
		seen[t], seen[ext] = true, true
		all = append(all, pair{t, ext})
	}
	for _, p := range all {
		p.token.expires, p.token.extended, p.token.extensionSerial = p.ext.expires, true, p.ext.serial
		p.token.rowVersion++
		delete(s.tokens, p.ext.guid)
		delete(s.bySerial, p.ext.serial)
	}
	return reply(in), nil
}
