package rsa

import (
	"github.com/rsatui/rsatui/internal/rsa/am"
)

// AM's records and errors, as the operations hand them out: the wire
// client (package am) defines them, callers above need only this package.

// The client and its settings.
type (
	Client         = am.Client
	Config         = am.Config
	Stats          = am.Stats
	PrincipalQuery = am.PrincipalQuery
	TokenRef       = am.TokenRef
)

// CTFLink is a CTF string as the link a phone's app opens.
func CTFLink(ctf Secret) Secret { return am.CTFLink(ctf) }

// New connects a client to AM (see am.New).
func New(cfg Config) (*Client, error) { return am.New(cfg) }

// AM's records.
type (
	Secret          = am.Secret
	IdentitySource  = am.IdentitySource
	SecurityDomain  = am.SecurityDomain
	Realm           = am.Realm
	Principal       = am.Principal
	TokenSummary    = am.TokenSummary
	Token           = am.Token
	EmergencyAccess = am.EmergencyAccess
	AuthEvent       = am.AuthEvent
	Logon           = am.Logon
	EAMode          = am.EAMode
	LostMode        = am.LostMode
	Algorithm       = am.Algorithm
	TokenType       = am.TokenType
	PinType         = am.PinType
	// software tokens
	SoftTokenProfile = am.SoftTokenProfile
	SoftTokenDevice  = am.SoftTokenDevice
	Activation       = am.Activation
)

// A token's replacementMode.
const (
	ReplacementPending = am.ReplacementPending
	ReplacementNew     = am.ReplacementNew
	ReplacementRetired = am.ReplacementRetired
	// ExtensionExtended: AM extended the token's lifetime (ExtendTokensCommand)
	ExtensionExtended = am.ExtensionExtended
)

// Lanes is how many requests a Client has in flight to AM at most.
const Lanes = am.Lanes

// AM's faults and the transport's failures, for errors.Is.
var (
	ErrNotFound              = am.ErrNotFound
	ErrInvalidArgument       = am.ErrInvalidArgument
	ErrInvalidSession        = am.ErrInvalidSession
	ErrAccessDenied          = am.ErrAccessDenied
	ErrInsufficientPrivilege = am.ErrInsufficientPrivilege
	ErrConcurrentUpdate      = am.ErrConcurrentUpdate
	ErrDuplicate             = am.ErrDuplicate
	ErrRejected              = am.ErrRejected
	ErrServer                = am.ErrServer
	ErrCommandClientAuth     = am.ErrCommandClientAuth
	ErrMalformedReply        = am.ErrMalformedReply
	ErrUnreachable           = am.ErrUnreachable
	ErrOutcomeUnknown        = am.ErrOutcomeUnknown // ErrUnverified matches it too
)

// The errors' types, for errors.As.
type (
	Fault           = am.Fault
	CallError       = am.CallError
	HTTPStatusError = am.HTTPStatusError
)

// Explain says any error of these packages in one plain line with the
// next step, for the status bar and the CLI.
func Explain(err error) string { return am.Explain(err) }
