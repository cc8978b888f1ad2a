package amsim

import (
	"strings"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// The classes the simulator serves, with their members in the order the 8.4
// WSDL declares them (base class first, then the subclass alphabetically). This
// one table drives both the WSDL (wsdl.go) and the simulator's replies (every
// declared member written, nil when unset, as Axis does), so the two cannot
// disagree.
//
// Member type syntax: xsd built-ins by name (string, int, boolean, dateTime,
// anyType), "pfx:Class" for a bean, "[]x" for a soapenc:Array of x.

var prefixes = map[string]string{
	"cmd":    amproto.NSCommand,
	"common": amproto.NSCommon,
	"exc":    amproto.NSException,
	"authn":  amproto.NSAuthn,
	"authnd": amproto.NSAuthnData,
	"admin":  amproto.NSAdmin,
	"admind": amproto.NSAdminData,
	"search": amproto.NSSearch,
	"tok":    amproto.NSTokenMgt,
	"tokd":   amproto.NSTokenData,
	"ws":     amproto.NSWebService,
}

type member struct {
	name, typ string
}

type class struct {
	q       soapenc.QName
	base    soapenc.QName
	members []member
}

func qn(s string) soapenc.QName {
	p, l, _ := strings.Cut(s, ":")
	return soapenc.QName{Space: prefixes[p], Local: l}
}

func def(name, base, members string) class {
	c := class{q: qn(name)}
	if base != "" {
		c.base = qn(base)
	}
	for _, m := range strings.Fields(members) {
		n, t, _ := strings.Cut(m, ":")
		c.members = append(c.members, member{n, t})
	}
	return c
}

const cmdBase = "cmd:TargetableCommand"

var classList = []class{
	def("cmd:TargetableCommand", "", "backgroundCommand:boolean commandJobId:anyType schedule:anyType"),
	def("common:LocalizableException", "", "message:string messageKey:string parameters:[]anyType"),
	def("cmd:CommandException", "common:LocalizableException", ""),
	def("common:SystemException", "common:LocalizableException", ""),
	def("cmd:InvalidSessionException", "cmd:CommandException", ""),
	def("cmd:SessionNotFoundException", "cmd:CommandException", ""),
	def("cmd:CommandRejectedException", "cmd:CommandException", ""),
	def("exc:DataNotFoundException", "cmd:CommandException", ""),
	def("exc:InvalidArgumentException", "cmd:CommandException", ""),
	def("exc:InsufficientPrivilegeException", "cmd:CommandException", ""),
	def("exc:ConcurrentUpdateException", "cmd:CommandException", ""),
	def("authn:AuthenticationCommandException", "cmd:CommandException", ""),

	def("authnd:AbstractParameterDTO", "", "helpObject:anyType promptKey:string type:string"),
	def("authnd:FieldParameterDTO", "authnd:AbstractParameterDTO", "editable:boolean masked:boolean value:string"),
	def("authnd:MessageDTO", "", "arguments:[]anyType key:string reasonCode:int"),
	def("authn:LoginCommand", cmdBase, "agentId:string authenticateUnregisteredUser:boolean authenticationMethodId:string "+
		"authenticationState:string authenticationStep:string emergencyAuthentication:boolean "+
		"hiddenParameters:[]authnd:AbstractParameterDTO identitySourceGuid:string message:authnd:MessageDTO "+
		"netAddress:anyType parameters:[]authnd:AbstractParameterDTO policyGuid:string principalGuid:string "+
		"principalRegistered:boolean sessionId:string usingTransientSession:boolean"),
	def("authn:LogoutCommand", cmdBase, "sessionId:string"),

	def("search:Filter", "", "comp:anyType"),
	def("search:Simple", "", "attr:string core:boolean type:anyType value:anyType"),
	def("search:Equal", "", ""),
	def("search:Like", "", ""),
	def("search:Empty", "", ""),

	def("admind:SecurityDomainDTO", "", "description:string guid:string name:string parentGuid:string "+
		"parentName:string rowVersion:int topLevel:boolean"),
	def("admind:IdentitySourceDTO", "", "description:string guid:string internal:boolean name:string "+
		"principalBaseDN:string readOnly:boolean securityDomainGuid:string securityDomainName:string srcType:string"),
	def("admind:RealmDTO", "", "guid:string identitySources:[]admind:IdentitySourceDTO name:string "+
		"topLevelSecurityDomain:admind:SecurityDomainDTO"),
	def("admind:PrincipalDTO", "", "description:string email:string enabled:boolean firstName:string guid:string "+
		"identitySourceGuid:string lastLogin:dateTime lastName:string lockoutStatus:boolean middleName:string "+
		"rowVersion:int securityDomainGuid:string userID:string"),

	def("admin:SearchRealmsCommand", cmdBase, "filter:search:Filter limit:int realms:[]admind:RealmDTO"),
	def("admin:GetIdentitySourcesCommand", cmdBase, "excludeRTSources:boolean identitySourceScope:string "+
		"identitySources:[]admind:IdentitySourceDTO securityDomainGuid:string"),
	def("admin:LookupIdentitySourceCommand", cmdBase, "guid:string identitySource:admind:IdentitySourceDTO"),
	def("admin:SearchPrincipalsCommand", cmdBase, "attributeMask:[]string extendedAttributeGuids:[]string "+
		"filter:search:Filter groupGuid:string identitySourceGuid:string limit:int onlyRegistered:boolean "+
		"onlyUnregistered:boolean principals:[]admind:PrincipalDTO searchSubDomains:boolean "+
		"securityDomainGuid:string systemFilter:search:Filter"),
	def("admin:LookupPrincipalCommand", cmdBase, "flushEntry:boolean guid:string identitySourceGuid:string principal:admind:PrincipalDTO"),

	def("tokd:ListTokenDTO", "", "algorithm:string assignedUser:string enable:boolean expirationDate:dateTime "+
		"guid:string lastLoginDate:dateTime newPinMode:boolean nextTokenMode:boolean pinSet:boolean pinType:int "+
		"securityDomainName:string serialNumber:string tokenLost:boolean tokenType:int"),
	def("tokd:TokenDTO", "", "algorithm:int assignedById:string assignedUserId:string assignedUserName:string "+
		"badTokenCodeCount:int dateLastLogin:dateTime dateTokenAssigned:dateTime dateTokenShutdown:dateTime "+
		"dateTokenStart:dateTime id:string newPinMode:boolean nextTokenCodeMode:boolean notes:string pinIsSet:boolean "+
		"pinType:int principalId:string rowVersion:int securityDomainId:string serialNumber:string "+
		"tokenCodeInterval:int tokenCodeLength:int tokenEnabled:boolean tokenLost:boolean tokenType:int"),
	def("tokd:TokenEmergencyAccessDTO", "", "algorithm:int clearUnusedCodes:boolean downloadNewEaTokenCode:boolean "+
		"eaExpiration:dateTime eaMode:int eacExpiresOn:dateTime emergencyAccessTokenCode:string "+
		"emergencyAccessTokenCodeAllowed:boolean id:string lastEaAuth:dateTime lastTFTAuth:dateTime lostMode:int "+
		"numUnusedCodes:int offlineAuthAllowed:boolean oneTimeTokencodeSet:[]string serialNumber:string "+
		"temporaryFixedTokencode:string tftExpiration:dateTime tokenLost:boolean tokenType:int "+
		"validDownloadedData:boolean validOfflineData:boolean validOnlineData:boolean"),

	def("tok:ListTokensByPrincipalCommand", cmdBase, "principalId:string tokenDTOs:[]tokd:ListTokenDTO"),
	def("tok:LookupTokenCommand", cmdBase, "guid:string serialNumber:string token:tokd:TokenDTO"),
	def("tok:LinkTokensWithPrincipalCommand", cmdBase, "linkedTokens:[]anyType principalGuid:string returnTokens:boolean tokenGuids:[]string"),
	def("tok:UnlinkTokensFromPrincipalsCommand", cmdBase, "tokenGuids:[]string"),
	def("tok:EnableTokensCommand", cmdBase, "enable:boolean tokenGuids:[]string"),
	def("tok:LookupTokenEmergencyAccessCommand", cmdBase, "guid:string tokenEmergencyAccess:tokd:TokenEmergencyAccessDTO"),
	def("tok:UpdateTokenEmergencyAccessCommand", cmdBase, "tokenEmergencyAccessDTO:tokd:TokenEmergencyAccessDTO"),
	def("tok:GenerateEmergencyAccessCodeCommand", cmdBase, "emergencyAccessCode:string tokenGuid:string"),
	def("tok:GenerateOneTimeTokenCodeSetCommand", cmdBase, "otts:[]string setSize:int tokenGuid:string"),
}

var classes = func() map[soapenc.QName]*class {
	m := make(map[soapenc.QName]*class, len(classList))
	for i := range classList {
		m[classList[i].q] = &classList[i]
	}
	return m
}()

// allMembers returns the members of c including inherited ones, base first.
func allMembers(c *class) []member {
	if c.base.IsZero() {
		return c.members
	}
	return append(append([]member{}, allMembers(classes[c.base])...), c.members...)
}

// isCommand reports whether q names a command the simulator knows.
func isCommand(q soapenc.QName) bool {
	c, ok := classes[q]
	return ok && c.base == amproto.TargetableCommand
}

// obj writes an object of class q with every declared member, taking values
// from set (by member name) and nil for the rest.
func obj(name string, q soapenc.QName, set ...*soapenc.Value) *soapenc.Value {
	c := classes[q]
	if c == nil {
		panic("amsim: class not in schema: " + q.String()) // programming error, caught by tests
	}
	given := make(map[string]*soapenc.Value, len(set))
	for _, v := range set {
		given[v.Name] = v
	}
	out := &soapenc.Value{Name: name, Type: q}
	for _, m := range allMembers(c) {
		if v, ok := given[m.name]; ok {
			out.Fields = append(out.Fields, v)
			delete(given, m.name)
			continue
		}
		out.Fields = append(out.Fields, zero(m))
	}
	if len(given) > 0 {
		for n := range given {
			panic("amsim: " + q.Local + " has no member " + n)
		}
	}
	return out
}

// zero is an unset member: Java primitives (not nillable in the WSDL) are sent
// as their default value, references as xsi:nil.
func zero(m member) *soapenc.Value {
	switch m.typ {
	case "int":
		return soapenc.Int(m.name, 0)
	case "long":
		return soapenc.Long(m.name, 0)
	case "boolean":
		return soapenc.Bool(m.name, false)
	}
	return soapenc.Nil(m.name)
}

// normalize repairs, in place, what WSDL-driven toolkits send for SOAP-encoded
// arrays of objects. zeep (issues #521, #897) writes the members of every item
// straight into the array element, without item wrappers or arrayType:
//
//	<parameters><promptKey>A</promptKey><value>x</value><promptKey>B</promptKey>…</parameters>
//
// Using the declared member types, such a run is cut back into items, a new
// item starting whenever a member name repeats.
func normalize(v *soapenc.Value, q soapenc.QName) {
	c := classes[q]
	if v == nil || v.Nil || c == nil {
		return
	}
	for _, m := range allMembers(c) {
		f := v.Field(m.name)
		if f == nil || f.Nil || len(f.Fields) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(m.typ, "[]") && strings.Contains(m.typ[2:], ":"):
			if flattened(f) {
				f.Fields = regroup(f.Fields)
			}
			for _, it := range f.Fields {
				t := it.Type
				if t.IsZero() {
					t = qn(m.typ[2:])
				}
				normalize(it, t)
			}
		case strings.Contains(m.typ, ":"):
			t := f.Type
			if t.IsZero() {
				t = qn(m.typ)
			}
			normalize(f, t)
		}
	}
}

// flattened reports whether an array's children are item members rather than
// items: real items all carry the same element name (item, Item, …).
func flattened(a *soapenc.Value) bool {
	for _, c := range a.Fields[1:] {
		if c.Name != a.Fields[0].Name {
			return true
		}
	}
	return false
}

func regroup(members []*soapenc.Value) []*soapenc.Value {
	var items []*soapenc.Value
	var cur *soapenc.Value
	seen := map[string]bool{}
	for _, m := range members {
		if cur == nil || seen[m.Name] {
			cur = &soapenc.Value{Name: "item"}
			items = append(items, cur)
			clear(seen)
		}
		seen[m.Name] = true
		cur.Fields = append(cur.Fields, m)
	}
	return items
}
