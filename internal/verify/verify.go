// Package verify is the site's policy for the caller on the phone: which
// checks of who they are each action needs before a code leaves the help
// desk ([verify]), which changes wait for a second admin ([approve]) and
// how many codes an hour are too many ([limits]). It holds the rules and
// their words only; package rsa enforces them where every change passes,
// so the console, the verbs and rsatui serve obey one policy.
//
// The threat is social engineering of the help desk: a caller who claims
// to be an employee who lost their token and asks for a code (CISA
// AA23-320A). docs/helpdesk-security.md says what is enforced and what
// stays the site's process.
package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
)

// Check is one check of the caller's identity.
type Check string

// The built-in checks; a site adds its own ([verify.custom.NAME]).
const (
	// Callback: hang up and call the number the directory holds.
	Callback Check = "callback"
	// EmployeeID: the caller says their employee ID, compared with the
	// directory's without it being shown.
	EmployeeID Check = "employee-id"
	// Manager: the person's manager (from the directory) confirms.
	Manager Check = "manager"
	// Passcode: the caller reads PIN + tokencode and AM accepts it (a
	// passcode test of this admin, of this person, lately).
	Passcode Check = "passcode"
	// Ticket: the call has a ticket; its number goes into the audit.
	Ticket Check = "ticket"
)

var builtin = []Check{Callback, EmployeeID, Manager, Passcode, Ticket}

// BatchApply is the name [approve] gives a plan's run (rsatui batch
// apply, a report's plan): not an action of one person.
const BatchApply action.Name = "batch-apply"

// Guarded are the actions a policy may name: the changes that hand out a
// code or let a caller back in. Each is enforced by its operation.
var Guarded = []action.Name{
	action.EmergencyAccess, action.AddOneTimeCodes, action.ExtendEmergencyAccess, action.OfflinePasscode,
	action.IssueSoftware, action.ClearPIN, action.RequireNewPIN, action.Resync,
	action.Unlock, action.ClearBadCount, action.Replace,
}

// codeActions are the changes the flood guard counts: each hands a code
// (or a token) to someone on the phone.
var codeActions = []action.Name{action.EmergencyAccess, action.AddOneTimeCodes, action.OfflinePasscode, action.IssueSoftware}

// NoEnd is how long a change that never ends lasts.
const NoEnd time.Duration = math.MaxInt64

// Counted reports whether the flood guard counts a as a code handed out.
func Counted(a action.Name) bool { return slices.Contains(codeActions, a) }

// Custom is a site's own check: a label and the directory attribute
// that shows what to compare with.
type Custom struct {
	Label     string `toml:"label"`
	Attribute string `toml:"attribute"`
}

// Approve says which changes wait for a second admin (rsatui serve).
type Approve struct {
	// Actions always need approval (issue-software, new-seed, batch-apply, …).
	Actions []action.Name
	// EALongerThan: emergency access (or an offline passcode) ending more
	// than this from now needs approval (0: none does for its length).
	EALongerThan time.Duration
	// UnlockPrivileged: unlocking a privileged person needs approval.
	UnlockPrivileged bool
	// Expires is how long a request waits before it lapses.
	Expires time.Duration
}

// Limits are the flood guard: codes handed out within an hour.
type Limits struct {
	PerAdmin  int // by one admin (0: no limit)
	PerPerson int // for one person (0: no limit)
}

// Policy is the site's whole caller policy.
type Policy struct {
	checks     map[action.Name][]Check
	privileged map[action.Name][]Check
	// PrivilegedGroups: a person in one of these directory groups (CN) is
	// privileged: their stricter list applies.
	PrivilegedGroups []string
	Custom           map[Check]Custom
	Approve          Approve
	Limits           Limits
}

// DefaultExpiry is how long an approval request waits by default.
const DefaultExpiry = 30 * time.Minute

// Default is the policy of a site that configured none: a code or a new
// software token needs a call back and a ticket; a privileged person's
// manager confirms too. Approvals are off; 20 codes an hour per admin,
// 3 per person.
func Default() Policy {
	codes := []Check{Callback, Ticket}
	strict := []Check{Callback, Ticket, Manager}
	p := Policy{checks: map[action.Name][]Check{}, privileged: map[action.Name][]Check{},
		PrivilegedGroups: []string{"Domain Admins", "Enterprise Admins", "Schema Admins", "Administrators"},
		Custom:           map[Check]Custom{}, Approve: Approve{Expires: DefaultExpiry}, Limits: Limits{PerAdmin: 20, PerPerson: 3}}
	for _, a := range codeActions {
		p.checks[a], p.privileged[a] = codes, strict
	}
	return p
}

// Config is the config file's [verify], [approve] and [limits], as the
// TOML library decodes them (cmd/rsatui); Apply checks them.
type Config struct {
	Verify struct {
		Checks           map[string][]string `toml:"checks"`
		Privileged       map[string][]string `toml:"privileged"`
		PrivilegedGroups *[]string           `toml:"privileged_groups"`
		Custom           map[string]Custom   `toml:"custom"`
	} `toml:"verify"`
	Approve struct {
		Actions                   []string `toml:"actions"`
		EmergencyAccessLongerThan string   `toml:"emergency_access_longer_than"`
		UnlockPrivileged          bool     `toml:"unlock_privileged"`
		Expires                   string   `toml:"expires"`
	} `toml:"approve"`
	Limits struct {
		PerAdmin  *int `toml:"per_admin"`
		PerPerson *int `toml:"per_person"`
	} `toml:"limits"`
}

// Apply is the default policy changed by c: an action named replaces its
// default list (an empty list loosens it to none); anything unknown is
// refused with what is known.
func (c Config) Apply() (Policy, error) {
	p := Default()
	for name, cs := range c.Verify.Custom {
		ck := Check(name)
		switch {
		case slices.Contains(builtin, ck):
			return p, fmt.Errorf("[verify.custom.%s]: %s is a built-in check", name, name)
		case strings.TrimSpace(cs.Label) == "" || strings.TrimSpace(cs.Attribute) == "":
			return p, fmt.Errorf("[verify.custom.%s]: give a label and the directory attribute to show", name)
		case strings.ContainsAny(name, ",= "):
			return p, fmt.Errorf("[verify.custom.%s]: a check's name has no commas, spaces or =", name)
		}
		p.Custom[ck] = cs
	}
	for _, t := range []struct {
		section string
		from    map[string][]string
		into    map[action.Name][]Check
	}{{"[verify.checks]", c.Verify.Checks, p.checks}, {"[verify.privileged]", c.Verify.Privileged, p.privileged}} {
		for name, list := range t.from {
			a := action.Name(name)
			if !slices.Contains(Guarded, a) {
				return p, fmt.Errorf("%s %s: not an action a policy can guard; want one of %s", t.section, name, names(Guarded))
			}
			checks := []Check{}
			for _, s := range list {
				ck := Check(s)
				if !p.Known(ck) {
					return p, fmt.Errorf("%s %s: unknown check %q; want one of %s", t.section, name, s, strings.Join(p.knownNames(), ", "))
				}
				if !slices.Contains(checks, ck) {
					checks = append(checks, ck)
				}
			}
			t.into[a] = checks
		}
	}
	if c.Verify.PrivilegedGroups != nil {
		p.PrivilegedGroups = *c.Verify.PrivilegedGroups
	}
	for _, name := range c.Approve.Actions {
		a := action.Name(name)
		if a != BatchApply && a != action.IssueSoftware && a != action.NewSeed && a != action.EmergencyAccess && a != action.OfflinePasscode {
			return p, fmt.Errorf("[approve] actions: %q cannot wait for approval; want %s, %s, %s, %s or %s (and emergency_access_longer_than, unlock_privileged)",
				name, action.EmergencyAccess, action.OfflinePasscode, action.IssueSoftware, action.NewSeed, BatchApply)
		}
		p.Approve.Actions = append(p.Approve.Actions, a)
	}
	var err error
	if s := c.Approve.EmergencyAccessLongerThan; s != "" {
		if p.Approve.EALongerThan, err = Days(s); err != nil {
			return p, fmt.Errorf("[approve] emergency_access_longer_than: %v", err)
		}
	}
	if s := c.Approve.Expires; s != "" {
		if p.Approve.Expires, err = Days(s); err != nil || p.Approve.Expires < time.Minute {
			return p, fmt.Errorf("[approve] expires %q: a duration of at least a minute, e.g. 30m or 2h", s)
		}
	}
	p.Approve.UnlockPrivileged = c.Approve.UnlockPrivileged
	for _, l := range []struct {
		key  string
		from *int
		into *int
	}{{"per_admin", c.Limits.PerAdmin, &p.Limits.PerAdmin}, {"per_person", c.Limits.PerPerson, &p.Limits.PerPerson}} {
		if l.from == nil {
			continue
		}
		if *l.from < 0 {
			return p, fmt.Errorf("[limits] %s = %d: a number of codes an hour, 0 for no limit", l.key, *l.from)
		}
		*l.into = *l.from
	}
	return p, nil
}

// Days reads a duration as the config writes it: 7d, 36h, 30m.
func Days(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var d int
		if _, err := fmt.Sscanf(n, "%d", &d); err != nil || d < 0 || fmt.Sprint(d) != n {
			return 0, fmt.Errorf("%q: write days as 7d, hours as 36h", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: write days as 7d, hours as 36h", s)
	}
	return d, nil
}

// Known reports whether c is a built-in or a site's check.
func (p Policy) Known(c Check) bool {
	_, custom := p.Custom[c]
	return custom || slices.Contains(builtin, c)
}

func (p Policy) knownNames() []string {
	out := []string{}
	for _, c := range builtin {
		out = append(out, string(c))
	}
	for c := range p.Custom {
		out = append(out, string(c))
	}
	sort.Strings(out[len(builtin):])
	return out
}

// Required is the checks action a needs, for a privileged person or not
// (theirs add to everyone's), in a fixed order.
func (p Policy) Required(a action.Name, privileged bool) []Check {
	var out []Check
	add := func(cs []Check) {
		for _, c := range cs {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	add(p.checks[a])
	if privileged {
		add(p.privileged[a])
	}
	order := append(append([]Check(nil), builtin...), customOrder(p)...)
	sort.SliceStable(out, func(i, j int) bool { return slices.Index(order, out[i]) < slices.Index(order, out[j]) })
	return out
}

func customOrder(p Policy) []Check {
	var out []Check
	for c := range p.Custom {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Stricter reports whether a privileged person needs more for a than
// anyone (so whether they are privileged must be known).
func (p Policy) Stricter(a action.Name) bool {
	return len(p.Required(a, true)) > len(p.Required(a, false))
}

// Privileged reports whether a person in groups (CNs) is privileged.
func (p Policy) Privileged(groups []string) bool {
	for _, g := range groups {
		for _, pg := range p.PrivilegedGroups {
			if strings.EqualFold(g, pg) {
				return true
			}
		}
	}
	return false
}

// PrivilegedBy is whether a person is privileged, their groups read with
// lookup (the directory's): the hook rsa.Ops.Privileged takes. A person
// the directory does not have (AM's internal database) is in no group.
func (p Policy) PrivilegedBy(lookup func(ctx context.Context, login string) (ad.User, error)) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, login string) (bool, error) {
		u, err := lookup(ctx, login)
		if errors.Is(err, ad.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return p.Privileged(u.Groups), nil
	}
}

// Label is how a check is named on screen.
func (p Policy) Label(c Check) string {
	switch c {
	case Callback:
		return "Call back"
	case EmployeeID:
		return "Employee ID"
	case Manager:
		return "Manager confirms"
	case Passcode:
		return "Passcode test"
	case Ticket:
		return "Ticket"
	}
	if cs, ok := p.Custom[c]; ok {
		return cs.Label
	}
	return string(c)
}

// ApprovalNeeded says why a change needs a second admin ("" : it does
// not): a by a privileged person or not, ending after lasts from now
// (0: no end asked for).
func (p Policy) ApprovalNeeded(a action.Name, privileged bool, lasts time.Duration) string {
	switch {
	case slices.Contains(p.Approve.Actions, a):
		return "the site's policy has every " + string(a) + " approved by a second admin"
	case (a == action.EmergencyAccess || a == action.OfflinePasscode || a == action.ExtendEmergencyAccess) && p.Approve.EALongerThan > 0 && lasts == NoEnd:
		return fmt.Sprintf("it never ends, and a single admin may give at most %s", Words(p.Approve.EALongerThan))
	case (a == action.EmergencyAccess || a == action.OfflinePasscode || a == action.ExtendEmergencyAccess) && p.Approve.EALongerThan > 0 && lasts > p.Approve.EALongerThan:
		return fmt.Sprintf("it lasts %s, longer than the %s a single admin may give", Words(lasts), Words(p.Approve.EALongerThan))
	case a == action.Unlock && privileged && p.Approve.UnlockPrivileged:
		return "the person is privileged, and the site's policy has their unlock approved by a second admin"
	}
	return ""
}

// Words is a duration as a person says it: "10 days", "36 hours", "30 minutes".
func Words(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0 || d >= 72*time.Hour:
		return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

func names(as []action.Name) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
