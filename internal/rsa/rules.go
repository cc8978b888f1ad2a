package rsa

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
)

// The product's rules, each said once here; the operations, the console,
// the verbs and the diagnosis all ask them, so nothing above this package
// spells a limit or an AM constant of its own.

// The kinds of online emergency access (TokenEmergencyAccessDTO.eaMode).
const (
	EAOff          EAMode = amproto.EAModeNone
	EAFixedCode    EAMode = amproto.EAModeTemporaryFixedCode
	EAOneTimeCodes EAMode = amproto.EAModeOneTimeCodeSet
)

// What happens when the token becomes available again (lostMode); each
// says itself in words with String, the one wording of the policy.
const (
	IfAvailableAllowAndEnd LostMode = amproto.DisableEAOnAuth
	IfAvailableDeny        LostMode = amproto.DisableEAOnExpire
	IfAvailableAllowBoth   LostMode = amproto.DisableEANever
)

// IfAvailableChoices are the policies a change may set, in the order the
// form and the verbs offer them.
var IfAvailableChoices = []LostMode{IfAvailableAllowAndEnd, IfAvailableDeny, IfAvailableAllowBoth}

// The token types the demo data set and the console name.
const (
	TokenTypeKeyFob  TokenType = amproto.TokenTypeKeyFob
	TokenTypeSoftID  TokenType = amproto.TokenTypeSoftID
	TokenTypeSMSAuth TokenType = amproto.TokenTypeSMSAuth
)

// EACodeSize is the length of an emergency-access code under AM's default
// token policy (letters and digits).
const EACodeSize = amproto.EACodeSize

// DefaultMaxEADays is AM's maximum lifetime of emergency codes when the
// site did not change it (auth_manager.admin.eatokencode_expire_days).
const DefaultMaxEADays = amproto.EAMaxLifetimeDefaultDays

// MinOneTimeCodes and MaxOneTimeCodes bound a set of one-time codes, given
// or added.
const (
	MinOneTimeCodes = 1
	MaxOneTimeCodes = 100
)

// CheckOneTimeCount refuses a number of one-time codes outside the bounds.
func CheckOneTimeCount(n int) error {
	if n < MinOneTimeCodes || n > MaxOneTimeCodes {
		return fmt.Errorf("%w: the number of one-time codes must be %d to %d (not %d)", ErrInvalidInput, MinOneTimeCodes, MaxOneTimeCodes, n)
	}
	return nil
}

// EAPermission is what a person needs to give (or extend) emergency
// access of mode m: a set of one-time codes is its own permission.
func EAPermission(m EAMode) Permission {
	if m == EAOneTimeCodes {
		return PermEmergencyOTT
	}
	return PermEmergencyTFT
}

// ExpiresSoonWithin is how close a token's end is before it is flagged:
// the token table's mark, the diagnosis' warning and the expiring report
// all use it, so one screen never says two things.
const ExpiresSoonWithin = 30 * 24 * time.Hour

// ExpiresSoon reports whether t ends within ExpiresSoonWithin of now (and
// has not ended yet). A zero t never ends.
func ExpiresSoon(t, now time.Time) bool {
	return !t.IsZero() && t.After(now) && t.Sub(now) < ExpiresSoonWithin
}

// EALifetimeDays is AM's maximum lifetime of emergency codes as these
// operations apply it: the form's default and the latest end it offers.
func (o *Ops) EALifetimeDays() int { return o.MaxEADays }

// OneTimeCountHint is how a box or a flag says the bounds ("1–100").
var OneTimeCountHint = fmt.Sprintf("%d–%d", MinOneTimeCodes, MaxOneTimeCodes)

// ParseOneTimeCount is a number of one-time codes as typed (a form's box,
// a verb's argument), checked against the bounds.
func ParseOneTimeCount(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%w: the number of one-time codes must be %d to %d (not %q)", ErrInvalidInput, MinOneTimeCodes, MaxOneTimeCodes, s)
	}
	return n, CheckOneTimeCount(n)
}

// DefaultEALifetime is how long emergency access lasts unless the admin
// says otherwise: long enough for a token left at home, well short of AM's
// maximum (a code that works for two weeks is a code worth stealing).
// config.toml's [defaults] ea_lifetime changes it.
const DefaultEALifetime = "3d"

// CheckEALifetime refuses a default lifetime that is not one ("14d",
// "36h", "never") or that AM's default maximum would refuse.
func CheckEALifetime(s string, now time.Time) error {
	if strings.TrimSpace(s) == "" || strings.Contains(s, "-") {
		return fmt.Errorf("%w: give a lifetime from now, not a date", ErrInvalidInput)
	}
	t, err := ParseExpiry(s, now)
	if err != nil {
		return err
	}
	if !t.IsZero() && t.After(now.Add(DefaultMaxEADays*24*time.Hour)) {
		return fmt.Errorf("%w: more than AM's maximum of %d days", ErrInvalidInput, DefaultMaxEADays)
	}
	return nil
}
