// Package diagnose answers the help desk's most common call — "I can't log
// in" — from what rsatui reads of a person: the AD account, the AM
// principal, their tokens, and AM's authentication activity of the last
// days. The answer is a list of findings in plain words, the most likely
// cause first, each with the action that deals with it (action.Name: the
// console says its key, the verbs their verb). The console's person screen
// and `rsatui user show` both print it; the rules live only here.
package diagnose

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// Window is how far back the dashboard reads AM's activity, as the
// Security Console's User Dashboard does (its last 7 days).
const Window = 7 * 24 * time.Hour

// Person is what is known of a person. A part that could not be read is
// nil with its error, and the diagnosis says so instead of guessing.
type Person struct {
	Login        string
	AD           *ad.User
	ADErr        error
	Principal    *rsa.Principal // nil with PrincipalErr nil: not in AM
	PrincipalErr error
	// StateErr is the principal's read as it came (rsa.ErrNotInAM,
	// rsa.ErrIncomplete: read in part), for a caller that says it.
	StateErr    error
	Tokens      []rsa.TokenState
	Activity    []rsa.AuthEvent // oldest first, the last Window
	ActivityErr error
	// AgentAccess is AM's answer for the agents that refused the person
	// lately (RefusingAgents), AgentAccessErr why it could not be read.
	AgentAccess    []rsa.AgentAccess
	AgentAccessErr error
	// AdminChanges are the administration log's records of the person
	// (who changed their tokens or account) in the last Window.
	AdminChanges []rsa.AuthEvent
	AdminErr     error
	Now          time.Time
	// Loc is the zone times are said in (nil: the machine's; the console
	// passes its timezone setting).
	Loc *time.Location
}

// Severity orders findings: what stops every login, what stops some or
// will, and what is only good to know.
type Severity int

// The severities, most serious first.
const (
	Blocking Severity = iota
	Warning
	Info
)

func (s Severity) String() string {
	return [...]string{"blocks", "warning", "info"}[s]
}

// Finding is one cause or fact, in words.
type Finding struct {
	Severity Severity
	Words    string
	Fix      action.Name // what deals with it (action.None: nothing rsatui does)
	Serial   string      // the token it is about, if one
	At       time.Time   // when it happened, if known
	// keys are the AM result keys of attempts this cause explains: the
	// finding that explains the latest refused attempt comes first.
	keys []string
}

// Diagnose is the findings for p, the most likely cause first: what stops
// every login (the one that explains the person's latest refused attempt
// first), then the warnings (likewise), then what is good to know. A
// warning never stands above a blocker: a disabled token is the answer
// even when the latest attempt was a mistyped code.
func Diagnose(p Person) []Finding {
	d := &diagnosis{p: p}
	// AM's own causes first: the call is about a SecurID login
	d.principal()
	d.tokens()
	d.directory()
	d.attempts()
	d.agents()
	d.changes()
	latest := ""
	for i := len(p.Activity) - 1; i >= 0; i-- {
		if e := p.Activity[i]; e.Failed() {
			latest = e.ResultKey
			break
		} else if e.Result == "Success" {
			break // the last attempt worked: nothing to explain
		}
	}
	explains := func(f Finding) bool {
		for _, k := range f.keys {
			if k == latest {
				return true
			}
		}
		return false
	}
	sort.SliceStable(d.out, func(i, j int) bool {
		a, b := d.out[i], d.out[j]
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return explains(a) && !explains(b)
	})
	return d.out
}

type diagnosis struct {
	p   Person
	out []Finding
}

func (d *diagnosis) add(f Finding) { d.out = append(d.out, f) }

func (d *diagnosis) directory() {
	u := d.p.AD
	switch {
	case d.p.ADErr != nil:
		d.add(Finding{Severity: Warning, Words: "the directory could not be read: " + ad.Explain(d.p.ADErr)})
	case u == nil:
		d.add(Finding{Severity: Blocking, Words: "the directory has no account " + d.p.Login})
	default:
		if u.Disabled {
			words := "the AD account is disabled: the directory team enables it"
			if !u.Changed.IsZero() {
				// AD keeps no date of the disabling itself, only of the last change
				words += " (the account was last changed " + d.when(u.Changed) + ")"
			}
			d.add(Finding{Severity: Blocking, Words: words})
		}
		if !u.AccountExpires.IsZero() {
			switch left := u.AccountExpires.Sub(d.p.Now); {
			case left <= 0:
				d.add(Finding{Severity: Blocking, At: u.AccountExpires,
					Words: "the AD account expired " + d.when(u.AccountExpires) + ": the directory team extends it"})
			case left < 14*24*time.Hour:
				d.add(Finding{Severity: Warning, At: u.AccountExpires, Words: "the AD account expires " + d.when(u.AccountExpires)})
			}
		}
		if u.Locked {
			words := "the AD account is locked (too many bad Windows passwords)"
			if !u.LockedAt.IsZero() {
				words += ", locked " + d.when(u.LockedAt)
			}
			d.add(Finding{Severity: Blocking, Words: words + ": the directory team unlocks it, or it unlocks by itself"})
		}
		switch {
		case u.MustChangePassword:
			d.add(Finding{Severity: Warning, Words: "AD asks for a new Windows password at the next logon: logins that check the AD password (VPN, Citrix) fail until it is changed"})
		case u.PasswordExpired:
			words := "the AD password has expired"
			if !u.PasswordLastSet.IsZero() {
				words += " (set " + d.when(u.PasswordLastSet) + ")"
			}
			d.add(Finding{Severity: Warning, Words: words + ": logins that check the AD password (VPN, Citrix) fail until it is changed"})
		}
	}
}

func (d *diagnosis) principal() {
	p := d.p.Principal
	switch {
	case d.p.PrincipalErr != nil:
		d.add(Finding{Severity: Warning, Words: "AM's account could not be read: " + rsa.Explain(d.p.PrincipalErr)})
		return
	case p == nil:
		d.add(Finding{Severity: Blocking, Words: "AM does not know " + d.p.Login + ": not in the identity source AM reads",
			keys: []string{"PRINCIPAL_NOT_FOUND"}})
		return
	}
	if !p.Enabled {
		d.add(Finding{Severity: Blocking, Words: "the AM account is disabled"})
	}
	if p.Locked {
		words := "locked by AM"
		at := time.Time{}
		if e, ok := d.last("USER_LOCKED_OUT"); ok {
			at = e.At
			if n := d.failuresBefore(e); n > 0 {
				words += fmt.Sprintf(" after %d failed passcode%s", n, plural(n))
			}
			words += " " + d.when(e.At)
		} else if p.FailedCount > 0 {
			words += fmt.Sprintf(" after %d failed passcode%s", p.FailedCount, plural(p.FailedCount))
		}
		if !p.LockoutExpires.IsZero() {
			words += "; AM unlocks by itself " + d.when(p.LockoutExpires)
		} else {
			words += "; an administrator unlocks"
		}
		d.add(Finding{Severity: Blocking, Words: words, Fix: action.Unlock, At: at,
			keys: []string{"USER_LOCKED", "USER_LOCKED_OUT", "NEXT_TOKENCODE_BAD"}})
	}
}

func (d *diagnosis) tokens() {
	if d.p.Principal == nil {
		return
	}
	now := d.p.Now
	if len(d.p.Tokens) == 0 {
		d.add(Finding{Severity: Blocking, Words: "no token is assigned", Fix: action.AssignFromPool, keys: []string{"NO_TOKEN"}})
		return
	}
	for _, st := range d.p.Tokens {
		t := st.Token
		name := "token " + t.Serial
		if len(d.p.Tokens) == 1 {
			name = "the token (" + t.Serial + ")"
		}
		expired := !t.Expires.IsZero() && !now.Before(t.Expires)
		switch {
		case t.ReplacementMode == rsa.ReplacementPending:
			d.add(Finding{Severity: Info, Serial: t.Serial, Words: name + " is being replaced by " + t.ReplaceSerial + ": it works until " + t.ReplaceSerial + " is first used"})
		case t.ReplacementMode == rsa.ReplacementNew:
			d.add(Finding{Severity: Info, Serial: t.Serial, Words: name + " replaces " + t.ReplaceSerial + ": its first use retires the old one"})
		}
		if !t.Enabled {
			words := name + " is disabled"
			if !t.EnableModified.IsZero() {
				words += " (" + d.when(t.EnableModified) + ")"
			}
			d.add(Finding{Severity: Blocking, Serial: t.Serial, Words: words, Fix: action.EnableDisable, At: t.EnableModified, keys: []string{"TOKEN_DISABLED"}})
			continue
		}
		if expired {
			d.add(Finding{Severity: Blocking, Serial: t.Serial, Words: name + " expired " + d.when(t.Expires), Fix: action.Replace, At: t.Expires, keys: []string{"TOKEN_EXPIRED"}})
			continue
		}
		if rsa.ExpiresSoon(t.Expires, now) {
			d.add(Finding{Severity: Warning, Serial: t.Serial, Words: name + " expires " + d.when(t.Expires), Fix: action.Replace, At: t.Expires})
		}
		d.pin(t, name)
		if t.NextTokencodeMode {
			words := name + " is in next-tokencode mode"
			if t.BadCodeCount > 0 {
				words += fmt.Sprintf(" after %d bad tokencode%s", t.BadCodeCount, plural(t.BadCodeCount))
			}
			words += ": at the next login AM asks for the following code as well; a resync or clearing the count ends it"
			d.add(Finding{Severity: Warning, Serial: t.Serial, Words: words, Fix: action.ClearBadCount, keys: []string{"NEXT_TOKENCODE_REQUIRED", "NEXT_TOKENCODE_MODE"}})
		}
		d.emergency(st, name)
	}
}

// tokencodeOnly is the pin type of tokens used without a PIN.
const tokencodeOnly rsa.PinType = 1

// pin says a cleared PIN or a new PIN AM will ask for.
func (d *diagnosis) pin(t rsa.Token, name string) {
	since := ""
	if !t.PinModified.IsZero() {
		since = " " + d.when(t.PinModified)
	}
	switch {
	case !t.PinSet && t.PinType != tokencodeOnly:
		keys := []string{"NEW_PIN_REQUIRED", "NEW_PIN_REJECTED"}
		if e, ok := d.last("BAD_PASSCODE"); ok && e.At.After(t.PinModified) {
			keys = append(keys, "BAD_PASSCODE") // the old PIN typed in front of the code
		}
		d.add(Finding{Severity: Warning, Serial: t.Serial, At: t.PinModified, keys: keys,
			Words: "the PIN of " + name + " was cleared" + since + ": the person logs in with the tokencode alone (no PIN in front) and then sets a new PIN"})
	case t.NewPinMode:
		d.add(Finding{Severity: Warning, Serial: t.Serial, keys: []string{"NEW_PIN_REQUIRED", "NEW_PIN_REJECTED"},
			Words: "AM asks for a new PIN on " + name + " at the next login (after the current PIN + tokencode)"})
	}
}

// emergency says what emergency access means for logging in now.
func (d *diagnosis) emergency(st rsa.TokenState, name string) {
	e, now := st.EA, d.p.Now
	if st.Unread != nil {
		d.add(Finding{Severity: Warning, Serial: st.Token.Serial, Words: "what AM holds of " + name + " could not be read in full (" + rsa.Explain(st.Unread) + "): what it says of emergency access may be missing"})
		return
	}
	switch {
	case e.Active():
		words := "emergency access is on for " + name
		if !e.Expiration.IsZero() {
			words += " (it ends " + d.when(e.Expiration) + ")"
		}
		switch e.Mode {
		case rsa.EAFixedCode:
			words += ": PIN + the temporary code works"
		case rsa.EAOneTimeCodes:
			words += fmt.Sprintf(": PIN + a one-time code works (%d unused)", e.NumUnusedCodes)
			if e.NumUnusedCodes == 0 {
				d.add(Finding{Severity: Warning, Serial: st.Token.Serial, Fix: action.EmergencyAccess,
					Words: "every one-time code of " + name + " is used: give new ones"})
			}
		}
		switch e.LostMode {
		case rsa.IfAvailableDeny:
			words += "; the token itself is refused until then"
		case rsa.IfAvailableAllowAndEnd:
			words += "; the token's own first use ends it"
		}
		d.add(Finding{Severity: Info, Serial: st.Token.Serial, Words: words, keys: []string{"TOKEN_DENIED_IN_EMERGENCY_ACCESS"}})
	default:
		if ev, ok := d.last("EMERGENCY_ACCESS_ENDED"); ok && strings.EqualFold(ev.Token, st.Token.Serial) {
			d.add(Finding{Severity: Warning, Serial: st.Token.Serial, At: ev.At, Fix: action.EmergencyAccess,
				Words: "emergency access ended when the token was used " + d.when(ev.At) + ": the emergency code no longer works"})
		} else if e.Lost && !e.Expiration.IsZero() && !now.Before(e.Expiration) {
			d.add(Finding{Severity: Warning, Serial: st.Token.Serial, At: e.Expiration, Fix: action.EmergencyAccess,
				Words: "emergency access on " + name + " ended " + d.when(e.Expiration) + ": the emergency code no longer works"})
		}
	}
}

// attempts reads the activity: the run of failures since the last
// success, a replayed code, and when the person last got in.
func (d *diagnosis) attempts() {
	if d.p.ActivityErr != nil {
		d.add(Finding{Severity: Warning, Words: "AM's authentication activity could not be read: " + rsa.Explain(d.p.ActivityErr)})
		return
	}
	var lastOK *rsa.AuthEvent
	bad := 0
	var lastBad rsa.AuthEvent
	for i := range d.p.Activity {
		e := d.p.Activity[i]
		switch {
		case e.Result == "Success" && e.ResultKey != "TOKEN_REPLACED" && e.ResultKey != "NEW_PIN_CREATED":
			lastOK, bad = &d.p.Activity[i], 0
		case e.ResultKey == "BAD_PASSCODE" || e.ResultKey == "NEXT_TOKENCODE_BAD":
			bad, lastBad = bad+1, e
		}
	}
	locked := d.p.Principal != nil && d.p.Principal.Locked
	counted := false // AM still counts bad codes on a token (not cleared since)
	for _, st := range d.p.Tokens {
		counted = counted || st.Token.BadCodeCount > 0 || st.Token.NextTokencodeMode
	}
	switch {
	case bad > 0 && !locked && !counted && len(d.p.Tokens) > 0:
		// the attempts are AM's history; its count of them was cleared
		// since (clear-bad-count, a resync): nothing left to fix
		d.add(Finding{Severity: Info, At: lastBad.At, Serial: lastBad.Token,
			Words: fmt.Sprintf("%d wrong passcode%s since the last success, the latest %s; AM's count of them has been cleared since", bad, plural(bad), d.when(lastBad.At))})
	case bad > 0 && !locked && d.oneTimeCodesOn():
		// with one-time emergency codes on, a code said twice is the likely
		// cause (AM takes each once), not the token's clock: a resync would
		// not help, more codes do
		d.add(Finding{Severity: Warning, At: lastBad.At, Serial: lastBad.Token, Fix: action.AddOneTimeCodes, keys: []string{"BAD_PASSCODE"},
			Words: fmt.Sprintf("%d wrong passcode%s since the last success, the latest %s, while one-time emergency codes are on: a code used once does not work again (or it was mistyped)",
				bad, plural(bad), d.when(lastBad.At))})
	case bad > 0 && !locked:
		words := fmt.Sprintf("%d wrong passcode%s since the last success, the latest %s: a mistyped PIN or tokencode, or the token's clock is off",
			bad, plural(bad), d.when(lastBad.At))
		fix := action.None
		if bad >= 2 {
			words += " (a resync with two codes tells)"
			fix = action.Resync
		}
		d.add(Finding{Severity: Warning, Words: words, Fix: fix, At: lastBad.At, Serial: lastBad.Token, keys: []string{"BAD_PASSCODE"}})
	}
	if e, ok := d.last("PASSCODE_REUSED"); ok && (lastOK == nil || e.At.After(lastOK.At)) {
		d.add(Finding{Severity: Warning, At: e.At, keys: []string{"PASSCODE_REUSED"},
			Words: "a tokencode was used twice " + d.when(e.At) + ": AM takes each code once — wait for the token to show the next one"})
	}
	if e, ok := d.last("NEW_PIN_REJECTED"); ok && (lastOK == nil || e.At.After(lastOK.At)) {
		d.add(Finding{Severity: Warning, At: e.At, keys: []string{"NEW_PIN_REJECTED"},
			Words: "a new PIN was refused " + d.when(e.At) + ": it must be 4 to 8 digits"})
	}
	switch {
	case lastOK != nil:
		how := ""
		if lastOK.ResultKey == "EMERGENCY_CODE_ACCEPTED" {
			how = " with an emergency code"
		}
		d.add(Finding{Severity: Info, At: lastOK.At, Serial: lastOK.Token, Words: "the last successful login was " + d.when(lastOK.At) + how})
	case len(d.p.Activity) == 0:
		d.add(Finding{Severity: Info, Words: "AM saw no attempt in the last 7 days: the login may not reach AM (another agent, the network) or the person uses another login name"})
	default:
		d.add(Finding{Severity: Info, Words: "no successful login in the last 7 days"})
	}
}

// agents says why an agent refused them: AM's rule for it, asked now.
func (d *diagnosis) agents() {
	refused := RefusingAgents(d.p.Activity)
	if len(refused) == 0 {
		return
	}
	if d.p.AgentAccessErr != nil && len(d.p.AgentAccess) == 0 {
		d.add(Finding{Severity: Warning, Words: "refused by " + strings.Join(refused, ", ") + "'s access rules; AM's rules for it could not be read: " + rsa.Explain(d.p.AgentAccessErr)})
		return
	}
	for _, a := range d.p.AgentAccess {
		var at rsa.AuthEvent
		for _, e := range d.p.Activity {
			if strings.EqualFold(e.Agent, a.Agent) && agentRefusal(e.ResultKey) {
				at = e
			}
		}
		if a.Granted {
			d.add(Finding{Severity: Info, At: at.At, Words: "refused at " + a.Agent + " " + d.when(at.At) + ", and AM lets them in there now (" + a.Why + "): they can try again"})
			continue
		}
		d.add(Finding{Severity: Blocking, At: at.At, keys: []string{"AGENT_ACCESS_DENIED", "ACCESS_TIME_DENIED"},
			Words: a.Why + " (refused there " + d.when(at.At) + "; other agents are not affected)"})
	}
}

// changes says who changed the person's tokens or account lately, the
// newest first (at most maxChanges): "it worked yesterday" is often this.
func (d *diagnosis) changes() {
	if d.p.AdminErr != nil {
		d.add(Finding{Severity: Info, Words: "AM's administration log could not be read: " + rsa.Explain(d.p.AdminErr)})
		return
	}
	shown := 0
	for i := len(d.p.AdminChanges) - 1; i >= 0 && shown < maxChanges; i-- {
		e := d.p.AdminChanges[i]
		words := e.Actor + " " + e.Message + " " + d.when(e.At)
		if m := ChangeMeaning(e.ResultKey); m != "" {
			words += ": " + m
		}
		d.add(Finding{Severity: Info, At: e.At, Serial: e.Token, Words: words})
		shown++
	}
}

// ChangeMeaning is what an administration record (its result key) means
// for the person ("" : nothing to add to its words).
func ChangeMeaning(key string) string {
	switch key {
	case "PIN_CLEARED":
		return "they set a new PIN at the next login"
	case "NEW_PIN_REQUIRED":
		return "AM asks them for a new PIN at the next login"
	case "EMERGENCY_ACCESS_OFF":
		return "its emergency codes no longer work"
	case "TOKEN_DISABLED":
		return "it does not work until it is enabled"
	case "OFFLINE_EA_PASSCODE_SET":
		return "their laptop fetches it at its next online login"
	}
	return ""
}

// maxChanges is how many administration records the diagnosis says.
const maxChanges = 3

// last is the newest record with result key k.
func (d *diagnosis) last(k string) (rsa.AuthEvent, bool) {
	for i := len(d.p.Activity) - 1; i >= 0; i-- {
		if d.p.Activity[i].ResultKey == k {
			return d.p.Activity[i], true
		}
	}
	return rsa.AuthEvent{}, false
}

// failuresBefore counts the refused passcodes between the last success
// and e.
func (d *diagnosis) failuresBefore(e rsa.AuthEvent) int {
	n := 0
	for _, a := range d.p.Activity {
		if a.At.After(e.At) {
			break
		}
		switch {
		case a.Result == "Success":
			n = 0
		case a.ResultKey == "BAD_PASSCODE" || a.ResultKey == "NEXT_TOKENCODE_BAD" || a.ResultKey == "PASSCODE_REUSED":
			n++
		}
	}
	return n
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// when says an instant the way a person on the phone would: "at 09:12"
// today, "yesterday at 17:40", "on Monday at 08:03" within a week, else
// "on 2026-11-20" — in the diagnosis's zone.
func (d *diagnosis) when(t time.Time) string {
	loc := d.p.Loc
	if loc == nil {
		loc = time.Local
	}
	now := d.p.Now.In(loc)
	t = t.In(loc)
	day := func(x time.Time) time.Time { y, m, d := x.Date(); return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	days := int(day(t).Sub(day(now)).Hours() / 24)
	clock := t.Format("15:04")
	switch {
	case days == 0:
		return "at " + clock
	case days == -1:
		return "yesterday at " + clock
	case days == 1:
		return "tomorrow at " + clock
	case days > -7 && days < 0:
		return "on " + t.Weekday().String() + " at " + clock
	case days > 0 && days < 7:
		return "on " + t.Weekday().String() + " at " + clock
	}
	return "on " + t.Format("2006-01-02")
}

// oneTimeCodesOn reports whether a set of one-time emergency codes is on
// for one of the person's tokens.
func (d *diagnosis) oneTimeCodesOn() bool {
	for _, st := range d.p.Tokens {
		if st.EA.Active() && st.EA.Mode == rsa.EAOneTimeCodes {
			return true
		}
	}
	return false
}
