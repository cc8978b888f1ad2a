package rsa

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa/am"
)

// The offline emergency passcode: the "I'm on a plane" call. A laptop with
// offline authentication (a Windows agent that allows it) checks what it
// downloaded; when the token is lost off the network, the person types
// this passcode instead (helpdesk-ops §7: AMPrincipalEmergencyAccessDTO's
// fields are confirmed, their meanings inferred from the names). It is a
// code like the online ones and gets the same care: never in argv, logs
// or the audit; shown once; an expiry within AM's emergency maximum.

// OfflineState is what AM holds of a person's offline emergency passcode,
// the passcode itself left out.
type OfflineState struct {
	Login   string    `json:"login"`
	Allowed bool      `json:"allowed"` // eapcAllowed
	Set     bool      `json:"set"`     // a passcode is held
	Expires time.Time `json:"expires,omitzero"`
	Expired bool      `json:"expired"`
	// DownloadPending: the laptop fetches it at its next online login
	// (downloadNewEaPasscode); Downloaded: it holds it (validDownloadedData).
	DownloadPending bool `json:"download_pending"`
	Downloaded      bool `json:"downloaded"`
}

// Usable reports whether the passcode works offline now, as far as AM's
// record says (the laptop must have downloaded it too).
func (s OfflineState) Usable() bool { return s.Allowed && s.Set && !s.Expired }

// Words say the state for a person reading it.
func (s OfflineState) Words(loc *time.Location) string {
	switch {
	case !s.Allowed || !s.Set:
		return "no offline emergency passcode"
	case s.Expired:
		return "offline emergency passcode expired " + s.Expires.In(loc).Format(TimeLayout)
	}
	w := "offline emergency passcode set"
	if !s.Expires.IsZero() {
		w += ", until " + s.Expires.In(loc).Format(TimeLayout)
	}
	switch {
	case s.DownloadPending:
		w += "; the laptop fetches it at its next online login"
	case s.Downloaded:
		w += "; the laptop holds it"
	}
	return w
}

func (o *Ops) offlineState(login string, p am.OfflinePasscode) OfflineState {
	return OfflineState{Login: login, Allowed: p.Allowed, Set: p.Passcode != "", Expires: p.Expires,
		Expired: !p.Expires.IsZero() && !p.Expires.After(o.Now()), DownloadPending: p.DownloadNew, Downloaded: p.Downloaded}
}

// OfflinePasscodePlan is what setting or removing it sends.
func OfflinePasscodePlan() Plan {
	look := Step{Commands: []string{"LookupEmergencyAccessPasscodeCommand"}}
	return Plan{look, {Commands: []string{"UpdateEmergencyAccessPasscodeCommand"}, Carries: "the whole record"}, look}
}

// OfflinePasscode reads login's offline emergency passcode, the passcode
// left out (anyone may see whether there is one).
func (o *Ops) OfflinePasscode(ctx context.Context, login string) (OfflineState, error) {
	ctx = am.WithQueue(ctx, o.queue)
	p, err := o.Principal(ctx, login)
	if err != nil {
		return OfflineState{}, err
	}
	rec, err := o.c.LookupOfflinePasscode(ctx, p.GUID)
	return o.offlineState(login, rec), err
}

// RevealOfflinePasscode is the passcode itself, for an admin to read out:
// it needs PermOfflinePasscode and is audited (the passcode is not).
func (o *Ops) RevealOfflinePasscode(ctx context.Context, login string) (Secret, error) {
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "user.offline-passcode.show", "user "+login, nil)
	code, err := o.revealOffline(ctx, login)
	return code, o.record(ctx, []string{"LookupEmergencyAccessPasscodeCommand"}, "", err)
}

func (o *Ops) revealOffline(ctx context.Context, login string) (Secret, error) {
	if err := o.Permits(PermOfflinePasscode); err != nil {
		return "", err
	}
	p, err := o.Principal(ctx, login)
	if err != nil {
		return "", err
	}
	if err := o.announce(ctx); err != nil { // shown is as good as given: audited first
		return "", err
	}
	rec, err := o.c.LookupOfflinePasscode(ctx, p.GUID)
	if err != nil {
		return "", err
	}
	if s := o.offlineState(login, rec); !s.Usable() {
		return "", fmt.Errorf("%w: %s has %s", ErrNotFound, login, s.Words(time.Local))
	}
	return rec.Passcode, nil
}

// OfflinePasscodeRequest sets (or, Remove, takes away) a person's offline
// emergency passcode.
type OfflinePasscodeRequest struct {
	Login string
	// Passcode is the admin's; empty: rsatui makes one (AM's API has no
	// generator for it).
	Passcode Secret
	Expires  time.Time // required: an offline passcode never lasts
	Remove   bool
	// Keep is given the passcode before the write that installs it (as
	// EARequest.Keep).
	Keep func(Secret) error
}

// OfflinePasscodeResult is the change: before and after (no passcode),
// the passcode set (once), the commands sent.
type OfflinePasscodeResult struct {
	Before, After OfflineState
	Passcode      Secret
	Commands      []string
	Note          string
}

// offlineAlphabet leaves out the characters misheard or misread on a call
// (0/o, 1/l/i).
const offlineAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// OfflinePasscodeLength is the length of a passcode rsatui makes.
const OfflinePasscodeLength = 12

// CheckOfflinePasscode refuses a typed passcode AM would refuse [proposal:
// 8 to 24 printable characters, no spaces].
func CheckOfflinePasscode(s Secret) error {
	v := s.Reveal()
	if len(v) < 8 || len(v) > 24 {
		return fmt.Errorf("%w: an offline emergency passcode has 8 to 24 characters (this one has %d)", ErrInvalidInput, len(v))
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("%w: an offline emergency passcode has letters, digits and punctuation only (no spaces)", ErrInvalidInput)
		}
	}
	return nil
}

func newOfflinePasscode() (Secret, error) {
	b := make([]byte, OfflinePasscodeLength)
	n := big.NewInt(int64(len(offlineAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n) // uniform over the alphabet
		if err != nil {
			return "", fmt.Errorf("making an offline passcode: %w", err)
		}
		b[i] = offlineAlphabet[k.Int64()]
	}
	return Secret(b), nil
}

// SetOfflinePasscode sets or removes login's offline emergency passcode:
// read the record → UpdateEmergencyAccessPasscodeCommand (the whole
// record) → read back, the passcode compared, never shown but in the
// result.
func (o *Ops) SetOfflinePasscode(ctx context.Context, r OfflinePasscodeRequest) (OfflinePasscodeResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	op, params := "user.offline-passcode.set", map[string]string{"expires": r.Expires.UTC().Format(time.RFC3339)}
	if r.Remove {
		op, params = "user.offline-passcode.remove", nil
	} else if r.Passcode == "" {
		params["passcode"] = "generated"
	} else {
		params["passcode"] = "typed"
	}
	ctx = o.intend(ctx, op, "user "+r.Login, params)
	res, err := o.setOffline(ctx, r)
	return res, o.record(ctx, res.Commands, res.Note, err)
}

func (o *Ops) setOffline(ctx context.Context, r OfflinePasscodeRequest) (OfflinePasscodeResult, error) {
	var res OfflinePasscodeResult
	if err := o.Permits(PermOfflinePasscode); err != nil {
		return res, err
	}
	if !r.Remove {
		if r.Expires.IsZero() {
			return res, fmt.Errorf("%w: give the offline emergency passcode an expiry (at most %d days)", ErrInvalidInput, o.MaxEADays)
		}
		if err := o.checkExpiry(r.Expires); err != nil {
			return res, err
		}
		if r.Passcode != "" {
			if err := CheckOfflinePasscode(r.Passcode); err != nil {
				return res, err
			}
		}
	}
	p, err := o.Principal(ctx, r.Login)
	if err != nil {
		return res, err
	}
	if !r.Remove {
		if err := o.guard(ctx, Change{Action: action.OfflinePasscode, Login: r.Login, Lasts: o.lasts(r.Expires)}); err != nil {
			return res, err
		}
	}
	plan := OfflinePasscodePlan()
	res.Commands = append(res.Commands, plan[0].Commands...)
	before, err := o.c.LookupOfflinePasscode(ctx, p.GUID)
	if err != nil {
		return res, err
	}
	res.Before = o.offlineState(r.Login, before)
	want := am.OfflinePasscode{PrincipalGUID: p.GUID}
	if r.Remove {
		if !before.Allowed && before.Passcode == "" {
			res.After, res.Note = res.Before, r.Login+" has no offline emergency passcode; nothing was changed"
			return res, nil
		}
	} else {
		code := r.Passcode
		if code == "" {
			if code, err = newOfflinePasscode(); err != nil {
				return res, err
			}
		}
		want = am.OfflinePasscode{PrincipalGUID: p.GUID, Passcode: code, Expires: o.wireExpiry(r.Expires), Allowed: true, DownloadNew: true}
		if r.Keep != nil {
			if err := r.Keep(code); err != nil {
				return res, err
			}
		}
	}
	if err := o.announce(ctx); err != nil {
		return res, err
	}
	res.Commands = append(res.Commands, plan.write())
	werr := o.c.UpdateOfflinePasscode(ctx, want)
	res.Commands = append(res.Commands, plan[2].Commands...)
	after, rerr := o.c.LookupOfflinePasscode(ctx, p.GUID)
	if rerr == nil {
		res.After = o.offlineState(r.Login, after)
	}
	held := rerr == nil && after.Allowed == want.Allowed && after.Passcode == want.Passcode && after.Expires.Equal(want.Expires)
	switch {
	case werr == nil && rerr != nil:
		return res, fmt.Errorf("%w: AM took UpdateEmergencyAccessPasscodeCommand for %s, but reading it back failed (%v): do not send it again, read it with rsatui user offline-passcode %s: %w",
			ErrUnverified, r.Login, rerr, r.Login, ErrOutcomeUnknown)
	case werr == nil && !held:
		return res, fmt.Errorf("%w: AM took UpdateEmergencyAccessPasscodeCommand, but holds another offline passcode record for %s now", ErrOtherChange, r.Login)
	case werr != nil && !(held && errors.Is(werr, ErrOutcomeUnknown)):
		return res, werr // else the reply was lost, the read-back shows it done
	}
	if !r.Remove {
		res.Passcode = want.Passcode
	}
	return res, nil
}
