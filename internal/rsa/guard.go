package rsa

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/verify"
)

// The caller guard (#31): before a change that hands out a code or lets a
// caller back in, the site's policy (Ops.Policy, package verify) is
// enforced here, where every change passes — the console, the verbs and
// rsatui serve alike:
//   - the checks of the caller the policy asks for were done (the caller
//     the change is made under, WithCaller, is the person it changes);
//   - a change the policy has a second admin approve carries that
//     approval (WithApproval), from someone else;
//   - the admin and the person are under the hour's limit of codes,
//     counted from the audit log (so verbs in other processes count).

// Errors of the guard, for errors.Is.
var (
	// ErrNotVerified: the policy's checks of the caller were not all done.
	ErrNotVerified = errors.New("the caller is not verified")
	// ErrNeedsApproval: the change waits for a second admin (rsatui serve).
	ErrNeedsApproval = errors.New("needs a second admin's approval")
	// ErrFlood: more codes within the hour than the site allows; the
	// refusal is audited as an alarm.
	ErrFlood = errors.New("too many codes within the hour")
)

// PasscodeCheckFor is how long an accepted passcode test verifies the
// caller (the call it was made in).
const PasscodeCheckFor = 15 * time.Minute

type callerKey struct{}

type caller struct {
	login string
	done  verify.Done
}

// WithCaller is ctx naming the person on the phone and the checks of them
// the admin did: changes to that person made under it are verified by them
// (login "": whoever the one change made under it is for — a verb's).
func WithCaller(ctx context.Context, login string, done verify.Done) context.Context {
	return context.WithValue(ctx, callerKey{}, caller{login: login, done: done})
}

// sshName is the user name of an SSHUser ("alice from 10.0.0.5": alice).
func sshName(s string) string {
	name, _, _ := strings.Cut(s, " from ")
	return strings.ToLower(name)
}

// String names the actor as the audit and the screens do.
func (a Actor) String() string {
	switch {
	case a.SSHUser != "" && a.KeyFP != "":
		return sshName(a.SSHUser) + " (key " + a.KeyFP + ")"
	case a.SSHUser != "":
		return a.SSHUser
	}
	return a.OSUser
}

// Change is what the guard is asked about: an action on a person's token
// or account, ending after Lasts (0: no end asked for).
type Change struct {
	Action action.Name
	Login  string
	Lasts  time.Duration // verify.NoEnd: it never ends
	// NewSeed: a software token issued with a new seed ([approve]
	// new-seed)
	NewSeed bool
}

// lasts is how long a change ending at expires lasts from now (zero:
// it never ends).
func (o *Ops) lasts(expires time.Time) time.Duration {
	if expires.IsZero() {
		return verify.NoEnd
	}
	return expires.Sub(o.Now())
}

// CallerPolicy is the policy the operations enforce: with none set (the
// package's own tests; every command sets one), none — no checks, no
// approvals, no limits — as the guard enforces none.
func (o *Ops) CallerPolicy() verify.Policy {
	if o.Policy == nil {
		return verify.Policy{}
	}
	return *o.Policy
}

// IsPrivileged says whether the person is privileged (the directory's
// groups, by the policy's list); false when no directory was given.
func (o *Ops) IsPrivileged(ctx context.Context, login string) (bool, error) {
	if o.Privileged == nil {
		return false, nil
	}
	privileged, err := o.Privileged(ctx, login)
	if err != nil {
		return false, fmt.Errorf("whether %s is privileged could not be read from the directory (%v): try again", login, err)
	}
	return privileged, nil
}

// RequiredChecks is what action a on login needs of the caller: the
// console's checks and the verbs' refusal both ask here.
func (o *Ops) RequiredChecks(ctx context.Context, a action.Name, login string) (checks []verify.Check, privileged bool, err error) {
	p := o.CallerPolicy()
	if p.Stricter(a) {
		if o.Privileged == nil {
			return nil, false, fmt.Errorf("%w: the site's policy asks more of the callers of privileged people, and no directory is configured to tell whether %s is one ([ldap])", ErrNotVerified, login)
		}
		if privileged, err = o.IsPrivileged(ctx, login); err != nil {
			return nil, false, err
		}
	}
	return p.Required(a, privileged), privileged, nil
}

// ApprovalNeeded says why ch waits for a second admin ("" : it does not).
func (o *Ops) ApprovalNeeded(ctx context.Context, ch Change) (string, error) {
	p := o.CallerPolicy()
	privileged := false
	if ch.Action == action.Unlock && p.Approve.UnlockPrivileged {
		var err error
		if privileged, err = o.IsPrivileged(ctx, ch.Login); err != nil {
			return "", err
		}
	}
	why := p.ApprovalNeeded(ch.Action, privileged, ch.Lasts)
	if why == "" && ch.NewSeed {
		why = p.ApprovalNeeded(action.NewSeed, privileged, 0)
	}
	return why, nil
}

// guard enforces the policy on ch, before AM is asked to change (or
// generate) anything; what it found goes into the change's audit lines.
func (o *Ops) guard(ctx context.Context, ch Change) error {
	if ch.Login != "" {
		o.tag(ctx, "person", ch.Login)
	}
	if o.Policy == nil {
		return nil // the library's own tests; every command sets one
	}
	o.tag(ctx, "action", string(ch.Action))
	c, _ := ctx.Value(callerKey{}).(caller)
	done := verify.Done{}
	if c.login == "" || strings.EqualFold(c.login, ch.Login) { // "": the one person of a verb's change
		done = c.done
	}
	req := o.CallerPolicy().Required(ch.Action, true)
	if len(done.Missing(req)) > 0 {
		// not the privileged list's every check: whether they are one decides
		var err error
		if req, _, err = o.RequiredChecks(ctx, ch.Action, ch.Login); err != nil {
			return err
		}
	}
	if len(req) > 0 {
		missing := done.Missing(req)
		if _, claimed := done[verify.Passcode]; claimed && !o.passcodeAccepted(ch.Login) {
			return fmt.Errorf("%w: %s needs a passcode test %s passed with this admin in the last %d minutes, and the audit holds none (test it first: rsatui auth test %s)",
				ErrNotVerified, ch.Action, ch.Login, int(PasscodeCheckFor/time.Minute), ch.Login)
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: %s for %s needs these checks of the caller first: %s (the console's form lists them; a verb takes --verified %s)",
				ErrNotVerified, ch.Action, ch.Login, verify.Join(missing), example(req))
		}
		o.tag(ctx, "verified", done.String())
	}
	if err := o.CheckApproval(ctx, ch); err != nil {
		var ae *ApprovalError
		if errors.As(err, &ae) && len(req) > 0 {
			ae.Verified = done.String() // the approver sees which checks were done
		}
		return err
	}
	if verify.Counted(ch.Action) {
		return o.underLimits(ch)
	}
	return nil
}

// example is the --verified a verb would take for req.
func example(req []verify.Check) string {
	s := make([]string, len(req))
	for i, c := range req {
		s[i] = string(c)
		if c == verify.Ticket {
			s[i] += "=INC123"
		}
	}
	return strings.Join(s, ",")
}

// underLimits refuses a code beyond the hour's limits, counted from the
// audit log: every change (its intent line) that handed one out and was
// not refused or failed, by this admin or for this person.
func (o *Ops) underLimits(ch Change) error {
	lim := o.CallerPolicy().Limits
	if (lim.PerAdmin == 0 && lim.PerPerson == 0) || o.Audit == nil {
		return nil
	}
	byAdmin, forPerson := o.codesWithin(time.Hour, ch.Login)
	switch {
	case lim.PerAdmin > 0 && byAdmin >= lim.PerAdmin:
		return fmt.Errorf("%w: you handed out %d codes or software tokens within the hour, the site's limit for one admin; this is reported to security (wait, or have another admin look at it)",
			ErrFlood, byAdmin)
	case lim.PerPerson > 0 && forPerson >= lim.PerPerson:
		return fmt.Errorf("%w: %s was given %d codes or software tokens within the hour, the site's limit for one person; this is reported to security (a caller asking again and again is the pattern of an attack)",
			ErrFlood, ch.Login, forPerson)
	}
	return nil
}

// codesWithin counts the codes handed out within d by this admin and for
// login, from the audit log.
func (o *Ops) codesWithin(d time.Duration, login string) (byAdmin, forPerson int) {
	type change struct {
		e     audit.Entry
		ended bool // refused, failed or an alarm: nothing handed out
	}
	seen := map[string]*change{}
	var order []string
	for _, e := range o.auditWithin(d) {
		if !verify.Counted(action.Name(e.Params["action"])) {
			continue
		}
		c := seen[e.ID]
		if c == nil {
			c = &change{e: e}
			seen[e.ID] = c
			order = append(order, e.ID)
		}
		switch e.Outcome {
		case audit.Refused, audit.Failed, audit.Alarm:
			c.ended = true
		}
	}
	for _, id := range order {
		c := seen[id]
		if c.ended {
			continue
		}
		if (Actor{OSUser: c.e.OSUser, SSHUser: c.e.SSHUser, KeyFP: c.e.KeyFP}).Same(o.Actor) {
			byAdmin++
		}
		if strings.EqualFold(c.e.Params["person"], login) {
			forPerson++
		}
	}
	return byAdmin, forPerson
}

// auditWithin is the audit log's lines of the last d about the AM these
// operations change (one log may hold a test AM's, or --demo's, too),
// read from the end: a year of lines costs what the last hour does. A line
// it cannot read is passed over.
func (o *Ops) auditWithin(d time.Duration) []audit.Entry {
	entries, _ := audit.Since(o.Audit.Path(), o.Now().Add(-d))
	return slices.DeleteFunc(entries, func(e audit.Entry) bool {
		return e.Endpoint != o.Audit.Endpoint || e.Demo != o.Audit.Demo
	})
}

// passcodeAccepted reports whether this admin's passcode test of login
// was accepted by AM within PasscodeCheckFor, as the audit holds it.
func (o *Ops) passcodeAccepted(login string) bool {
	if o.Audit == nil {
		return false
	}
	for _, e := range o.auditWithin(PasscodeCheckFor) {
		if e.Operation == "auth.test" && e.Outcome == audit.OK && e.Params["accepted"] == "true" &&
			strings.EqualFold(e.Target, "user "+login) && (Actor{OSUser: e.OSUser, SSHUser: e.SSHUser, KeyFP: e.KeyFP}).Same(o.Actor) {
			return true
		}
	}
	return false
}

// tag adds key=value to the audit lines of the change under way in ctx.
func (o *Ops) tag(ctx context.Context, key, value string) {
	p, _ := ctx.Value(auditKey{}).(*pendingAudit)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// a copy: the map may be the caller's
	params := maps.Clone(p.entry.Params)
	if params == nil {
		params = map[string]string{}
	}
	params[key] = value
	p.entry.Params = params
}
