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
)

// Ops runs operations against one AM.
type Ops struct {
	c *Client
	// IdentitySource is the name of the identity source that maps the
	// directory; empty = the only non-internal one.
	IdentitySource string
	// MaxEADays is auth_manager.admin.eatokencode_expire_days (default 14).
	MaxEADays int
	// ReadOnly refuses every write here, before AM is asked.
	ReadOnly bool
	Now      func() time.Time
	// SettleDelay is the wait before re-reading a second time after a lost
	// reply (default 2 s).
	SettleDelay time.Duration
	// Audit, when set, records every write with Actor.
	Audit *audit.Log
	Actor Actor

	src *sourceCache // shared by every Ops derived with For
}

// sourceCache holds the resolved identity source; one lookup serves every
// person of an SSH server.
type sourceCache struct {
	mu     sync.Mutex
	source IdentitySource
}

// NewOps returns the operations on client c.
func NewOps(c *Client) *Ops {
	return &Ops{c: c, MaxEADays: amproto.EAMaxLifetimeDefaultDays, Now: time.Now, src: &sourceCache{}}
}

// For returns the operations for one person (an SSH session): the same AM
// client, settings, audit log and resolved identity source, their own Actor;
// readOnly can only tighten o's own setting, never lift it.
func (o *Ops) For(a Actor, readOnly bool) *Ops {
	return &Ops{c: o.c, IdentitySource: o.IdentitySource, MaxEADays: o.MaxEADays, ReadOnly: o.ReadOnly || readOnly,
		Now: o.Now, SettleDelay: o.SettleDelay, Audit: o.Audit, Actor: a, src: o.src}
}

// Client is the underlying AM client.
func (o *Ops) Client() *Client { return o.c }

// Source resolves (once) the identity source: the configured name, or the only
// LDAP one. Its GUID is what principal searches need — the missing piece behind
// "IdentitySource Guid is not specified".
func (o *Ops) Source(ctx context.Context) (IdentitySource, error) {
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

// Principal finds the AM principal for a directory login.
func (o *Ops) Principal(ctx context.Context, login string) (Principal, error) {
	if strings.TrimSpace(login) == "" {
		return Principal{}, fmt.Errorf("%w: the login is empty", ErrInvalidInput)
	}
	src, err := o.Source(ctx)
	if err != nil {
		return Principal{}, err
	}
	ps, err := o.c.SearchPrincipals(ctx, PrincipalQuery{Login: login, IdentitySourceGUID: src.GUID, SecurityDomainGUID: src.SecurityDomainGUID, Limit: 2})
	if err != nil {
		return Principal{}, err
	}
	switch len(ps) {
	case 0:
		return Principal{}, fmt.Errorf("%w: %q is not in %q", ErrNotInAM, login, src.Name)
	case 1:
		return ps[0], nil
	}
	return Principal{}, fmt.Errorf("%w: %d AM principals have the login %q", ErrAmbiguous, len(ps), login)
}

// UserTokens returns a user's principal and tokens, sorted by serial.
func (o *Ops) UserTokens(ctx context.Context, login string) (Principal, []TokenSummary, error) {
	p, err := o.Principal(ctx, login)
	if err != nil {
		return Principal{}, nil, err
	}
	ts, err := o.c.ListTokensByPrincipal(ctx, p.GUID)
	if err != nil {
		return p, nil, err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Serial < ts[j].Serial })
	return p, ts, nil
}

// TokenState is a token with its emergency-access state, as AM holds them.
type TokenState struct {
	Token Token
	EA    EmergencyAccess
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

// Token reads a token and its emergency-access state.
func (o *Ops) Token(ctx context.Context, serial string) (TokenState, error) {
	if err := ValidateSerial(serial); err != nil {
		return TokenState{}, err
	}
	t, err := o.c.LookupToken(ctx, TokenRef{Serial: serial})
	if err != nil {
		return TokenState{}, err
	}
	ea, err := o.c.LookupEmergencyAccess(ctx, t.GUID)
	if err != nil {
		return TokenState{}, err
	}
	return TokenState{Token: t, EA: ea}, nil
}

// EARequest is an emergency-access change.
type EARequest struct {
	Serial string
	Mode   EAMode // temporary fixed tokencode or one-time set
	// FixedCode is the admin's temporary fixed tokencode; empty = AM generates one.
	FixedCode Secret
	// Count of one-time tokencodes (1–100).
	Count int
	// Expires ends emergency access; zero = no expiration.
	Expires time.Time
	// IfAvailable is what happens when the token is used again.
	IfAvailable LostMode
}

// Describe restates the change in words, for confirm dialogs and the audit log.
func (r EARequest) Describe(now time.Time) string {
	var what string
	switch r.Mode {
	case amproto.EAModeTemporaryFixedCode:
		what = "a temporary fixed tokencode chosen by you"
		if r.FixedCode == "" {
			what = "a temporary fixed tokencode generated by AM"
		}
	case amproto.EAModeOneTimeCodeSet:
		what = fmt.Sprintf("a set of %d one-time tokencodes generated by AM", r.Count)
	}
	until := "with no expiration"
	if !r.Expires.IsZero() {
		until = "until " + r.Expires.Local().Format("Mon 2 Jan 2006 15:04 MST") + " (" + humanDuration(r.Expires.Sub(now)) + ")"
	}
	return fmt.Sprintf("Give token %s online emergency access with %s, %s; if the token becomes available: %s.",
		r.Serial, what, until, r.IfAvailable)
}

// CodePolicy is the emergency-access code format of AM's default token policy:
// 8 characters, letters and digits, at least one of each.
func CodePolicy(code string) error {
	if len(code) != amproto.EACodeSize {
		return fmt.Errorf("%w: the code must be exactly %d characters (it has %d)", ErrInvalidInput, amproto.EACodeSize, len(code))
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
	case amproto.EAModeTemporaryFixedCode:
		if r.FixedCode != "" {
			if err := CodePolicy(r.FixedCode.Reveal()); err != nil {
				return err
			}
		}
	case amproto.EAModeOneTimeCodeSet:
		if r.Count < 1 || r.Count > 100 {
			return fmt.Errorf("%w: the number of one-time codes must be 1 to 100 (not %d)", ErrInvalidInput, r.Count)
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
			return fmt.Errorf("%w: the expiry %s is in the past", ErrInvalidInput, r.Expires.Format(time.RFC3339))
		}
		if max := now.Add(time.Duration(o.MaxEADays) * 24 * time.Hour); r.Expires.After(max) {
			return fmt.Errorf("%w: the expiry is more than %d days away (AM's maximum lifetime for emergency codes): the latest allowed moment is %s",
				ErrInvalidInput, o.MaxEADays, o.LatestExpiry().Format("2006-01-02 15:04 MST"))
		}
	}
	return nil
}

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

// SetEmergencyAccess puts a token into online emergency access, in the order
// the product requires: look the token up (its GUID, and that it is assigned
// and unexpired) → look up its EA state → generate the code(s) → update the EA
// DTO (token lost, mode, policy, expiry) → look it up again to confirm.
func (o *Ops) setEmergencyAccess(ctx context.Context, r EARequest) (EAResult, error) {
	if o.ReadOnly {
		return EAResult{}, ErrReadOnly
	}
	if err := o.Validate(r); err != nil {
		return EAResult{}, err
	}
	r.Expires = o.wireExpiry(r.Expires) // (done by SetEmergencyAccess already; idempotent)
	res := EAResult{Commands: []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}}
	before, err := o.Token(ctx, r.Serial)
	if err != nil {
		return res, err
	}
	res.Before = before
	t := before.Token
	switch {
	case !t.Assigned():
		return res, fmt.Errorf("%w: token %s is not assigned to anyone: assign it first", ErrTokenNotReady, t.Serial)
	case !t.Expires.IsZero() && !t.Expires.After(o.Now()):
		return res, fmt.Errorf("%w: token %s expired on %s: assign the user a replacement token", ErrTokenNotReady, t.Serial, t.Expires.Format("2006-01-02"))
	}
	ea := before.EA
	switch r.Mode {
	case amproto.EAModeTemporaryFixedCode:
		code := r.FixedCode
		if code == "" {
			res.Commands = append(res.Commands, "GenerateEmergencyAccessCodeCommand")
			if code, err = o.c.GenerateEmergencyAccessCode(ctx, t.GUID); err != nil {
				return res, err
			}
		}
		// tftExpiration stays nil, as RSA's own client and SDK sample send it:
		// eaExpiration ends emergency access, and no source says AM needs both
		ea.TemporaryFixedTokencode, ea.TFTExpiration, ea.OneTimeCodes = code, time.Time{}, nil
		res.Codes = []Secret{code}
	case amproto.EAModeOneTimeCodeSet:
		res.Commands = append(res.Commands, "GenerateOneTimeTokenCodeSetCommand")
		codes, err := o.c.GenerateOneTimeCodes(ctx, t.GUID, r.Count)
		if err != nil {
			return res, err
		}
		ea.OneTimeCodes, ea.TemporaryFixedTokencode, ea.TFTExpiration = codes, "", time.Time{}
		res.Codes = codes
	}
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
		d.check("temporaryFixedTokencode", r.Mode != amproto.EAModeTemporaryFixedCode ||
			e.TemporaryFixedTokencode == "" || e.TemporaryFixedTokencode == ea.TemporaryFixedTokencode)
		d.check("numUnusedCodes", r.Mode != amproto.EAModeOneTimeCodeSet || e.NumUnusedCodes == len(ea.OneTimeCodes))
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, "UpdateTokenEmergencyAccessCommand", r.Serial, differs,
		func() error { return o.c.UpdateEmergencyAccess(ctx, ea) })
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		// not installed, or replaced by another change: never show codes that do not work
		// (when the outcome is unknown they may be active: the caller shows them, marked so)
		res.Codes = nil
	}
	return res, err
}

// ClearEmergencyAccess ends online emergency access: the token is back to
// normal use, the fixed code and unused one-time codes are gone.
func (o *Ops) clearEmergencyAccess(ctx context.Context, serial string) (EAResult, error) {
	if o.ReadOnly {
		return EAResult{}, ErrReadOnly
	}
	res := EAResult{Commands: []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}}
	before, err := o.Token(ctx, serial)
	if err != nil {
		return res, err
	}
	res.Before = before
	if !before.EA.Active() && !before.EA.Lost {
		res.After, res.Note = before, "emergency access was not on; nothing was changed"
		return res, nil
	}
	ea := before.EA
	ea.Lost, ea.Mode, ea.TemporaryFixedTokencode, ea.OneTimeCodes = false, amproto.EAModeNone, "", nil
	ea.Expiration, ea.TFTExpiration, ea.ClearUnusedCodes, ea.ValidOnlineData = time.Time{}, time.Time{}, true, false
	differs := func(now TokenState) []string {
		d := differences{}
		d.check("tokenLost", !now.EA.Lost)
		d.check("eaMode", now.EA.Mode == amproto.EAModeNone)
		return d
	}
	res.After, res.Note, err = o.write(ctx, &res.Commands, "UpdateTokenEmergencyAccessCommand", serial, differs,
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
func (o *Ops) write(ctx context.Context, cmds *[]string, command, serial string, differs func(TokenState) []string,
	send func() error) (after TokenState, note string, err error) {
	if err := o.announce(ctx); err != nil {
		return after, "", err
	}
	*cmds = append(*cmds, command)
	err = send()
	if errors.Is(err, ErrInvalidSession) {
		*cmds = append(*cmds, "LoginCommand", command)
		err = send()
	}
	*cmds = append(*cmds, "LookupTokenCommand", "LookupTokenEmergencyAccessCommand")
	after, rerr := o.Token(ctx, serial)
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
		*cmds = append(*cmds, "LookupTokenCommand", "LookupTokenEmergencyAccessCommand")
		if again, rerr := o.Token(ctx, serial); rerr == nil {
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
