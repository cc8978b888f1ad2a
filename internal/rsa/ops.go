package rsa

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
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

	src    *sourceCache    // shared by every Ops derived with For
	people *principalCache // shared by every Ops derived with For
	queue  *queue          // this session's requests waiting for a lane (For makes a new one)
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
		people: newPrincipalCache(), queue: &queue{}}
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
		Now: o.Now, SettleDelay: o.SettleDelay, Audit: o.Audit, Actor: a, src: o.src, people: o.people, queue: &queue{}}
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

// Source resolves (once) the identity source: the configured name, or the only
// LDAP one. Its GUID is what principal searches need — the missing piece behind
// "IdentitySource Guid is not specified".
func (o *Ops) Source(ctx context.Context) (IdentitySource, error) {
	ctx = withQueue(ctx, o.queue)
	o.src.mu.Lock()
	defer o.src.mu.Unlock()
	if o.src.source.GUID != "" {
		return o.src.source, nil
	}
	all, err := o.c.GetIdentitySources(ctx)
	if err != nil {
		return IdentitySource{}, err
	}
	var match []IdentitySource
	for _, is := range all {
		if (o.IdentitySource != "" && strings.EqualFold(is.Name, o.IdentitySource)) || (o.IdentitySource == "" && !is.Internal) {
			match = append(match, is)
		}
	}
	names := make([]string, len(all))
	for i, is := range all {
		names[i] = is.Name
	}
	switch {
	case len(match) == 0 && o.IdentitySource != "":
		return IdentitySource{}, fmt.Errorf("%w: no identity source named %q (AM has: %s)", ErrNotFound, o.IdentitySource, strings.Join(names, ", "))
	case len(match) == 0:
		return IdentitySource{}, fmt.Errorf("%w: AM has no LDAP identity source (only: %s)", ErrNotFound, strings.Join(names, ", "))
	case len(match) > 1:
		return IdentitySource{}, fmt.Errorf("%w: several identity sources could map the directory (%s): configure identity_source",
			ErrAmbiguous, strings.Join(names, ", "))
	}
	o.src.source = match[0]
	return o.src.source, nil
}

// forgetSource drops the resolved identity source (AM said it is gone), so
// the next call resolves it again.
func (o *Ops) forgetSource(guid string) {
	o.src.mu.Lock()
	if o.src.source.GUID == guid {
		o.src.source = IdentitySource{}
	}
	o.src.mu.Unlock()
	o.people.clear()
}

// Principal finds the AM principal for a directory login. A principal found
// is kept for PrincipalTTL (see principalCache): a login's GUID does not
// change while an admin looks at it.
func (o *Ops) Principal(ctx context.Context, login string) (Principal, error) {
	if strings.TrimSpace(login) == "" {
		return Principal{}, fmt.Errorf("%w: the login is empty", ErrInvalidInput)
	}
	if p, ok := o.people.get(login, o.Now()); ok {
		return p, nil
	}
	return o.searchPrincipal(withQueue(ctx, o.queue), login)
}

// searchPrincipal asks AM for the principal of login (SearchPrincipals) and
// keeps what it finds.
func (o *Ops) searchPrincipal(ctx context.Context, login string) (Principal, error) {
	src, err := o.Source(ctx)
	if err != nil {
		return Principal{}, err
	}
	q := PrincipalQuery{Login: login, IdentitySourceGUID: src.GUID, SecurityDomainGUID: src.SecurityDomainGUID, Limit: 2}
	ps, err := o.c.SearchPrincipals(ctx, q)
	if errors.Is(err, ErrNotFound) {
		// the identity source kept for the session may be gone (reconfigured
		// in AM): resolve it again, once
		o.forgetSource(src.GUID)
		if src, err = o.Source(ctx); err != nil {
			return Principal{}, err
		}
		q.IdentitySourceGUID, q.SecurityDomainGUID = src.GUID, src.SecurityDomainGUID
		ps, err = o.c.SearchPrincipals(ctx, q)
	}
	if err != nil {
		return Principal{}, err
	}
	switch len(ps) {
	case 0:
		return Principal{}, fmt.Errorf("%w: %q is not in %q", ErrNotInAM, login, src.Name)
	case 1:
		o.people.put(login, ps[0], o.Now())
		return ps[0], nil
	}
	return Principal{}, fmt.Errorf("%w: %d AM principals have the login %q", ErrAmbiguous, len(ps), login)
}

// UserTokens returns a user's principal and tokens, sorted by serial.
func (o *Ops) UserTokens(ctx context.Context, login string) (Principal, []TokenSummary, error) {
	ctx = withQueue(ctx, o.queue)
	_, kept := o.people.get(login, o.Now()) // before Principal, which keeps what it finds
	p, err := o.Principal(ctx, login)
	if err != nil {
		return Principal{}, nil, err
	}
	ts, err := o.c.ListTokensByPrincipal(ctx, p.GUID)
	if kept && (errors.Is(err, ErrNotFound) || err == nil && len(ts) == 0) {
		// AM answers an unknown principal as it answers "no tokens"
		// (DataNotFoundException): a kept GUID is checked before a person is
		// said to have none, or when AM does not know it any more (a GUID
		// just found needs no such check)
		o.people.drop(login)
		if p, err = o.searchPrincipal(ctx, login); err != nil {
			return Principal{}, nil, err
		}
		ts, err = o.c.ListTokensByPrincipal(ctx, p.GUID)
	}
	if err != nil {
		return p, nil, err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Serial < ts[j].Serial })
	return p, ts, nil
}

// UserTokenStates returns a user's principal and every token with its
// emergency-access state: the list, then all the lookups at once (as many
// in flight as the lanes allow, see gate.go). whole reads each token's
// full record too (LookupToken); without it the token is what the list
// says (Listed), which is all a screen of tokens shows, and one lookup a
// token is saved. A lookup that fails leaves what the list said of that
// token, with Unread saying what is missing, and the error (ErrIncomplete)
// names the tokens; the tokens read in full are returned as they are.
func (o *Ops) UserTokenStates(ctx context.Context, login string, whole bool) (Principal, []TokenState, error) {
	ctx = withQueue(ctx, o.queue)
	p, list, err := o.UserTokens(ctx, login)
	if err != nil {
		return p, nil, err
	}
	states := make([]TokenState, len(list))
	reads := make([]func(), len(list))
	for i, t := range list {
		reads[i] = func() { states[i] = o.stateOf(ctx, t, p.GUID, whole) }
	}
	together(reads...)
	var missing []string
	var first error
	for _, st := range states {
		if st.Unread != nil {
			missing = append(missing, st.Token.Serial)
			if first == nil {
				first = st.Unread
			}
		}
	}
	if first != nil {
		return p, states, fmt.Errorf("%w: token %s could not be read in full (%d of %d): %w",
			ErrIncomplete, strings.Join(missing, ", "), len(missing), len(states), first)
	}
	return p, states, nil
}

// stateOf reads a listed token's emergency-access state and, when whole,
// its record, at once (both lookups need only its GUID). What cannot be
// read is said in Unread; the token then keeps what the list said of it.
func (o *Ops) stateOf(ctx context.Context, t TokenSummary, owner string, whole bool) TokenState {
	st := TokenState{ReadAt: o.Now()}
	var terr, eerr error
	if !whole {
		st.EA, eerr = o.c.LookupEmergencyAccess(ctx, t.GUID)
		st.Token, st.Listed = t.token(owner), true
		if eerr != nil {
			st.Unread = fmt.Errorf("its emergency access: %w", eerr)
		}
		return st
	}
	together(
		func() { st.Token, terr = o.c.LookupToken(ctx, TokenRef{GUID: t.GUID}) },
		func() { st.EA, eerr = o.c.LookupEmergencyAccess(ctx, t.GUID) },
	)
	switch {
	case terr != nil && eerr != nil:
		st.Unread = fmt.Errorf("the token and its emergency access: %w", errors.Join(terr, eerr))
	case terr != nil:
		st.Unread = fmt.Errorf("the token record: %w", terr)
	case eerr != nil:
		st.Unread = fmt.Errorf("its emergency access: %w", eerr)
	}
	if terr != nil {
		st.Token, st.Listed = t.token(owner), true
	}
	return st
}

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

// Token reads a token and its emergency-access state: two round trips one
// after the other, as the second needs the GUID the first returns. (Where
// the GUID is known, stateOf and readBack send both at once.)
func (o *Ops) Token(ctx context.Context, serial string) (TokenState, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenState{}, err
	}
	ctx = withQueue(ctx, o.queue)
	at := o.Now()
	t, err := o.c.LookupToken(ctx, TokenRef{Serial: serial})
	if err != nil {
		return TokenState{}, err
	}
	ea, err := o.c.LookupEmergencyAccess(ctx, t.GUID)
	if err != nil {
		return TokenState{}, err
	}
	return TokenState{Token: t, EA: ea, ReadAt: at}, nil
}

// Reread reads a token again, in one round trip when its GUID is known
// (both lookups at once), and its record in full.
func (o *Ops) Reread(ctx context.Context, st TokenState) (TokenState, error) {
	if st.Token.GUID == "" {
		return o.Token(ctx, st.Token.Serial)
	}
	if err := ValidateSerial(st.Token.Serial); err != nil {
		return TokenState{}, err
	}
	now, err := o.readBack(withQueue(ctx, o.queue), st.Token.GUID)
	if err == nil && now.Token.Serial != st.Token.Serial {
		return TokenState{}, fmt.Errorf("%w: AM holds token %s under the GUID of %s", ErrOtherChange, now.Token.Serial, st.Token.Serial)
	}
	return now, err
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

// EARequest is an emergency-access change.
type EARequest struct {
	Serial string
	Mode   EAMode // temporary fixed tokencode or one-time set
	// FixedCode is the admin's temporary fixed tokencode; empty = AM generates one.
	FixedCode Secret
	// Count of one-time tokencodes (MinOneTimeCodes to MaxOneTimeCodes).
	Count int
	// Expires ends emergency access; zero = no expiration.
	Expires time.Time
	// IfAvailable is what happens when the token is used again.
	IfAvailable LostMode
	// Read, when set, is the token as read while the change was reviewed:
	// used instead of reading it again if it is of this serial and fresh
	// (ReadMaxAge), so that only the writes and the read-back remain.
	Read *TokenState
}

// Describe restates the change in words, for confirm dialogs and the audit log.
// Times are shown in loc, the zone of the person reading.
func (r EARequest) Describe(now time.Time, loc *time.Location) string {
	var what string
	switch r.Mode {
	case EAFixedCode:
		what = "a temporary fixed tokencode chosen by you"
		if r.FixedCode == "" {
			what = "a temporary fixed tokencode generated by AM"
		}
	case EAOneTimeCodes:
		what = fmt.Sprintf("a set of %d one-time tokencodes generated by AM", r.Count)
	}
	until := "with no expiration (it works until emergency access is ended)"
	if !r.Expires.IsZero() {
		until = "until " + r.Expires.In(loc).Format("Mon 2 Jan 2006 15:04 MST") + " (" + humanDuration(r.Expires.Sub(now)) + ")"
	}
	return fmt.Sprintf("Give token %s online emergency access with %s, %s; if the token becomes available: %s.",
		r.Serial, what, until, r.IfAvailable)
}

// CodePolicy is the emergency-access code format of AM's default token policy:
// 8 characters, letters and digits, at least one of each.
func CodePolicy(code string) error {
	if len(code) != EACodeSize {
		return fmt.Errorf("%w: the code must be exactly %d characters (it has %d)", ErrInvalidInput, EACodeSize, len(code))
	}
	if why := amproto.CodePolicyViolation(code); why != "" {
		return fmt.Errorf("%w: the code %s", ErrInvalidInput, why)
	}
	return nil
}

// Validate checks a request before any AM call, naming the rule it breaks.
func (o *Ops) Validate(r EARequest) error {
	if err := ValidateSerial(r.Serial); err != nil {
		return err
	}
	switch r.Mode {
	case EAFixedCode:
		if r.FixedCode != "" {
			if err := CodePolicy(r.FixedCode.Reveal()); err != nil {
				return err
			}
		}
	case EAOneTimeCodes:
		if err := CheckOneTimeCount(r.Count); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: choose a temporary fixed tokencode or a set of one-time tokencodes", ErrInvalidInput)
	}
	if !r.IfAvailable.Valid() {
		return fmt.Errorf("%w: choose what happens if the token becomes available", ErrInvalidInput)
	}
	if !r.Expires.IsZero() {
		now := o.Now()
		if !r.Expires.After(now) {
			return fmt.Errorf("%w: the expiry %s is in the past", ErrInvalidInput, r.Expires.Local().Format(TimeLayout))
		}
		if max := now.Add(time.Duration(o.MaxEADays) * 24 * time.Hour); r.Expires.After(max) {
			return fmt.Errorf("%w: the expiry is more than %d days away (AM's maximum lifetime for emergency codes): the latest allowed moment is %s",
				ErrInvalidInput, o.MaxEADays, o.LatestExpiry().Local().Format(TimeLayout))
		}
	}
	return nil
}

// TimeLayout is how a moment is shown to a person, on every screen and in
// every message: to the minute, with its zone (the past-date
// error used another).
const TimeLayout = "2006-01-02 15:04 MST"

// ExpiryMargin is kept below AM's maximum lifetime. The request is checked
// against AM's clock, which may be a little behind ours, and reaches AM a
// moment after it was made: an expiry of exactly now + 14 days could be
// refused as too far away.
const ExpiryMargin = 5 * time.Minute

// LatestExpiry is the latest expiry rsatui sends: AM's maximum lifetime from
// now, less ExpiryMargin, at the millisecond (what AM keeps).
func (o *Ops) LatestExpiry() time.Time {
	return o.Now().Add(time.Duration(o.MaxEADays)*24*time.Hour - ExpiryMargin).Truncate(time.Millisecond)
}

// wireExpiry is the expiry as AM will hold it: at the millisecond (AM keeps
// no finer time, and a read-back is compared with what was sent), and an
// expiry within the margin of the maximum ("14d", the longest allowed) moved
// back to LatestExpiry.
func (o *Ops) wireExpiry(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	max := o.Now().Add(time.Duration(o.MaxEADays) * 24 * time.Hour)
	if latest := o.LatestExpiry(); t.After(latest) && !t.After(max) {
		return latest
	}
	return t.Truncate(time.Millisecond) // later than the maximum: Validate refuses it
}

// ParseExpiry reads a lifetime as people type it (see the package-level
// ParseExpiry) and returns the expiry AM will be sent: at AM's precision,
// and "14d" (the longest allowed) as LatestExpiry. The console's form and
// the verbs show this moment, so what is shown is what AM gets.
func (o *Ops) ParseExpiry(s string) (time.Time, error) {
	t, err := ParseExpiry(s, o.Now())
	if err != nil {
		return t, err
	}
	return o.wireExpiry(t), nil
}

// EAReady is the rule for giving a token emergency access, for every caller
// (the operation refuses by it before any write; the console before the
// form opens): an error (ErrTokenNotReady) when emergency access cannot be
// given, saying what to do instead; warnings when it can be given but will
// not let the person in by itself.
func EAReady(t Token, now time.Time) (warnings []string, err error) {
	switch {
	case !t.Assigned():
		return nil, fmt.Errorf("%w: token %s is not assigned to anyone: assign it first", ErrTokenNotReady, t.Serial)
	case !t.Expires.IsZero() && !t.Expires.After(now):
		return nil, fmt.Errorf("%w: token %s expired on %s: assign the person a replacement token", ErrTokenNotReady, t.Serial, t.Expires.Format("2006-01-02"))
	}
	if !t.Enabled {
		// "a disabled token cannot authenticate" (RSA's docs); that its
		// emergency codes are refused with it is inferred
		warnings = append(warnings, "token "+t.Serial+" is disabled, and a disabled token cannot authenticate: enable it too, or the codes will not let the person in")
	}
	return warnings, nil
}

// EAResult is what an emergency-access operation did.
type EAResult struct {
	Before, After TokenState
	// Codes are the codes AM installed: shown once, never stored.
	Codes []Secret
	// Commands are the AM commands sent, in order.
	Commands []string
	// Note explains anything unusual (e.g. a lost reply that was re-checked).
	Note string
}

// setEmergencyAccess puts a token into online emergency access, in the
// order the product requires: look the token up (its GUID, and that it is
// assigned and unexpired) → look up its EA state and, at the same time,
// generate the code(s) (both need only the GUID; generating installs
// nothing) → update the EA DTO (token lost, mode, policy, expiry) → look
// both up again, at once, to confirm. With a fresh r.Read the lookups
// before the write are skipped: generate → update → read back.
func (o *Ops) setEmergencyAccess(ctx context.Context, r EARequest) (EAResult, error) {
	if err := o.Permits(EAPermission(r.Mode)); err != nil {
		return EAResult{}, err
	}
	if err := o.Validate(r); err != nil {
		return EAResult{}, err
	}
	ctx = withQueue(ctx, o.queue)
	r.Expires = o.wireExpiry(r.Expires) // (done by SetEmergencyAccess already; idempotent)
	var res EAResult
	before, fresh := TokenState{}, r.Read != nil && o.fresh(*r.Read, r.Serial)
	if fresh {
		before = *r.Read
	} else {
		res.Commands = append(res.Commands, "LookupTokenCommand")
		at := o.Now()
		t, err := o.c.LookupToken(ctx, TokenRef{Serial: r.Serial})
		if err != nil {
			return res, err
		}
		before = TokenState{Token: t, ReadAt: at}
	}
	res.Before = before
	t := before.Token
	if _, err := EAReady(t, o.Now()); err != nil {
		return res, err
	}
	if !fresh {
		res.Commands = append(res.Commands, "LookupTokenEmergencyAccessCommand")
	}
	var codes []Secret
	var gerr error
	generate := func() {}
	switch {
	case r.Mode == EAFixedCode && r.FixedCode != "":
		codes = []Secret{r.FixedCode}
	case r.Mode == EAFixedCode:
		res.Commands = append(res.Commands, "GenerateEmergencyAccessCodeCommand")
		generate = func() {
			var code Secret
			code, gerr = o.c.GenerateEmergencyAccessCode(ctx, t.GUID)
			codes = []Secret{code}
		}
	default:
		res.Commands = append(res.Commands, "GenerateOneTimeTokenCodeSetCommand")
		generate = func() { codes, gerr = o.c.GenerateOneTimeCodes(ctx, t.GUID, r.Count) }
	}
	if fresh {
		generate()
	} else {
		var eerr error
		together(func() { before.EA, eerr = o.c.LookupEmergencyAccess(ctx, t.GUID) }, generate)
		res.Before = before
		if eerr != nil {
			return res, eerr // a generated code is dropped: it was never installed
		}
	}
	if gerr != nil {
		return res, gerr
	}
	ea := before.EA
	switch r.Mode {
	case EAFixedCode:
		// tftExpiration stays nil, as RSA's own client and SDK sample send it:
		// eaExpiration ends emergency access, and no source says AM needs both
		ea.TemporaryFixedTokencode, ea.TFTExpiration, ea.OneTimeCodes = codes[0], time.Time{}, nil
	case EAOneTimeCodes:
		ea.OneTimeCodes, ea.TemporaryFixedTokencode, ea.TFTExpiration = codes, "", time.Time{}
	}
	res.Codes = codes
	ea.TokenGUID = t.GUID
	ea.Lost, ea.Mode, ea.LostMode, ea.Expiration = true, r.Mode, r.IfAvailable, r.Expires
	ea.ValidOnlineData, ea.ClearUnusedCodes = true, true
	differs := func(now TokenState) []string {
		e := now.EA
		d := differences{}
		d.check("tokenLost", e.Lost)
		d.check("eaMode", e.Mode == r.Mode)
		d.check("lostMode", e.LostMode == r.IfAvailable)
		d.check("eaExpiration", sameInstant(e.Expiration, r.Expires))
		// AM may not hand codes back; only a code it shows can differ
		d.check("temporaryFixedTokencode", r.Mode != EAFixedCode ||
			e.TemporaryFixedTokencode == "" || e.TemporaryFixedTokencode == ea.TemporaryFixedTokencode)
		d.check("numUnusedCodes", r.Mode != EAOneTimeCodes || e.NumUnusedCodes == len(ea.OneTimeCodes))
		// What AM shows of a change at the same time may look like ours (a
		// set of as many one-time codes, an unechoed fixed code): the token's
		// rowVersion says whether only this write landed since the read. When
		// AM shows the fixed code, the code itself says whose is in force.
		codeShown := r.Mode == EAFixedCode && e.TemporaryFixedTokencode != ""
		d.check("rowVersion (another change landed meanwhile)", codeShown || before.Token.RowVersion == 0 ||
			now.Token.RowVersion == before.Token.RowVersion+1)
		return d
	}
	var err error
	res.After, res.Note, err = o.write(ctx, &res.Commands, EAPlan(r, false).write(), t, differs,
		func() error { return o.c.UpdateEmergencyAccess(ctx, ea) })
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		// not installed, or replaced by another change: never show codes that do not work
		// (when the outcome is unknown they may be active: the caller shows them, marked so)
		res.Codes = nil
	}
	return res, err
}

// clearEmergencyAccess ends online emergency access: the token is back to
// normal use, the fixed code and unused one-time codes are gone. A fresh
// read (see EARequest.Read) saves the lookups before the write.
func (o *Ops) clearEmergencyAccess(ctx context.Context, serial string, read *TokenState) (EAResult, error) {
	if err := o.Permits(PermEmergencyEnd); err != nil {
		return EAResult{}, err
	}
	if err := ValidateSerial(serial); err != nil {
		return EAResult{}, err
	}
	ctx = withQueue(ctx, o.queue)
	var res EAResult
	before, cmds, err := o.current(ctx, serial, read)
	res.Commands = cmds
	if err != nil {
		return res, err
	}
	res.Before = before
	if !before.EA.Active() && !before.EA.Lost {
		res.After, res.Note = before, "emergency access was not on; nothing was changed"
		return res, nil
	}
	ea := before.EA
	ea.Lost, ea.Mode, ea.TemporaryFixedTokencode, ea.OneTimeCodes = false, EAOff, "", nil
	ea.Expiration, ea.TFTExpiration, ea.ClearUnusedCodes, ea.ValidOnlineData = time.Time{}, time.Time{}, true, false
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("tokenLost", !now.EA.Lost)
		d.check("eaMode", now.EA.Mode == EAOff)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, EndEAPlan(false).write(), before.Token, differs,
		func() error { return o.c.UpdateEmergencyAccess(ctx, ea) })
	return res, err
}

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
		return after, "", fmt.Errorf("%s succeeded, but reading the token back failed: %w", command, rerr)
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

// humanDuration says a lifetime the way an admin would: "14 days", "36 hours".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute) // the expiry was computed a moment before
	day := 24 * time.Hour
	switch {
	case d >= 48*time.Hour && d%day < time.Minute:
		return fmt.Sprintf("%d days", int(d/day))
	case d >= 48*time.Hour && day-d%day <= ExpiryMargin: // the longest allowed, less the margin
		return fmt.Sprintf("%d days less %d minutes", int(d/day)+1, int((day-d%day)/time.Minute))
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
}
