package amproto

import (
	"fmt"
	"strings"
)

// EAMode is TokenEmergencyAccessDTO.eaMode: which kind of online emergency access
// is active (TokenConstants; 0 from TriVir's "emergencyAccessOff").
type EAMode int

const (
	EAModeNone               EAMode = 0
	EAModeTemporaryFixedCode EAMode = 1 // TEMPORARY_FIXED_TOKENCODE_EMERGENCY_ACCESS
	EAModeOneTimeCodeSet     EAMode = 2 // ONE_TIME_TOKENCODE_EMERGENCY_ACCESS
)

func (m EAMode) String() string {
	switch m {
	case EAModeNone:
		return "none"
	case EAModeTemporaryFixedCode:
		return "temporary fixed tokencode"
	case EAModeOneTimeCodeSet:
		return "one-time tokencode set"
	}
	return fmt.Sprintf("unknown eaMode %d", int(m))
}

// Valid reports whether m is a value the product defines.
func (m EAMode) Valid() bool { return m >= EAModeNone && m <= EAModeOneTimeCodeSet }

// LostMode is TokenEmergencyAccessDTO.lostMode: what happens when the real token
// is used again ("If the token becomes available" in the Security Console).
// Values are confirmed; the mapping of 2 and 3 to the console options is inferred
// (rsa-am-api.md §9.2).
type LostMode int

const (
	LostModeUnset LostMode = 0
	// DisableEAOnAuth: allow the token, and end emergency access on its first use.
	DisableEAOnAuth LostMode = 1
	// DisableEAOnExpire: deny the token until the emergency-access lifetime ends.
	DisableEAOnExpire LostMode = 2
	// DisableEANever: allow both the token and the emergency codes.
	DisableEANever LostMode = 3
)

func (m LostMode) String() string {
	switch m {
	case LostModeUnset:
		return "not set"
	// the one wording of the policy: the form, the confirm, the result and
	// the verbs all say it so
	case DisableEAOnAuth:
		return "allow the token and end emergency access"
	case DisableEAOnExpire:
		return "deny the token until emergency access expires"
	case DisableEANever:
		return "allow both the token and the emergency codes"
	}
	return fmt.Sprintf("unknown lostMode %d", int(m))
}

// Constant returns the product's constant name (DISABLE_EA_ON_AUTH, …).
func (m LostMode) Constant() string {
	switch m {
	case DisableEAOnAuth:
		return "DISABLE_EA_ON_AUTH"
	case DisableEAOnExpire:
		return "DISABLE_EA_ON_EXPIRE"
	case DisableEANever:
		return "DISABLE_EA_NEVER"
	}
	return fmt.Sprintf("%d", int(m))
}

// Valid reports whether m may be sent in an update.
func (m LostMode) Valid() bool { return m >= DisableEAOnAuth && m <= DisableEANever }

// Algorithm is TokenDTO.algorithm (int form).
type Algorithm int

const (
	AlgorithmPRNG  Algorithm = 0
	AlgorithmAES   Algorithm = 1
	AlgorithmEvent Algorithm = 2
)

// ListName is the string form ListTokenDTO uses.
func (a Algorithm) String() string {
	switch a {
	case AlgorithmPRNG:
		return "PRNG"
	case AlgorithmAES:
		return "AES-TIME"
	case AlgorithmEvent:
		return "AES-EVENT"
	}
	return fmt.Sprintf("algorithm %d", int(a))
}

// TokenType is TokenDTO.tokenType.
type TokenType int

var tokenTypes = []string{"standard card", "PIN pad", "key fob", "watch", "software token", "smart card",
	"modem", "crypto", "Proteus", "USB", "flex token", "SMS authenticator", "remote token"}

func (t TokenType) String() string {
	if int(t) >= 0 && int(t) < len(tokenTypes) {
		return tokenTypes[t]
	}
	return fmt.Sprintf("token type %d", int(t))
}

// TokenTypeNamed is the token type with the name String gives it
// (case-insensitive); ok=false for a name no type has.
func TokenTypeNamed(name string) (TokenType, bool) {
	for i, n := range tokenTypes {
		if n != "" && strings.EqualFold(n, strings.TrimSpace(name)) {
			return TokenType(i), true
		}
	}
	return 0, false
}

// TokenTypeNames are the types' names, for a message listing them.
func TokenTypeNames() []string {
	var out []string
	for _, n := range tokenTypes {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Token types used by the demo data set.
const (
	TokenTypeKeyFob  TokenType = 2
	TokenTypeSoftID  TokenType = 4
	TokenTypeSMSAuth TokenType = 11
)

// PinType is TokenDTO.pinType.
type PinType int

func (p PinType) String() string {
	switch p {
	case 0:
		return "PIN + tokencode"
	case 1:
		return "tokencode only"
	case 3:
		return "PIN only"
	}
	return fmt.Sprintf("pin type %d", int(p))
}

// IdentitySourceDTO.srcType is an xsd:int in AM's type table; which number
// stands for which kind of source no public source says (RSA's proxy ships
// IdentitySourceTypes with no constants). PROPOSAL, used by the simulator
// only: 0 the internal database, 1 an LDAP directory. The client never
// relies on it (it reads the `internal` flag).
const (
	SrcTypeInternal = 0
	SrcTypeLDAP     = 1
)
