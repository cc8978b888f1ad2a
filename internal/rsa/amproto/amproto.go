// Package amproto holds the facts of the RSA Authentication Manager admin API
// wire protocol that both the client (internal/rsa) and the simulator
// (internal/rsa/amsim) need: XML namespaces, class names, constants and fault
// classes. Each value is taken from ../shared/rsa-am-api.md (mostly from RSA's
// own .NET proxy for AM 8.4); where that reference only proposes something, the
// comment says so, so it can be corrected in one place when a real server is met.
package amproto

import (
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// ServicePath is where AM serves the SOAP CommandServer.
const ServicePath = "/ims-ws/services/CommandServer"

// XML namespaces: one per Java package, "http://" + the package name reversed.
const (
	NSWebService    = "http://webservice.rsa.com"
	NSCommand       = "http://command.rsa.com"
	NSException     = "http://exception.command.rsa.com"
	NSCommon        = "http://common.rsa.com"
	NSAuthn         = "http://authn.rsa.com"
	NSAuthnData     = "http://data.authn.rsa.com"
	NSSession       = "http://session.rsa.com"
	NSAdmin         = "http://admin.rsa.com"
	NSAdminData     = "http://data.admin.rsa.com"
	NSSearch        = "http://search.common.rsa.com"
	NSTokenMgt      = "http://tokenmgt.admin.authmgr.rsa.com"
	NSTokenData     = "http://data.tokenmgt.admin.authmgr.rsa.com"
	NSUCMAM         = "http://am.ucm.rsa.com"
	NSActivity      = "http://activitymonitor.authmgr.rsa.com"
	NSActData       = "http://data.activitymonitor.authmgr.rsa.com"
	NSAgentMgt      = "http://agentmgt.admin.authmgr.rsa.com"
	NSAgentData     = "http://data.agentmgt.admin.authmgr.rsa.com"
	NSGroupMgt      = "http://groupmgt.admin.authmgr.rsa.com"
	NSGroupData     = "http://data.groupmgt.admin.authmgr.rsa.com"
	NSTestAccess    = "http://testaccess.admin.authmgr.rsa.com"
	NSPrincipalMgt  = "http://principalmgt.admin.authmgr.rsa.com"
	NSPrincipalData = "http://data.principalmgt.admin.authmgr.rsa.com"
)

// A person's offline emergency passcode (helpdesk-ops §7: the fields are
// confirmed, their meanings inferred from their names).
var (
	LookupEmergencyAccessPasscodeCommand = soapenc.QName{Space: NSPrincipalMgt, Local: "LookupEmergencyAccessPasscodeCommand"}
	UpdateEmergencyAccessPasscodeCommand = soapenc.QName{Space: NSPrincipalMgt, Local: "UpdateEmergencyAccessPasscodeCommand"}
	AMPrincipalEmergencyAccessDTO        = soapenc.QName{Space: NSPrincipalData, Local: "AMPrincipalEmergencyAccessDTO"}
)

// Agents and access rules (helpdesk-ops §10, notes/auth-api.md "Access rules").
var (
	SearchAgentsCommand                       = soapenc.QName{Space: NSAgentMgt, Local: "SearchAgentsCommand"}
	LookupAgentCommand                        = soapenc.QName{Space: NSAgentMgt, Local: "LookupAgentCommand"}
	ListGroupsByAgentCommand                  = soapenc.QName{Space: NSAgentMgt, Local: "ListGroupsByAgentCommand"}
	SearchAccessibleAgentsForPrincipalCommand = soapenc.QName{Space: NSAgentMgt, Local: "SearchAccessibleAgentsForPrincipalCommand"}
	GetTimeRestrictedAccessCommand            = soapenc.QName{Space: NSGroupMgt, Local: "GetTimeRestrictedAccessCommand"}
	TestAccessInfoCommand                     = soapenc.QName{Space: NSTestAccess, Local: "TestAccessInfoCommand"}
	ListAgentDTO                              = soapenc.QName{Space: NSAgentData, Local: "ListAgentDTO"}
	AgentDTO                                  = soapenc.QName{Space: NSAgentData, Local: "AgentDTO"}
	GroupDTO                                  = soapenc.QName{Space: NSAdminData, Local: "GroupDTO"}
	TimeRestrictedAccessDTO                   = soapenc.QName{Space: NSGroupData, Local: "TimeRestrictedAccessDTO"}
	TestAccessInfoDto                         = soapenc.QName{Space: NSTestAccess, Local: "TestAccessInfoDto"}
)

// The agents' types [proposal: the Security Console names "Standard Agent"
// and "Web Agent"; the numbers are not public].
const (
	AgentStandard = 0
	AgentWeb      = 1
)

// Namespace maps a Java package (com.rsa.command.exception) to its XML namespace
// (http://exception.command.rsa.com), the rule Axis' Java2WSDL applies.
func Namespace(javaPackage string) string {
	parts := strings.Split(javaPackage, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "http://" + strings.Join(parts, ".")
}

// JavaClass is the inverse of Namespace for a type: {http://a.b.com}X → com.b.a.X.
func JavaClass(q soapenc.QName) string {
	host := strings.TrimPrefix(q.Space, "http://")
	host = strings.TrimSuffix(host, "/")
	parts := strings.Split(host, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".") + "." + q.Local
}

// TypeOf is the XML type of a fully qualified Java class name.
func TypeOf(javaClass string) soapenc.QName {
	i := strings.LastIndexByte(javaClass, '.')
	if i < 0 {
		return soapenc.QName{Local: javaClass}
	}
	return soapenc.QName{Space: Namespace(javaClass[:i]), Local: javaClass[i+1:]}
}

// The RPC operation.
var (
	OpExecute         = soapenc.QName{Space: NSWebService, Local: "executeCommand"}
	OpExecuteResponse = soapenc.QName{Space: NSWebService, Local: "executeCommandResponse"}
)

// Part names of executeCommand (Axis 1 Java2WSDL defaults).
const (
	PartSession = "in0"
	PartCommand = "in1"
	PartReturn  = "executeCommandReturn"
)

// Commands rsatui uses. Field names of each are in rsa-am-api.md §7.
var (
	LoginCommand                       = soapenc.QName{Space: NSAuthn, Local: "LoginCommand"}
	LogoutCommand                      = soapenc.QName{Space: NSAuthn, Local: "LogoutCommand"}
	SearchRealmsCommand                = soapenc.QName{Space: NSAdmin, Local: "SearchRealmsCommand"}
	GetIdentitySourcesCommand          = soapenc.QName{Space: NSAdmin, Local: "GetIdentitySourcesCommand"}
	LookupIdentitySourceCommand        = soapenc.QName{Space: NSAdmin, Local: "LookupIdentitySourceCommand"}
	SearchSecurityDomainCommand        = soapenc.QName{Space: NSAdmin, Local: "SearchSecurityDomainCommand"}
	SearchPrincipalsCommand            = soapenc.QName{Space: NSAdmin, Local: "SearchPrincipalsCommand"}
	LookupPrincipalCommand             = soapenc.QName{Space: NSAdmin, Local: "LookupPrincipalCommand"}
	ListTokensByPrincipalCommand       = soapenc.QName{Space: NSTokenMgt, Local: "ListTokensByPrincipalCommand"}
	LookupTokenCommand                 = soapenc.QName{Space: NSTokenMgt, Local: "LookupTokenCommand"}
	LinkTokensWithPrincipalCommand     = soapenc.QName{Space: NSTokenMgt, Local: "LinkTokensWithPrincipalCommand"}
	UnlinkTokensFromPrincipalsCommand  = soapenc.QName{Space: NSTokenMgt, Local: "UnlinkTokensFromPrincipalsCommand"}
	EnableTokensCommand                = soapenc.QName{Space: NSTokenMgt, Local: "EnableTokensCommand"}
	UpdateTokenCommand                 = soapenc.QName{Space: NSTokenMgt, Local: "UpdateTokenCommand"}
	ResynchronizeTokenCommand          = soapenc.QName{Space: NSTokenMgt, Local: "ResynchronizeTokenCommand"}
	SearchTokensCommand                = soapenc.QName{Space: NSTokenMgt, Local: "SearchTokensCommand"}
	GetNextAvailableTokenCommand       = soapenc.QName{Space: NSTokenMgt, Local: "GetNextAvailableTokenCommand"}
	UnLockUserAccountCommand           = soapenc.QName{Space: NSUCMAM, Local: "UnLockUserAccountCommand"} // capital L, as AM spells it
	ClearBadTokenCountCommand          = soapenc.QName{Space: NSUCMAM, Local: "ClearBadTokenCountCommand"}
	ActivityMonitorCommand             = soapenc.QName{Space: NSActivity, Local: "ActivityMonitorCommand"}
	ReplaceTokensCommand               = soapenc.QName{Space: NSTokenMgt, Local: "ReplaceTokensCommand"}
	ReplaceWithNextAvailableTokenCmd   = soapenc.QName{Space: NSTokenMgt, Local: "ReplaceWithNextAvailableTokenCommand"}
	ExtendTokensCommand                = soapenc.QName{Space: NSTokenMgt, Local: "ExtendTokensCommand"}
	LookupTokenEmergencyAccessCommand  = soapenc.QName{Space: NSTokenMgt, Local: "LookupTokenEmergencyAccessCommand"}
	UpdateTokenEmergencyAccessCommand  = soapenc.QName{Space: NSTokenMgt, Local: "UpdateTokenEmergencyAccessCommand"}
	GenerateEmergencyAccessCodeCommand = soapenc.QName{Space: NSTokenMgt, Local: "GenerateEmergencyAccessCodeCommand"}
	GenerateOneTimeTokenCodeSetCommand = soapenc.QName{Space: NSTokenMgt, Local: "GenerateOneTimeTokenCodeSetCommand"}
	TargetableCommand                  = soapenc.QName{Space: NSCommand, Local: "TargetableCommand"}
)

// ReadOnly lists the commands that change nothing on the server: the client may
// resend these after a re-login, and a read-only admin may run them.
// Generate* commands only compute codes (they are installed by the update), so
// they are safe to repeat too.
var ReadOnly = map[soapenc.QName]bool{
	SearchRealmsCommand:                       true,
	GetIdentitySourcesCommand:                 true,
	LookupIdentitySourceCommand:               true,
	SearchSecurityDomainCommand:               true,
	SearchPrincipalsCommand:                   true,
	LookupPrincipalCommand:                    true,
	ListTokensByPrincipalCommand:              true,
	LookupTokenCommand:                        true,
	SearchTokensCommand:                       true,
	GetNextAvailableTokenCommand:              true, // it only names a token; the link assigns it
	LookupTokenEmergencyAccessCommand:         true,
	GenerateEmergencyAccessCodeCommand:        true,
	GenerateOneTimeTokenCodeSetCommand:        true,
	ActivityMonitorCommand:                    true,
	SearchAgentsCommand:                       true,
	LookupAgentCommand:                        true,
	ListGroupsByAgentCommand:                  true,
	SearchAccessibleAgentsForPrincipalCommand: true,
	GetTimeRestrictedAccessCommand:            true,
	TestAccessInfoCommand:                     true,
	LookupEmergencyAccessPasscodeCommand:      true,
}

// DTO and helper types.
var (
	FieldParameterDTO       = soapenc.QName{Space: NSAuthnData, Local: "FieldParameterDTO"}
	AbstractParameterDTO    = soapenc.QName{Space: NSAuthnData, Local: "AbstractParameterDTO"}
	MessageDTO              = soapenc.QName{Space: NSAuthnData, Local: "MessageDTO"}
	RealmDTO                = soapenc.QName{Space: NSAdminData, Local: "RealmDTO"}
	IdentitySourceDTO       = soapenc.QName{Space: NSAdminData, Local: "IdentitySourceDTO"}
	SecurityDomainDTO       = soapenc.QName{Space: NSAdminData, Local: "SecurityDomainDTO"}
	PrincipalDTO            = soapenc.QName{Space: NSAdminData, Local: "PrincipalDTO"}
	ListTokenDTO            = soapenc.QName{Space: NSTokenData, Local: "ListTokenDTO"}
	TokenDTO                = soapenc.QName{Space: NSTokenData, Local: "TokenDTO"}
	TokenEmergencyAccessDTO = soapenc.QName{Space: NSTokenData, Local: "TokenEmergencyAccessDTO"}
	ReplaceTokenDTO         = soapenc.QName{Space: NSTokenData, Local: "ReplaceTokenDTO"}
	ExtendTokenDTO          = soapenc.QName{Space: NSTokenData, Local: "ExtendTokenDTO"}
	FilterType              = soapenc.QName{Space: NSSearch, Local: "Filter"}
	SimpleFilter            = soapenc.QName{Space: NSSearch, Local: "Simple"}
	EqualType               = soapenc.QName{Space: NSSearch, Local: "Equal"}
	LikeType                = soapenc.QName{Space: NSSearch, Local: "Like"}
	EmptyFilter             = soapenc.QName{Space: NSSearch, Local: "Empty"}
	AndFilter               = soapenc.QName{Space: NSSearch, Local: "And"}
	OrFilter                = soapenc.QName{Space: NSSearch, Local: "Or"}
	ActivityRecordDTO       = soapenc.QName{Space: NSActData, Local: "ActivityRecordDTO"}
	LabelValueBean          = soapenc.QName{Space: NSActData, Local: "LabelValueBean"}
)

// Login constants (com.rsa.common.AuthenticationConstants).
const (
	MethodRSAPassword  = "RSA_Password"
	MethodLDAPPassword = "LDAP_Password"
	PromptPrincipalID  = "AUTHENTICATIONSERVICE_PRINCIPALID"
	PromptPassword     = "PASSWORD_CREDENTIAL"
	StateInitial       = "initial"
	StateInProgress    = "in_progress"
	StateAuthenticated = "authenticated"
	StateFailed        = "failed"
	StateAccessDenied  = "Access Denied"
	KeyAccessDenied    = "ACCESS_DENIED"
	// MethodSecurID is SecurIDAuthenticationConstants.METHOD_ID: a person's
	// passcode checked through LoginCommand (SailPoint's MFA library).
	MethodSecurID  = "SecurID_Native"
	PromptPasscode = "ACEPROXY_PASSCODE"
	// The prompts of the passcode's further steps. AM's own keys for them
	// are not in the sources [proposal]: the client says an unknown prompt
	// by its key rather than guess.
	PromptNextTokencode = "ACEPROXY_NEXT_TOKENCODE"
	PromptNewPIN        = "ACEPROXY_NEW_PIN"
)

// Filter attribute names (constants on PrincipalDTO / RealmDTO).
const (
	AttrLoginUID  = "LOGINUID"
	AttrRealmName = "NAME"
)

// Emergency-access constants (TokenConstants, TokenEmergencyAccessDTO).
const (
	EACodeSize               = 8
	EAMaxLifetimeConfig      = "auth_manager.admin.eatokencode_expire_days"
	EAMaxLifetimeDefaultDays = 14
)

// CodePolicyViolation checks a code against the default "Emergency Access Code
// Format" policy: 8 characters, letters and digits, at least one of each (what
// AM's generator produces; the policy can be changed per security domain, which
// this does not model). It returns "" for a valid code, else the broken rule.
func CodePolicyViolation(code string) string {
	if len(code) != EACodeSize {
		return "must be exactly 8 characters"
	}
	var letter, digit bool
	for _, r := range code {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letter = true
		default:
			return "may contain only letters and digits"
		}
	}
	if !letter || !digit {
		return "must contain at least one letter and one digit"
	}
	return ""
}

// Activity monitor (helpdesk-ops §9, ActivityMonitorConstants).
const (
	LogTypeAdmin   = 0
	LogTypeRuntime = 1 // authentication activity
	LogTypeSystem  = 2
	// FieldUser and FieldActionResult are filter attributes; action results
	// are 0 success, 1 warning, 2 failure.
	FieldUser         = "FIELD_USER"
	FieldActionResult = "ACTION_RESULT"
	ResultSuccess     = 0
	ResultWarning     = 1
	ResultFailure     = 2
	// ActivityTimeLayout is lastLogTime's format, in UTC (a string, not
	// xsd:dateTime); the server may drop trailing zero milliseconds.
	ActivityTimeLayout = "2006-01-02 15:04:05.000"
	// ActivityFetchBlock is the Security Console's fetch size.
	ActivityFetchBlock = 50
)

// ParseActivityTime reads an activity time (utcDateTime, lastLogTime) in
// UTC, with or without its milliseconds [confirmed: S-trivir].
func ParseActivityTime(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
