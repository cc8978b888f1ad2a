// Package ui is the bubbletea console. It talks to the directory and to AM only
// through the small interfaces below (satisfied by internal/ad and the
// operations of internal/rsa), and every call runs in a tea.Cmd with a context
// the user can cancel with esc.
package ui

import (
	"time"

	"context"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// Directory finds people.
type Directory interface {
	// Search streams the people matching query, page by page; the first
	// page holds at most first people (a screenful).
	Search(ctx context.Context, query string, first int, page func([]ad.User) error) error
	// Lookup reads one person in full: what the search leaves out (the
	// account's expiry, the password's state) for their dashboard.
	Lookup(ctx context.Context, login string) (ad.User, error)
	// LookupMany reads many people at once, in batches of logins (the
	// leavers report).
	LookupMany(ctx context.Context, logins []string) (map[string]ad.User, int, error)
	// ByDN reads the person at a DN (a manager) as Lookup does.
	ByDN(ctx context.Context, dn string) (ad.User, error)
}

// AM is what the console asks of Authentication Manager.
type AM interface {
	// batch.AM is what a plan reads and runs (the reports' actions).
	batch.AM
	// AssignedTokens is every assigned token, page by page (the reports).
	AssignedTokens(ctx context.Context) ([]rsa.TokenSummary, error)
	// Access is AM's answer for a person at its agents (agent "": all):
	// why an agent refuses them.
	Access(ctx context.Context, login, agent string) ([]rsa.AgentAccess, error)
	// AdminActivity is what administrators changed for a person lately.
	AdminActivity(ctx context.Context, login string, since time.Time) ([]rsa.AuthEvent, error)
	// OfflinePasscode is whether AM holds an offline emergency passcode
	// for the person (the passcode left out); SetOfflinePasscode sets or
	// removes one.
	OfflinePasscode(ctx context.Context, login string) (rsa.OfflineState, error)
	SetOfflinePasscode(ctx context.Context, r rsa.OfflinePasscodeRequest) (rsa.OfflinePasscodeResult, error)
	// AgentNames are AM's agents; AuthAPIAgent the agent the
	// Authentication API tests as ("" : not configured). TestPasscodeVia
	// tests at an agent, through a door.
	AgentNames(ctx context.Context) ([]string, error)
	AuthAPIAgent() string
	TestPasscodeVia(ctx context.Context, door rsa.Door, login, agent string, passcode rsa.Secret, next func(context.Context, string) (rsa.Secret, error)) (rsa.PasscodeResult, error)
	// UserTokenStates reads a person's tokens and their emergency access,
	// the lookups at once; an rsa.ErrIncomplete error comes with every
	// token, the ones not read in full saying what is missing.
	// whole reads each token's full record too; without it a token is what
	// AM's list says (Listed), which is what the token table shows.
	UserTokenStates(ctx context.Context, login string, whole bool) (rsa.Principal, []rsa.TokenState, error)
	// PersonState is what the person's screen shows: the principal read
	// afresh (its lockout as AM holds it now) and every token in full.
	PersonState(ctx context.Context, login string) (rsa.Principal, []rsa.TokenState, error)
	// Activity is AM's authentication records of login after since,
	// oldest first; ActivityPoll is everybody's, for the live poller.
	Activity(ctx context.Context, login string, since time.Time) ([]rsa.AuthEvent, error)
	ActivityPoll(ctx context.Context, since time.Time) ([]rsa.AuthEvent, error)
	// TestPasscode checks a person's passcode as their login would; next
	// answers AM's request for the next tokencode (rsa.ErrNoAnswer: none).
	TestPasscode(ctx context.Context, login string, passcode rsa.Secret, next func(context.Context, string) (rsa.Secret, error)) (rsa.PasscodeResult, error)
	Token(ctx context.Context, serial string) (rsa.TokenState, error)
	// Reread reads a token shown before again, in one round trip when its
	// GUID is known.
	Reread(ctx context.Context, st rsa.TokenState) (rsa.TokenState, error)
	Validate(r rsa.EARequest) error
	// ParseExpiry reads a typed lifetime into the expiry AM will be sent.
	ParseExpiry(s string) (time.Time, error)
	SetEmergencyAccess(ctx context.Context, r rsa.EARequest) (rsa.EAResult, error)
	// read is the token as read while the change was reviewed (nil: AM
	// is asked first); see rsa.EARequest.Read.
	ClearEmergencyAccess(ctx context.Context, serial string, read *rsa.TokenState) (rsa.EAResult, error)
	// ExtendEmergencyAccess moves the end of the emergency access on now.
	ExtendEmergencyAccess(ctx context.Context, serial string, expires time.Time) (rsa.EAResult, error)
	// AddOneTimeCodes adds n codes to the set on now, the unused ones kept.
	AddOneTimeCodes(ctx context.Context, serial string, n int) (rsa.EAResult, error)
	// ClearPIN and RequireNewPIN change a token's PIN state (rsa.Ops).
	ClearPIN(ctx context.Context, serial string) (rsa.TokenResult, error)
	RequireNewPIN(ctx context.Context, serial string) (rsa.TokenResult, error)
	SetEnabled(ctx context.Context, serial string, enable bool) (rsa.TokenResult, error)
	Resync(ctx context.Context, serial string, first, second rsa.Secret) (rsa.TokenResult, error)
	// ClearBadCount resets the bad-tokencode count of the token's owner.
	ClearBadCount(ctx context.Context, serial string) (rsa.TokenResult, error)
	// Unlock clears AM's lockout of a person.
	Unlock(ctx context.Context, login string) (rsa.PrincipalResult, error)
	// Pool lists the unassigned tokens; Assign gives one to a person.
	Pool(ctx context.Context, q rsa.PoolQuery) ([]rsa.TokenSummary, error)
	Assign(ctx context.Context, serial, login string, allowSecond bool) (rsa.TokenResult, error)
	// Replace gives a lost or broken token a successor ("" : the next available).
	Replace(ctx context.Context, oldSerial, with string, setNewPin bool) (rsa.ReplaceResult, error)
	// Unassign takes a token from its owner; endEA confirms that its
	// emergency access ends with it.
	Unassign(ctx context.Context, serial string, endEA bool) (rsa.TokenResult, error)
	// SoftProfiles lists AM's software token profiles; IssueSoftware
	// issues a software token (the new-phone call).
	SoftProfiles(ctx context.Context) ([]rsa.SoftTokenProfile, error)
	IssueSoftware(ctx context.Context, r rsa.IssueRequest) (rsa.Issued, error)
	// Permits says whether the person may do p, and if not, why (rsa's one
	// permission table: the screens offer only what it allows).
	Permits(p rsa.Permission) error
	// EALifetimeDays is AM's maximum lifetime of emergency codes (the
	// form's default and its latest end).
	EALifetimeDays() int
	// RequiredChecks is what the site's policy asks of the caller before
	// action a on login (and whether login is privileged).
	RequiredChecks(ctx context.Context, a action.Name, login string) ([]verify.Check, bool, error)
	// Approver is the person as the approver of other admins' requests
	// (rsatui serve: who they are, what they may do).
	Approver() rsa.Approver
	// LatestExpiry is the latest end of emergency access AM will be sent
	// now (its maximum less a margin for its clock).
	LatestExpiry() time.Time
	// InEmergencyAccess and InNextTokencodeMode are the assigned tokens in
	// that state, from AM's token search: whom to look at across everybody.
	InEmergencyAccess(ctx context.Context) ([]rsa.TokenSummary, error)
	InNextTokencodeMode(ctx context.Context) ([]rsa.TokenSummary, error)
	// LockedSince is the people AM locked out after since and who are
	// locked still (from AM's activity).
	LockedSince(ctx context.Context, since time.Time) ([]rsa.Principal, error)
}

// Info is what the header shows.
type Info struct {
	Server         string // AM endpoint host
	Directory      string // directory URL
	IdentitySource string
	Admin          string
	ReadOnly       bool
	Insecure       bool // TLS verification off somewhere
	PlainHTTP      bool // AM reached without TLS (by explicit choice)
	Demo           bool
	// Role and User are set by rsatui serve: the SSH user and the role their
	// key was given (admin, helpdesk, viewer).
	Role, User string
}

// Notice is a message from whatever hosts the console (rsatui serve's
// shutdown): it stays above the status line until replaced. Closing also
// stops new changes from being started here (the host refuses them too).
type Notice struct {
	Text    string
	Closing bool
}
