// Package rsa is what rsatui does with RSA Authentication Manager: the
// operations (each a help-desk or admin workflow: the AM commands in the
// order the product requires, the read-back, the audit), the product's
// rules and who may do what, and AM's records as the callers see them.
// The console, the verbs and the SSH server all call it; it talks to AM
// through the wire client of package am, which nothing else uses.
package rsa

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa/am"
	"github.com/rsatui/rsatui/internal/rsa/authapi"
	"github.com/rsatui/rsatui/internal/verify"
)

// Operations are the admin workflows, each one tested function that runs the
// AM commands in the order the product requires and returns what the server
// holds afterwards. The TUI and the CLI verbs both call these.

// Errors of the operations layer, for errors.Is.
var (
	ErrNotInAM       = errors.New("the person has no AM account in the identity source")
	ErrAmbiguous     = errors.New("more than one match")
	ErrInvalidInput  = errors.New("invalid input")
	ErrReadOnly      = errors.New("read-only: changes are not allowed")
	ErrTokenNotReady = errors.New("the token cannot be put into emergency access")
	// ErrRule is a refusal by one of rsatui's own rules (e.g. one token a person).
	ErrRule = errors.New("refused by rule")
	// ErrIncomplete says some of what was asked could be read and some not:
	// what was read comes with it, and each missing part says why.
	ErrIncomplete = errors.New("read in part")
	// ErrOtherChange marks a write AM took, after which it holds something
	// else: another change landed in between (another admin, another session).
	ErrOtherChange = errors.New("another change landed in between")
	// ErrAuditUnavailable: the intent of a change could not be written to
	// the audit log, so the change was not sent.
	ErrAuditUnavailable = errors.New("the audit log is unavailable")
	// ErrUnverified: AM took a write (it answered), but reading the token
	// back failed, so what AM holds now is not known. The error also
	// matches ErrOutcomeUnknown: like a lost reply it must not be sent
	// again blindly, the audit says unknown, and codes it installed are
	// shown (they work) — never thrown away as if it had failed.
	ErrUnverified = errors.New("applied, but not read back")
)

// Ops runs operations against one AM.
type Ops struct {
	c *Client
	// IdentitySource is the name of the identity source that maps the
	// directory; empty = the only non-internal one.
	IdentitySource string
	// MaxEADays is auth_manager.admin.eatokencode_expire_days (default 14).
	MaxEADays int
	// ReadOnly refuses every write here, before AM is asked (a viewer).
	ReadOnly bool
	// grant is what the person may do (For); nil: everything (the console
	// and verbs of whoever holds the AM credentials).
	grant *Grant
	Now   func() time.Time
	// SettleDelay is the wait before re-reading a second time after a lost
	// reply (default 2 s).
	SettleDelay time.Duration
	// Audit, when set, records every write with Actor.
	Audit *audit.Log
	Actor Actor
	// Writes, when set, is the gate every change passes before its first
	// write command (rsatui serve's shutdown).
	Writes WriteGate
	// AuthAPI, when set, is AM's Authentication API (REST): passcode
	// tests may go through it as the agent it is configured with.
	AuthAPI *authapi.Client
	// Policy is the site's caller policy (checks, approvals, limits: see
	// guard.go); nil enforces none (the package's own tests: every
	// command sets one, the default when the site set none).
	Policy *verify.Policy
	// Privileged says whether a person is privileged (their directory
	// groups against the policy's); nil: no directory to ask.
	Privileged func(ctx context.Context, login string) (bool, error)

	src    *sourceCache    // shared by every Ops derived with For
	people *principalCache // shared by every Ops derived with For
	locks  *tokenLocks     // shared by every Ops derived with For: one change a token at a time
	queue  *am.Queue       // this session's requests waiting for a lane (For makes a new one)
}

// sourceCache holds the resolved identity source; one lookup serves every
// person of an SSH server.
type sourceCache struct {
	mu     sync.Mutex
	source IdentitySource
}

// NewOps returns the operations on client c.
func NewOps(c *Client) *Ops {
	return &Ops{c: c, MaxEADays: DefaultMaxEADays, Now: time.Now, src: &sourceCache{},
		people: newPrincipalCache(), queue: &am.Queue{}, locks: newTokenLocks()}
}

// For returns the operations for one person (an SSH session): the same AM
// client, settings, audit log and resolved identity source, their own Actor
// and what they may do (g, within o's own: it can only tighten, never
// lift). The session gets its own turn for AM's lanes (see gate.go).
func (o *Ops) For(a Actor, g Grant) *Ops {
	if o.grant != nil {
		g = g.Within(*o.grant)
	}
	return &Ops{c: o.c, IdentitySource: o.IdentitySource, MaxEADays: o.MaxEADays, ReadOnly: o.ReadOnly || g.None(), grant: &g,
		Now: o.Now, SettleDelay: o.SettleDelay, Audit: o.Audit, Writes: o.Writes, AuthAPI: o.AuthAPI, Policy: o.Policy, Privileged: o.Privileged, Actor: a, src: o.src, people: o.people, queue: &am.Queue{}, locks: o.locks}
}

// Permits says whether this person may do p, and if not, why: every
// caller (console, verbs, SSH) asks here, and every write checks here
// before AM is asked.
func (o *Ops) Permits(p Permission) error {
	switch {
	case o.ReadOnly:
		return ErrReadOnly
	case o.grant != nil:
		return o.grant.check(p)
	}
	return nil
}

// Grant is what this person may do.
func (o *Ops) Grant() Grant {
	if o.ReadOnly {
		g, _ := GrantOf(RoleViewer, "")
		return g
	}
	if o.grant == nil {
		return AllowAll()
	}
	return *o.grant
}

// Client is the underlying AM client.
func (o *Ops) Client() *Client { return o.c }

// TokenState is a token with its emergency-access state, as AM holds them.
type TokenState struct {
	Token Token
	EA    EmergencyAccess
	// ReadAt is when it was read (Ops.Now): an operation handed a state
	// (EARequest.Read) uses it only while it is fresh.
	ReadAt time.Time
	// Unread says what of it could not be read (nil: all of it); the screen
	// shows the rest and says what is missing.
	Unread error
	// Listed: Token holds what AM's token list says (a ListTokenDTO), not
	// the whole record; Reread reads the record.
	Listed bool
}

var serialRE = regexp.MustCompile(`^[0-9]{6,12}$`)

// ValidateSerial checks a token serial number's form (up to 12 digits, as AM
// prints them).
func ValidateSerial(s string) error {
	if !serialRE.MatchString(s) {
		return fmt.Errorf("%w: serial %q must be 6 to 12 digits", ErrInvalidInput, s)
	}
	return nil
}

// readBack reads a token whose GUID is known, both lookups at once: the
// read-back after a write.
func (o *Ops) readBack(ctx context.Context, guid string) (TokenState, error) {
	st := TokenState{ReadAt: o.Now()}
	var terr, eerr error
	together(
		func() { st.Token, terr = o.c.LookupToken(ctx, TokenRef{GUID: guid}) },
		func() { st.EA, eerr = o.c.LookupEmergencyAccess(ctx, guid) },
	)
	if err := errors.Join(terr, eerr); err != nil {
		return TokenState{}, err
	}
	return st, nil
}

// ReadMaxAge is how old a state handed to an operation (EARequest.Read) may
// be for the operation to act on it without reading the token again. The
// console reads the token when a change is reviewed, so that after "y" only
// the writes and their read-back remain; a state older than this (the
// confirm left open during a long call) is read again first. Whatever the
// age, the read-back after the write shows what AM holds.
const ReadMaxAge = time.Minute

// fresh reports whether st is a whole state of serial read less than
// ReadMaxAge ago.
func (o *Ops) fresh(st TokenState, serial string) bool {
	age := o.Now().Sub(st.ReadAt)
	return st.Unread == nil && !st.Listed && st.Token.Serial == serial && st.Token.GUID != "" && st.EA.TokenGUID != "" &&
		!st.ReadAt.IsZero() && age >= 0 && age < ReadMaxAge
}

// current returns read when it is a fresh state of serial, or reads the
// token now (and names the commands that took).
func (o *Ops) current(ctx context.Context, serial string, read *TokenState) (TokenState, []string, error) {
	if read != nil && o.fresh(*read, serial) {
		return *read, nil, nil
	}
	st, err := o.Token(ctx, serial)
	return st, readBySerial.Commands(), err
}

// TimeLayout is how a moment is shown to a person, on every screen and in
// every message: to the minute, with its zone (the past-date
// error used another).
const TimeLayout = "2006-01-02 15:04 MST"

// differences names the members in which what AM holds differs from what
// was written.
type differences []string

func (d *differences) check(member string, same bool) {
	if !same {
		*d = append(*d, member)
	}
}

// sameInstant compares two times at AM's precision (milliseconds): what was
// sent, and what AM read back.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// write sends one write and re-reads the token, and says what AM holds:
//   - the write was taken and AM holds it: no error;
//   - it was taken but AM holds something else (differs names the members):
//     another change landed in between, ErrOtherChange;
//   - the reply was lost (ErrOutcomeUnknown): the write is never resent; the
//     re-read decides — AM holds the change: no error, a note; AM does not
//     show it, even after a second look: the outcome stays unknown, and the
//     error says so (it may yet be applied), never "not applied".
//
// A write refused because the session expired was not applied, so it is
// sent once more after the client's re-login.
func (o *Ops) write(ctx context.Context, cmds *[]string, command string, t Token, differs func(TokenState) []string,
	send func() error) (after TokenState, note string, err error) {
	serial := t.Serial
	if err := o.announce(ctx); err != nil {
		return after, "", err
	}
	*cmds = append(*cmds, command)
	err = send()
	if errors.Is(err, ErrInvalidSession) {
		*cmds = append(*cmds, "LoginCommand", command)
		err = send()
	}
	*cmds = append(*cmds, readBack.Commands...)
	after, rerr := o.readBack(ctx, t.GUID)
	switch {
	case err == nil && rerr == nil:
		if d := differs(after); len(d) > 0 {
			return after, "", fmt.Errorf("%w: AM took %s, but now holds another %s for token %s — shown here; look at it before changing anything",
				ErrOtherChange, command, strings.Join(d, ", "), serial)
		}
		return after, "", nil
	case err == nil:
		// applied: AM said so. Only what it holds now is unknown; a
		// "failed, retry" here sent changes twice and threw codes away
		return after, "", fmt.Errorf("%w: AM took %s for token %s, but reading it back failed (%v): the change is made, what AM holds now is not shown — "+
			"read it with `rsatui token show %s` (r in the console), do not send it again: %w", ErrUnverified, command, serial, rerr, serial, ErrOutcomeUnknown)
	case errors.Is(err, ErrOutcomeUnknown) && rerr == nil:
		if len(differs(after)) == 0 {
			return after, "the reply was lost, but reading the token back shows the change was applied", nil
		}
		// AM may still be working on a request whose reply we gave up on: look
		// once more after a moment
		select {
		case <-time.After(o.settle()):
		case <-ctx.Done():
		}
		*cmds = append(*cmds, readBack.Commands...)
		if again, rerr := o.readBack(ctx, t.GUID); rerr == nil {
			after = again
			if len(differs(after)) == 0 {
				return after, "the reply was lost, but reading the token back shows the change was applied", nil
			}
		}
		return after, "", fmt.Errorf("the reply was lost and AM does not show the change yet (it differs in %s); "+
			"AM may still apply it, so it MAY BE ACTIVE: check with `rsatui ea show %s` before trying again: %w",
			strings.Join(differs(after), ", "), serial, err)
	}
	return after, "", err
}

// settle is how long to wait before the second read-back after a lost reply.
func (o *Ops) settle() time.Duration {
	if o.SettleDelay > 0 {
		return o.SettleDelay
	}
	return 2 * time.Second
}

// Actor is who drives the operations, for the audit log.
type Actor struct {
	OSUser, SSHUser, KeyFP string
}
