package am

import (
	"fmt"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
	"github.com/rsatui/rsatui/internal/secret"
)

// Typed enums of the AM API, re-exported so callers need only this package.
type (
	EAMode    = amproto.EAMode
	LostMode  = amproto.LostMode
	Algorithm = amproto.Algorithm
	TokenType = amproto.TokenType
	PinType   = amproto.PinType
)

// Secret is a tokencode or password; it never prints its value.
type Secret = secret.Secret

// IdentitySource is an IdentitySourceDTO (the fields rsatui uses).
type IdentitySource struct {
	GUID, Name, Description string
	Internal, ReadOnly      bool
	SecurityDomainGUID      string
	SecurityDomainName      string
}

// SecurityDomain is a SecurityDomainDTO.
type SecurityDomain struct {
	GUID, Name string
	TopLevel   bool
}

// Realm is a RealmDTO. (It has no guid or name of its own: a realm is named
// by its top-level security domain.)
type Realm struct {
	TopLevelSecurityDomain SecurityDomain
	IdentitySources        []IdentitySource
}

// Principal is a PrincipalDTO (an AM user, resolved from an identity source).
type Principal struct {
	GUID, UserID        string
	FirstName, LastName string
	Email               string
	IdentitySourceGUID  string
	SecurityDomainGUID  string
	Enabled, Locked     bool
	LockoutExpires      time.Time // when AM unlocks by itself (zero: an admin must)
	FailedCount         int       // failed passcodes the lockout policy counted
	LastLogin           time.Time
}

// TokenSummary is a ListTokenDTO: what ListTokensByPrincipal returns.
type TokenSummary struct {
	GUID, Serial       string
	AssignedUser       string
	SecurityDomain     string
	Enabled, Lost      bool
	NewPinMode         bool
	NextTokencodeMode  bool
	PinSet             bool
	PinType            PinType
	TokenType          TokenType
	Algorithm          string
	Expires, LastLogin time.Time
	// ReplacementMode and ReplaceSerial as on Token (the list names the
	// other token in replacedBy or willReplace [inferred from the names]).
	ReplacementMode int
	ReplaceSerial   string
	// ExtensionMode is ExtensionExtended once AM extended the token's
	// lifetime (helpdesk-ops §8.1).
	ExtensionMode int
}

// AsToken is what the list says of a token, for a screen to show when its
// full record could not be read. owner is the principal whose list it came
// from.
func (s TokenSummary) AsToken(owner string) Token {
	return Token{GUID: s.GUID, Serial: s.Serial, Enabled: s.Enabled, Lost: s.Lost, NewPinMode: s.NewPinMode,
		NextTokencodeMode: s.NextTokencodeMode, PinSet: s.PinSet, PinType: s.PinType, TokenType: s.TokenType,
		Expires: s.Expires, LastLogin: s.LastLogin, AssignedUserName: s.AssignedUser, PrincipalGUID: owner,
		ReplacementMode: s.ReplacementMode, ReplaceSerial: s.ReplaceSerial}
}

// replacementMode values (helpdesk-ops §6.3, the constants of AM's
// TokenDTO): after a replace the old token is ReplacementPending and the
// new one ReplacementNew, both assigned; on the new one's first use AM
// retires the old one.
const (
	ReplacementPending = 1 // HAS_REPLACEMENT_TKN: this token is being replaced
	ReplacementNew     = 2 // IS_REPLACEMENT_TKN: this token replaces another
	// ReplacementRetired: HAS_BEEN_REPLACED — AM retired this token when
	// its replacement was first used (unassigned, its old PIN still set)
	ReplacementRetired = 3
)

// extensionMode values (TokenDTO's constants, helpdesk-ops §8.1).
const (
	ExtensionNone     = 0 // NO_EXTENTION_TKN
	ExtensionExtended = 1 // HAS_BEEN_EXTENDED
)

// Retired reports whether AM retired the token after its replacement was
// used: back in the pool, but a lost or broken one.
func (s TokenSummary) Retired() bool { return s.ReplacementMode == ReplacementRetired }

// Token is a TokenDTO: the full token record.
type Token struct {
	GUID, Serial       string
	Enabled, Lost      bool
	NewPinMode         bool
	NextTokencodeMode  bool
	PinSet             bool
	PinType            PinType
	Algorithm          Algorithm
	TokenType          TokenType
	CodeLength         int
	Interval           int
	Start, Expires     time.Time
	LastLogin          time.Time
	AssignedOn         time.Time
	PinModified        time.Time // datePinModified: set, cleared or changed last
	EnableModified     time.Time // dateEnableFlagModified: enabled or disabled last
	AssignedUserID     string    // the login name; empty when unassigned
	AssignedUserName   string
	PrincipalGUID      string
	SecurityDomainGUID string
	BadCodeCount       int
	RowVersion         int
	Notes              string
	// ReplacementMode says whether the token is one of a replacement pair
	// (ReplacementPending, ReplacementNew); ReplaceSerial is the other token.
	ReplacementMode int
	ReplaceSerial   string
	// ExtensionMode is ExtensionExtended once its lifetime was extended,
	// ExtensionSerial then the extension record that gave its expiry.
	ExtensionMode   int
	ExtensionSerial string
	// record is the whole TokenDTO as AM sent it: UpdateTokenCommand takes
	// the complete record back, changed (helpdesk-ops §1.2), never one
	// rebuilt from the fields above (what rsatui does not know would be
	// sent as blanks).
	record *soapenc.Value
}

// Assigned reports whether the token belongs to a user.
func (t Token) Assigned() bool { return t.AssignedUserID != "" || t.PrincipalGUID != "" }

// EmergencyAccess is a TokenEmergencyAccessDTO. Field meanings: rsa-am-api.md §7.4.
type EmergencyAccess struct {
	TokenGUID               string // DTO field "id"
	Serial                  string
	TokenType               TokenType
	Algorithm               Algorithm
	Lost                    bool
	Mode                    EAMode
	LostMode                LostMode
	TemporaryFixedTokencode Secret
	TFTExpiration           time.Time
	LastTFTAuth             time.Time
	OneTimeCodes            []Secret // only on update; AM never returns them
	NumUnusedCodes          int
	ClearUnusedCodes        bool
	Expiration              time.Time // eaExpiration; zero = no expiration
	LastEAAuth              time.Time
	ValidOnlineData         bool
	OfflineCode             Secret
	OfflineCodeExpires      time.Time
	OfflineCodeAllowed      bool
	DownloadNewOfflineCode  bool
	OfflineAuthAllowed      bool
	ValidOfflineData        bool
	ValidDownloadedData     bool
}

// Active reports whether online emergency access is on.
func (e EmergencyAccess) Active() bool { return e.Lost && e.Mode != amproto.EAModeNone }

// reader reads typed members of a reply value, keeping the first error, so a
// DTO decoder is a flat list of assignments with one error check at the end.
type reader struct {
	v   *soapenc.Value
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil && err != nil {
		r.err = fmt.Errorf("%w: %s: %v", ErrMalformedReply, r.v.Type.Local, err)
	}
}

// field returns member name. Reading a name AM's class does not have is a
// bug of the decoder's (it would always read as empty): refused.
func (r *reader) field(name string) *soapenc.Value {
	if _, ok := amtypes.MemberOf(r.v.Type, name); !ok && amtypes.Lookup(r.v.Type) != nil {
		r.fail(fmt.Errorf("%s is not a member of AM's %s", name, r.v.Type.Local))
	}
	return r.v.Field(name)
}

func (r *reader) str(name string) string {
	if f := r.field(name); !f.IsNil() {
		return f.Text
	}
	return ""
}

func (r *reader) int(name string) int {
	n, err := r.field(name).AsInt(name)
	r.fail(err)
	return n
}

func (r *reader) bool(name string) bool {
	b, err := r.field(name).AsBool(name)
	r.fail(err)
	return b
}

func (r *reader) time(name string) time.Time {
	t, err := r.field(name).AsTime(name)
	r.fail(err)
	return t
}

func expectType(v *soapenc.Value, want soapenc.QName) error {
	if v.IsNil() {
		return fmt.Errorf("%w: missing %s", ErrMalformedReply, want.Local)
	}
	// Axis may omit xsi:type on a member whose declared type is exact; accept that.
	if !v.Type.IsZero() && v.Type != want {
		return fmt.Errorf("%w: got %s where %s was expected", ErrMalformedReply, v.Type, want.Local)
	}
	return nil
}

func decodeIdentitySource(v *soapenc.Value) (IdentitySource, error) {
	if err := expectType(v, amproto.IdentitySourceDTO); err != nil {
		return IdentitySource{}, err
	}
	r := reader{v: v}
	is := IdentitySource{GUID: r.str("guid"), Name: r.str("name"), Description: r.str("description"),
		Internal: r.bool("internal"), ReadOnly: r.bool("readOnly"),
		SecurityDomainGUID: r.str("securityDomainGuid"), SecurityDomainName: r.str("securityDomainName")}
	return is, r.err
}

func decodeSecurityDomain(v *soapenc.Value) (SecurityDomain, error) {
	if err := expectType(v, amproto.SecurityDomainDTO); err != nil {
		return SecurityDomain{}, err
	}
	r := reader{v: v}
	return SecurityDomain{GUID: r.str("guid"), Name: r.str("name"), TopLevel: r.bool("topLevel")}, r.err
}

func decodeRealm(v *soapenc.Value) (Realm, error) {
	if err := expectType(v, amproto.RealmDTO); err != nil {
		return Realm{}, err
	}
	r := reader{v: v}
	var realm Realm
	if sd := v.Field("topLevelSecurityDomain"); !sd.IsNil() {
		d, err := decodeSecurityDomain(sd)
		r.fail(err)
		realm.TopLevelSecurityDomain = d
	}
	for _, it := range v.Field("identitySources").Items() {
		is, err := decodeIdentitySource(it)
		r.fail(err)
		realm.IdentitySources = append(realm.IdentitySources, is)
	}
	return realm, r.err
}

func decodePrincipal(v *soapenc.Value) (Principal, error) {
	if err := expectType(v, amproto.PrincipalDTO); err != nil {
		return Principal{}, err
	}
	r := reader{v: v}
	p := Principal{Email: r.str("email"), Enabled: r.bool("enabled"), FirstName: r.str("firstName"),
		GUID: r.str("guid"), IdentitySourceGUID: r.str("identitySourceGuid"), LastLogin: r.time("lastLogin"),
		LastName: r.str("lastName"), Locked: r.bool("lockoutStatus"), LockoutExpires: r.time("lockoutExpireDate"),
		FailedCount:        r.int("failedPasswordCount"),
		SecurityDomainGUID: r.str("securityDomainGuid"), UserID: r.str("userID")}
	return p, r.err
}

func decodeTokenSummary(v *soapenc.Value) (TokenSummary, error) {
	if err := expectType(v, amproto.ListTokenDTO); err != nil {
		return TokenSummary{}, err
	}
	r := reader{v: v}
	t := TokenSummary{Algorithm: r.str("algorithm"), AssignedUser: r.str("assignedUser"), Enabled: r.bool("enable"),
		Expires: r.time("expirationDate"), GUID: r.str("guid"), LastLogin: r.time("lastLoginDate"),
		NewPinMode: r.bool("newPinMode"), NextTokencodeMode: r.bool("nextTokenMode"), PinSet: r.bool("pinSet"),
		PinType: PinType(r.int("pinType")), SecurityDomain: r.str("securityDomainName"), Serial: r.str("serialNumber"),
		Lost: r.bool("tokenLost"), TokenType: TokenType(r.int("tokenType")), ReplacementMode: r.int("replacementMode"),
		ExtensionMode: r.int("extensionMode")}
	switch t.ReplacementMode {
	case ReplacementPending:
		t.ReplaceSerial = r.str("replacedBy")
	case ReplacementNew:
		t.ReplaceSerial = r.str("willReplace")
	}
	return t, r.err
}

func decodeToken(v *soapenc.Value) (Token, error) {
	if err := expectType(v, amproto.TokenDTO); err != nil {
		return Token{}, err
	}
	r := reader{v: v}
	t := Token{Algorithm: Algorithm(r.int("algorithm")), AssignedUserID: r.str("assignedUserId"),
		AssignedUserName: r.str("assignedUserName"), BadCodeCount: r.int("badTokenCodeCount"),
		LastLogin: r.time("dateLastLogin"), AssignedOn: r.time("dateTokenAssigned"),
		PinModified: r.time("datePinModified"), EnableModified: r.time("dateEnableFlagModified"),
		Expires: r.time("dateTokenShutdown"), Start: r.time("dateTokenStart"), GUID: r.str("id"),
		NewPinMode: r.bool("newPinMode"), NextTokencodeMode: r.bool("nextTokenCodeMode"), Notes: r.str("notes"),
		PinSet: r.bool("pinIsSet"), PinType: PinType(r.int("pinType")), PrincipalGUID: r.str("principalId"),
		RowVersion: r.int("rowVersion"), SecurityDomainGUID: r.str("securityDomainId"), Serial: r.str("serialNumber"),
		Interval: r.int("tokenCodeInterval"), CodeLength: r.int("tokenCodeLength"), Enabled: r.bool("tokenEnabled"),
		Lost: r.bool("tokenLost"), TokenType: TokenType(r.int("tokenType")), ReplacementMode: r.int("replacementMode"),
		ReplaceSerial: r.str("replaceTknSN"), ExtensionMode: r.int("extensionMode"), ExtensionSerial: r.str("extensionTknSN"), record: v.Clone()}
	return t, r.err
}

func decodeEmergencyAccess(v *soapenc.Value) (EmergencyAccess, error) {
	if err := expectType(v, amproto.TokenEmergencyAccessDTO); err != nil {
		return EmergencyAccess{}, err
	}
	r := reader{v: v}
	e := EmergencyAccess{Algorithm: Algorithm(r.int("algorithm")), ClearUnusedCodes: r.bool("clearUnusedCodes"),
		DownloadNewOfflineCode: r.bool("downloadNewEaTokenCode"), Expiration: r.time("eaExpiration"),
		Mode: EAMode(r.int("eaMode")), OfflineCodeExpires: r.time("eacExpiresOn"),
		OfflineCode: Secret(r.str("emergencyAccessTokenCode")), OfflineCodeAllowed: r.bool("emergencyAccessTokenCodeAllowed"),
		TokenGUID: r.str("id"), LastEAAuth: r.time("lastEaAuth"), LastTFTAuth: r.time("lastTFTAuth"),
		LostMode: LostMode(r.int("lostMode")), NumUnusedCodes: r.int("numUnusedCodes"),
		OfflineAuthAllowed: r.bool("offlineAuthAllowed")}
	for _, c := range r.field("oneTimeTokencodeSet").Items() {
		if !c.IsNil() {
			e.OneTimeCodes = append(e.OneTimeCodes, Secret(c.Text))
		}
	}
	e.Serial, e.TemporaryFixedTokencode = r.str("serialNumber"), Secret(r.str("temporaryFixedTokencode"))
	e.TFTExpiration, e.Lost, e.TokenType = r.time("tftExpiration"), r.bool("tokenLost"), TokenType(r.int("tokenType"))
	e.ValidDownloadedData, e.ValidOfflineData = r.bool("validDownloadedData"), r.bool("validOfflineData")
	e.ValidOnlineData = r.bool("validOnlineData")
	return e, r.err
}

// encode writes the DTO for UpdateTokenEmergencyAccessCommand, every member
// present (nil when empty) as RSA's own proxy sends it.
func (e EmergencyAccess) encode(name string) *soapenc.Value {
	var codes *soapenc.Value
	if e.OneTimeCodes != nil {
		s := make([]string, len(e.OneTimeCodes))
		for i, c := range e.OneTimeCodes {
			s[i] = c.Reveal()
		}
		codes = soapenc.StrArray("oneTimeTokencodeSet", s)
	} else {
		codes = soapenc.Nil("oneTimeTokencodeSet")
	}
	return soapenc.Obj(name, amproto.TokenEmergencyAccessDTO,
		soapenc.Int("algorithm", int(e.Algorithm)),
		soapenc.Bool("clearUnusedCodes", e.ClearUnusedCodes),
		soapenc.Bool("downloadNewEaTokenCode", e.DownloadNewOfflineCode),
		soapenc.Time("eaExpiration", e.Expiration),
		soapenc.Int("eaMode", int(e.Mode)),
		soapenc.Time("eacExpiresOn", e.OfflineCodeExpires),
		soapenc.OptStr("emergencyAccessTokenCode", e.OfflineCode.Reveal()),
		soapenc.Bool("emergencyAccessTokenCodeAllowed", e.OfflineCodeAllowed),
		soapenc.OptStr("id", e.TokenGUID),
		soapenc.Time("lastEaAuth", e.LastEAAuth),
		soapenc.Time("lastTFTAuth", e.LastTFTAuth),
		soapenc.Int("lostMode", int(e.LostMode)),
		soapenc.Int("numUnusedCodes", e.NumUnusedCodes),
		soapenc.Bool("offlineAuthAllowed", e.OfflineAuthAllowed),
		codes,
		soapenc.OptStr("serialNumber", e.Serial),
		soapenc.OptStr("temporaryFixedTokencode", e.TemporaryFixedTokencode.Reveal()),
		soapenc.Time("tftExpiration", e.TFTExpiration),
		soapenc.Bool("tokenLost", e.Lost),
		soapenc.Int("tokenType", int(e.TokenType)),
		soapenc.Bool("validDownloadedData", e.ValidDownloadedData),
		soapenc.Bool("validOfflineData", e.ValidOfflineData),
		soapenc.Bool("validOnlineData", e.ValidOnlineData),
	)
}
