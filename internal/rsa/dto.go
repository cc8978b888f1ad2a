package rsa

import (
	"fmt"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
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

// Realm is a RealmDTO.
type Realm struct {
	GUID, Name             string
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
}

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
	AssignedUserID     string // the login name; empty when unassigned
	AssignedUserName   string
	PrincipalGUID      string
	SecurityDomainGUID string
	BadCodeCount       int
	RowVersion         int
	Notes              string
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
	v   soapenc.Node
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil && err != nil {
		r.err = fmt.Errorf("%w: %s: %v", ErrMalformedReply, r.v.Type().Local, err)
	}
}

func (r *reader) str(name string) string { return r.v.Str(name) }

func (r *reader) int(name string) int {
	n, err := r.v.Int(name)
	r.fail(err)
	return n
}

func (r *reader) bool(name string) bool {
	b, err := r.v.Bool(name)
	r.fail(err)
	return b
}

func (r *reader) time(name string) time.Time {
	t, err := r.v.Time(name)
	r.fail(err)
	return t
}

func expectType(v soapenc.Node, want soapenc.QName) error {
	if v.IsNil() {
		return fmt.Errorf("%w: missing %s", ErrMalformedReply, want.Local)
	}
	// Axis may omit xsi:type on a member whose declared type is exact; accept that.
	if v.Typed() && !v.HasType(want) {
		return fmt.Errorf("%w: got %s where %s was expected", ErrMalformedReply, v.Type(), want.Local)
	}
	return nil
}

func decodeIdentitySource(v soapenc.Node) (IdentitySource, error) {
	if err := expectType(v, amproto.IdentitySourceDTO); err != nil {
		return IdentitySource{}, err
	}
	r := reader{v: v}
	is := IdentitySource{GUID: r.str("guid"), Name: r.str("name"), Description: r.str("description"),
		Internal: r.bool("internal"), ReadOnly: r.bool("readOnly"),
		SecurityDomainGUID: r.str("securityDomainGuid"), SecurityDomainName: r.str("securityDomainName")}
	return is, r.err
}

func decodeSecurityDomain(v soapenc.Node) (SecurityDomain, error) {
	if err := expectType(v, amproto.SecurityDomainDTO); err != nil {
		return SecurityDomain{}, err
	}
	r := reader{v: v}
	return SecurityDomain{GUID: r.str("guid"), Name: r.str("name"), TopLevel: r.bool("topLevel")}, r.err
}

func decodeRealm(v soapenc.Node) (Realm, error) {
	if err := expectType(v, amproto.RealmDTO); err != nil {
		return Realm{}, err
	}
	r := reader{v: v}
	realm := Realm{GUID: r.str("guid"), Name: r.str("name")}
	if sd := v.Field("topLevelSecurityDomain"); !sd.IsNil() {
		d, err := decodeSecurityDomain(sd)
		r.fail(err)
		realm.TopLevelSecurityDomain = d
	}
	for it := range v.Field("identitySources").Items {
		is, err := decodeIdentitySource(it)
		r.fail(err)
		realm.IdentitySources = append(realm.IdentitySources, is)
	}
	return realm, r.err
}

func decodePrincipal(v soapenc.Node) (Principal, error) {
	if err := expectType(v, amproto.PrincipalDTO); err != nil {
		return Principal{}, err
	}
	r := reader{v: v}
	p := Principal{GUID: r.str("guid"), UserID: r.str("userID"), FirstName: r.str("firstName"),
		LastName: r.str("lastName"), Email: r.str("email"), IdentitySourceGUID: r.str("identitySourceGuid"),
		SecurityDomainGUID: r.str("securityDomainGuid"), Enabled: r.bool("enabled"),
		Locked: r.bool("lockoutStatus"), LastLogin: r.time("lastLogin")}
	return p, r.err
}

func decodeTokenSummary(v soapenc.Node) (TokenSummary, error) {
	if err := expectType(v, amproto.ListTokenDTO); err != nil {
		return TokenSummary{}, err
	}
	r := reader{v: v}
	t := TokenSummary{GUID: r.str("guid"), Serial: r.str("serialNumber"), AssignedUser: r.str("assignedUser"),
		SecurityDomain: r.str("securityDomainName"), Enabled: r.bool("enable"), Lost: r.bool("tokenLost"),
		NewPinMode: r.bool("newPinMode"), NextTokencodeMode: r.bool("nextTokenMode"), PinSet: r.bool("pinSet"),
		PinType: PinType(r.int("pinType")), TokenType: TokenType(r.int("tokenType")), Algorithm: r.str("algorithm"),
		Expires: r.time("expirationDate"), LastLogin: r.time("lastLoginDate")}
	return t, r.err
}

func decodeToken(v soapenc.Node) (Token, error) {
	if err := expectType(v, amproto.TokenDTO); err != nil {
		return Token{}, err
	}
	r := reader{v: v}
	t := Token{GUID: r.str("id"), Serial: r.str("serialNumber"), Enabled: r.bool("tokenEnabled"),
		Lost: r.bool("tokenLost"), NewPinMode: r.bool("newPinMode"), NextTokencodeMode: r.bool("nextTokenCodeMode"),
		PinSet: r.bool("pinIsSet"), PinType: PinType(r.int("pinType")), Algorithm: Algorithm(r.int("algorithm")),
		TokenType: TokenType(r.int("tokenType")), CodeLength: r.int("tokenCodeLength"),
		Interval: r.int("tokenCodeInterval"), Start: r.time("dateTokenStart"), Expires: r.time("dateTokenShutdown"),
		LastLogin: r.time("dateLastLogin"), AssignedOn: r.time("dateTokenAssigned"),
		AssignedUserID: r.str("assignedUserId"), AssignedUserName: r.str("assignedUserName"),
		PrincipalGUID: r.str("principalId"), SecurityDomainGUID: r.str("securityDomainId"),
		BadCodeCount: r.int("badTokenCodeCount"), RowVersion: r.int("rowVersion"), Notes: r.str("notes")}
	return t, r.err
}

func decodeEmergencyAccess(v soapenc.Node) (EmergencyAccess, error) {
	if err := expectType(v, amproto.TokenEmergencyAccessDTO); err != nil {
		return EmergencyAccess{}, err
	}
	r := reader{v: v}
	e := EmergencyAccess{TokenGUID: r.str("id"), Serial: r.str("serialNumber"),
		TokenType: TokenType(r.int("tokenType")), Algorithm: Algorithm(r.int("algorithm")),
		Lost: r.bool("tokenLost"), Mode: EAMode(r.int("eaMode")), LostMode: LostMode(r.int("lostMode")),
		TemporaryFixedTokencode: Secret(r.str("temporaryFixedTokencode")),
		TFTExpiration:           r.time("tftExpiration"), LastTFTAuth: r.time("lastTFTAuth"),
		NumUnusedCodes: r.int("numUnusedCodes"), ClearUnusedCodes: r.bool("clearUnusedCodes"),
		Expiration: r.time("eaExpiration"), LastEAAuth: r.time("lastEaAuth"),
		ValidOnlineData: r.bool("validOnlineData"), OfflineCode: Secret(r.str("emergencyAccessTokenCode")),
		OfflineCodeExpires: r.time("eacExpiresOn"), OfflineCodeAllowed: r.bool("emergencyAccessTokenCodeAllowed"),
		DownloadNewOfflineCode: r.bool("downloadNewEaTokenCode"), OfflineAuthAllowed: r.bool("offlineAuthAllowed"),
		ValidOfflineData: r.bool("validOfflineData"), ValidDownloadedData: r.bool("validDownloadedData")}
	for _, c := range v.Strings("oneTimeTokencodeSet") {
		e.OneTimeCodes = append(e.OneTimeCodes, Secret(c))
	}
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
