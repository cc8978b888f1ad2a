package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa"
)

// screen is a screen of the console, as the action table says where an
// action works (two actions on one screen must not share a key).
type screen uint16

const (
	onPeople    screen = 1 << iota
	onTokens           // a person's tokens: the dashboard
	onToken            // one token's record
	onForm             // the emergency-access form
	onResult           // a change's result
	onPool             // the token pool (assign, replace)
	onShortForm        // the resync, passcode-test, extend and add-codes forms
	onActivity         // what AM saw of a person, every record
	onReport           // a report of the week (:report): rows to select
	onPlan             // a plan for the selected rows, then its run
	onAccess           // where a person may log in: each agent, offline
	onChanges          // who changed a person's tokens (the administration log)
	onRequests         // requests waiting for a second admin (rsatui serve)
)

// screens name the screens, in the README's order.
var screens = []struct {
	s    screen
	name string
}{
	{onPeople, "people list"}, {onTokens, "token list"}, {onToken, "token"}, {onForm, "emergency access"},
	{onResult, "result"}, {onPool, "token pool"}, {onShortForm, "resync, test and extend forms"}, {onActivity, "what AM saw"},
	{onReport, "report"}, {onPlan, "plan"}, {onAccess, "where they may log in"}, {onChanges, "who changed it"},
	{onRequests, "requests"},
}

const (
	everywhere = onPeople | onTokens | onToken | onForm | onResult | onPool | onActivity | onReport | onPlan | onAccess | onChanges | onRequests
	scrolled   = onPeople | onTokens | onToken | onResult | onPool | onActivity | onPlan | onAccess | onChanges
	// a report's rows move as a list's, but space selects there (not a
	// page down); so do the requests
	listed = scrolled | onReport | onRequests
)

// target is what an action acts on: the person on screen, their AM
// record, the token selected (when one is) and where a change's result
// goes back to.
type target struct {
	user      ad.User
	principal rsa.Principal
	state     rsa.TokenState
	hasToken  bool
	all       []rsa.TokenState // the person's tokens (their screen)
	held      rsa.Holding
	activity  []rsa.AuthEvent // what AM saw of the person, as the screen holds it
	// changes: AM's administration records of the person (the dashboard's
	// read), changesErr why they could not be read
	changes    []rsa.AuthEvent
	changesErr error
	offline    *rsa.OfflineState // the offline emergency passcode, as last read
	selected   []report.Row      // a report's rows selected
	parent     string            // "the token list", "the token"
}

// actionDef is one record of the action table: everything the console
// knows of an action. The key map, the clash check of [keys], the key bar,
// the help, the README's key table, the diagnosis' hints, the verbs' next
// steps and the dispatch of a key are all made from these records, and the
// permission check happens once, in dispatch. Adding an action is one
// record here plus the pane it opens.
type actionDef struct {
	name  action.Name
	keys  []string // the default keys
	desc  string   // what it does, for the bar and the help
	on    screen   // where it works
	where string   // the README's "on" column, where the screens alone do not say it

	// perms are the permissions that let a person use it on t (any one of
	// them will do); none: everyone may.
	perms func(t target) []rsa.Permission
	// unavailable says why it cannot be used on t now ("" when it can):
	// the bar leaves it out and its key says why.
	unavailable func(c *common, t target) string
	// token: it acts on the token selected; without one its key says so.
	token bool
	// open opens it (its form or its confirm); nil: the screen handles
	// the key itself (moving, the forms' own keys).
	open func(c *common, t target) reqs

	// typed: it works while a text box has the cursor, so a key that
	// types a character would be taken from the text ([keys] refuses one)
	typed bool

	fix  string                            // the diagnosis' words after its key: "u unlocks"
	verb func(login, serial string) string // what does it from a shell, for the diagnosis of user show
}

// who is the token's holder, in words.
func (t target) who() string {
	switch {
	case t.state.Token.AssignedUserID != "":
		return t.state.Token.AssignedUserID
	case t.user.Login != "":
		return t.user.Login
	}
	return "the person"
}

func need(ps ...rsa.Permission) func(target) []rsa.Permission {
	return func(target) []rsa.Permission { return ps }
}

// actions is the action table, in the order of the README's key table and
// of the key bar (an action offered earlier is shown first: unlock, when
// it applies, is the likeliest reason they call).
var actions = []actionDef{
	{name: action.Help, keys: []string{"?"}, desc: "help", on: everywhere, where: "every screen, outside a text box"},
	{name: action.Command, keys: []string{":"}, desc: "command", on: everywhere, where: "every screen, outside a text box"},
	{name: action.Search, keys: []string{"/"}, desc: "search people", on: everywhere, where: "every screen, outside a text box"},
	// the form's ←/→ change a choice on a choice field, where back is esc
	{name: action.Back, keys: []string{"esc", "h", "left", "backspace"}, desc: "back", on: everywhere &^ onForm,
		where: "every screen but the people list; the form goes back with esc"},
	{name: action.Quit, keys: []string{"q"}, desc: "quit", on: everywhere, where: "every screen, outside a text box"},
	// four eyes: the requests of other admins waiting for a second one
	{name: action.Requests, keys: []string{"ctrl+r"}, desc: "requests for a second admin", on: everywhere,
		where: "every screen, outside a text box (rsatui serve)"},

	{name: action.Up, keys: []string{"up", "k"}, desc: "up", on: listed, where: movingWhere},
	{name: action.Down, keys: []string{"down", "j"}, desc: "down", on: listed, where: movingWhere},
	{name: action.PageUp, keys: []string{"pgup", "b"}, desc: "page up", on: listed, where: movingWhere},
	{name: action.PageDown, keys: []string{"pgdown", "f", "space"}, desc: "page down", on: scrolled, where: movingWhere},
	{name: action.HalfPageUp, keys: []string{"ctrl+u"}, desc: "half a page up", on: listed, where: movingWhere},
	{name: action.HalfPageDown, keys: []string{"ctrl+d"}, desc: "half a page down", on: listed, where: movingWhere},
	{name: action.Top, keys: []string{"home", "g"}, desc: "first", on: listed, where: movingWhere},
	{name: action.Bottom, keys: []string{"end", "G"}, desc: "last", on: listed, where: movingWhere},

	{name: action.Open, keys: []string{"enter"}, desc: "open", on: onPeople | onTokens | onPool | onReport},
	{name: action.Refresh, keys: []string{"r"}, desc: "read again from AM", on: onPeople | onTokens | onToken | onPool | onReport | onAccess},

	{name: action.Unlock, keys: []string{"u"}, desc: "unlock (AM lockout)", on: onTokens,
		perms: need(rsa.PermUnlock), fix: "unlocks",
		unavailable: func(_ *common, t target) string {
			if !t.principal.Locked {
				return t.user.Login + " is not locked by AM (as last read; r reads again)."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openUnlock(c, t.user, t.all) },
		verb: func(login, _ string) string { return "rsatui user unlock " + login }},
	{name: action.EmergencyAccess, keys: []string{"e"}, desc: "emergency access", on: onTokens | onToken | onResult, token: true,
		perms: need(rsa.PermEmergencyTFT, rsa.PermEmergencyOTT), fix: "gives emergency access",
		open: func(c *common, t target) reqs { return openForm(c, t.state, t.user, t.parent) },
		verb: func(_, serial string) string { return "rsatui ea set " + serial + " --generate-fixed --expires 1d" }},
	{name: action.EndEmergencyAccess, keys: []string{"x"}, desc: "end emergency access", on: onTokens | onToken, token: true,
		perms: need(rsa.PermEmergencyEnd),
		open:  func(c *common, t target) reqs { return openClear(c, t.state) }},
	{name: action.ExtendEmergencyAccess, keys: []string{"+"}, desc: "extend emergency access", on: onTokens | onToken, token: true,
		perms: func(t target) []rsa.Permission { return []rsa.Permission{rsa.EAPermission(t.state.EA.Mode)} },
		unavailable: func(c *common, t target) string {
			if !t.state.EA.Active() {
				return "Emergency access is not on for token " + t.state.Token.Serial + ": nothing to extend (" + keyOf(c, action.EmergencyAccess) + " gives it)."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openExtend(c, t.state, t.parent) }},
	{name: action.AddOneTimeCodes, keys: []string{"o"}, desc: "add one-time codes", on: onTokens | onToken, token: true,
		perms: need(rsa.PermEmergencyOTT), fix: "adds codes",
		verb: func(_, serial string) string { return "rsatui ea add-codes " + serial + " 5" },
		unavailable: func(c *common, t target) string {
			if !t.state.EA.Active() || t.state.EA.Mode != rsa.EAOneTimeCodes {
				return "Token " + t.state.Token.Serial + " has no set of one-time codes on (" + eaSummary(t.state.EA, c.loc) + "): " + keyOf(c, action.EmergencyAccess) + " gives one."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openAddCodes(c, t.state, t.parent) }},
	{name: action.ClearBadCount, keys: []string{"n"}, desc: "clear bad tokencodes / next-tokencode mode", on: onTokens | onToken, token: true,
		perms: need(rsa.PermBadCount), fix: "clears it",
		unavailable: func(_ *common, t target) string {
			if tk := t.state.Token; !tk.NextTokencodeMode && tk.BadCodeCount == 0 {
				return "Token " + tk.Serial + " has no bad tokencodes counted and is not in next-tokencode mode: nothing to clear."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openBadCount(c, t.state, t.user) },
		verb: func(_, serial string) string { return "rsatui token clear-bad-count " + serial }},
	// "I can't log in": try it with them before changing anything
	{name: action.TestPasscode, keys: []string{"t"}, desc: "test a passcode", on: onTokens,
		perms: need(rsa.PermAuthTest), fix: "tests a passcode",
		unavailable: func(_ *common, t target) string {
			if len(t.all) == 0 {
				return t.user.Login + " has no token to test a passcode of."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openPasscode(c, t.user) },
		verb: func(login, _ string) string { return "rsatui auth test " + login }},
	{name: action.ClearPIN, keys: []string{"p"}, desc: "clear the PIN", on: onTokens | onToken, token: true,
		perms: need(rsa.PermPinClear), fix: "clears the PIN",
		open: func(c *common, t target) reqs { return openPINChange(c, t.state, t.user, true) },
		verb: func(_, serial string) string { return "rsatui token clear-pin " + serial }},
	{name: action.RequireNewPIN, keys: []string{"P"}, desc: "require a new PIN", on: onTokens | onToken, token: true,
		perms: need(rsa.PermPinNew),
		unavailable: func(_ *common, t target) string {
			// a cleared PIN: AM asks for a new one anyway (the operation's
			// rule refused it after the confirm, with circular advice)
			if tk := t.state.Token; tk.GUID != "" && !tk.PinSet {
				return "Token " + tk.Serial + "'s PIN is cleared: AM asks " + t.who() + " for a new one at the next login."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openPINChange(c, t.state, t.user, false) }},
	{name: action.Resync, keys: []string{"s"}, desc: "resynchronize", on: onTokens | onToken, token: true,
		perms: need(rsa.PermResync), fix: "resynchronizes",
		open: func(c *common, t target) reqs { return openResync(c, t.state, t.user, t.parent) },
		verb: func(_, serial string) string { return "rsatui token resync " + serial }},
	{name: action.EnableDisable, keys: []string{"d"}, desc: "disable / enable the token", on: onTokens | onToken, token: true,
		perms: func(t target) []rsa.Permission {
			if t.hasToken && t.state.Token.Enabled {
				return []rsa.Permission{rsa.PermDisable}
			}
			return []rsa.Permission{rsa.PermEnable}
		},
		fix:  "enables it",
		open: func(c *common, t target) reqs { return openTokenChange(c, t.state, t.user, false) },
		verb: func(_, serial string) string { return "rsatui token enable " + serial }},
	{name: action.Unassign, keys: []string{"U"}, desc: "unassign the token", on: onTokens | onToken, token: true,
		perms: need(rsa.PermUnassign),
		open:  func(c *common, t target) reqs { return openTokenChange(c, t.state, t.user, true) }},
	{name: action.Replace, keys: []string{"R"}, desc: "replace a lost or broken token", on: onTokens | onToken, token: true,
		perms: need(rsa.PermReplace), fix: "replaces it",
		unavailable: func(_ *common, t target) string {
			if err := rsa.ReplaceReady(t.state.Token); err != nil && t.state.Token.GUID != "" {
				return "No replacement: " + trimKind(err) + "."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openReplace(c, t.state, t.user) },
		verb: func(_, serial string) string { return "rsatui token replace " + serial + " --next" }},
	{name: action.AssignFromPool, keys: []string{"A"}, desc: "assign a token from the pool", on: onTokens,
		perms: need(rsa.PermAssign), fix: "assigns one",
		unavailable: func(c *common, t target) string {
			if err := t.held.RefuseSecond(t.user.Login); err != nil {
				return trimKind(err) + " (" + keyOf(c, action.Replace) + " replaces a lost or broken one)."
			}
			return ""
		},
		open: func(c *common, t target) reqs { return openPool(c, t.user) },
		verb: func(login, _ string) string { return "rsatui token assign --next " + login }},

	// the "new phone" call
	{name: action.IssueSoftware, keys: []string{"I"}, desc: "issue a software token (QR code)", on: onTokens,
		perms: need(rsa.PermIssueSoftware), fix: "issues a software token",
		unavailable: func(c *common, t target) string { return issueUnavailable(c, t) },
		open:        func(c *common, t target) reqs { return openIssue(c, t) },
		verb:        func(login, _ string) string { return "rsatui token issue --next-software " + login + " --via ctkip" }},
	{name: action.NextPlace, keys: []string{"ctrl+n"}, desc: "test at the next agent or door", where: "the passcode test", typed: true},
	{name: action.NewSeed, keys: []string{"n"}, desc: "new seed: the old phone stops working (again: keep the seed)", where: "issuing a software token"},

	{name: action.AutoRefresh, keys: []string{"a"}, desc: "auto-refresh", on: onTokens},
	{name: action.Activity, keys: []string{"w"}, desc: "what AM saw: every record of the week", on: onTokens,
		open: func(c *common, t target) reqs { return do(push(newActivityPane(t.user, t.activity))) }},
	{name: action.Failures, keys: []string{"F"}, desc: "failures only / every record", on: onActivity},
	// "why not *there*?" and "it worked yesterday"
	{name: action.WhereAccess, keys: []string{"W"}, desc: "where they may log in: each agent, offline", on: onTokens,
		fix:  "shows where they may log in",
		open: func(c *common, t target) reqs { return openAccess(c, t.user) },
		verb: func(login, _ string) string { return "rsatui user access " + login }},
	{name: action.AdminChanges, keys: []string{"c"}, desc: "who changed their tokens (7 days)", on: onTokens,
		open: openChanges,
		verb: func(login, _ string) string { return "rsatui activity " + login + " --admin" }},
	{name: action.OfflinePasscode, keys: []string{"O"}, desc: "give an offline emergency passcode", on: onAccess,
		perms: need(rsa.PermOfflinePasscode), open: openOfflineSet,
		verb: func(login, _ string) string { return "rsatui user offline-passcode " + login + " --set --expires 3d" }},
	{name: action.RemoveOfflinePasscode, keys: []string{"X"}, desc: "remove the offline emergency passcode", on: onAccess,
		perms: need(rsa.PermOfflinePasscode), open: openOfflineRemove,
		unavailable: func(_ *common, t target) string {
			if t.offline != nil && !t.offline.Set && !t.offline.Allowed {
				return t.user.Login + " has no offline emergency passcode (as last read; r reads again)."
			}
			return ""
		}},
	{name: action.FilterType, keys: []string{"t"}, desc: "show one type of token (again: the next type)", on: onPool},
	{name: action.Explain, keys: []string{"i"}, desc: "explain fields", on: onToken},

	// the week's reports (:report): the selection, then one change for all
	{name: action.Select, keys: []string{"space"}, desc: "select / unselect", on: onReport},
	{name: action.SelectAll, keys: []string{"*"}, desc: "select all / none", on: onReport},
	{name: action.PlanReplace, keys: []string{"R"}, desc: "plan: replace them (next from the pool)", on: onReport,
		perms: need(rsa.PermReplace), unavailable: noSelection, open: openPlanFor(batch.ReplaceNext)},
	{name: action.PlanExtend, keys: []string{"L"}, desc: "plan: extend the software tokens' lifetime", on: onReport,
		perms: need(rsa.PermAssign), unavailable: noSelection, open: openPlanFor(batch.Extend)},
	{name: action.PlanDisable, keys: []string{"d"}, desc: "plan: disable them", on: onReport,
		perms: need(rsa.PermDisable), unavailable: noSelection, open: openPlanFor(batch.Disable)},
	{name: action.PlanUnassign, keys: []string{"U"}, desc: "plan: unassign them", on: onReport,
		perms: need(rsa.PermUnassign), unavailable: noSelection, open: openPlanFor(batch.Unassign)},

	{name: action.NextField, keys: []string{"tab", "down"}, desc: "next field", on: onForm | onShortForm, typed: true},
	{name: action.PreviousField, keys: []string{"shift+tab", "up"}, desc: "previous field", on: onForm | onShortForm, typed: true},
	{name: action.PreviousChoice, keys: []string{"left"}, desc: "previous choice", on: onForm},
	{name: action.NextChoice, keys: []string{"right"}, desc: "next choice", on: onForm},
	{name: action.Review, keys: []string{"enter"}, desc: "review", on: onForm | onShortForm, typed: true},

	{name: action.Approve, keys: []string{"a"}, desc: "approve the request (then y)", on: onRequests},
	{name: action.Reject, keys: []string{"x"}, desc: "reject the request, with a reason", on: onRequests},

	{name: action.Yes, keys: []string{"y"}, desc: "yes, run it", where: "confirm (every other key cancels)"},
	{name: action.CopyCodes, keys: []string{"c"}, desc: "copy codes (OSC 52)", on: onResult},
	{name: action.Done, keys: []string{"enter"}, desc: "done", on: onResult},
}

const movingWhere = "lists and every view taller than the window (help too)"

// actionOf is the record of n (nil: none).
func actionOf(n action.Name) *actionDef {
	for i := range actions {
		if actions[i].name == n {
			return &actions[i]
		}
	}
	return nil
}

// keyOf is how n's key is written ("e").
func keyOf(c *common, n action.Name) string { return c.km[n].Help().Key }

// permitted is nil when the person may use a on t, else the refusal of
// the first permission it needs. This is the console's one check; the
// operation layer refuses again, for the verbs and anything that slips by.
func (c *common) permitted(a *actionDef, t target) error {
	if a.perms == nil {
		return nil
	}
	var first error
	for _, p := range a.perms(t) {
		err := c.am.Permits(p)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// offer is an action offered on a screen now, with its binding.
type offer struct {
	name action.Name
	key  key.Binding
}

// offered are the actions of on that the person may use on t now, in the
// table's order: what the screen's key bar and help show of them.
func offered(c *common, on screen, t target) []offer {
	var out []offer
	for i := range actions {
		a := &actions[i]
		if a.open == nil || a.on&on == 0 || (a.token && !t.hasToken) || c.permitted(a, t) != nil {
			continue
		}
		if a.unavailable != nil && a.unavailable(c, t) != "" {
			continue
		}
		out = append(out, offer{a.name, c.km[a.name]})
	}
	return out
}

func bindingsOf(os []offer) []key.Binding {
	out := make([]key.Binding, len(os))
	for i, o := range os {
		out[i] = o.key
	}
	return out
}

// dispatch opens the action of on whose key k is, on t: refused, with the
// reason, when the person may not, when it needs a token and none is
// selected, or when it cannot be used now. It reports whether k is such
// a key.
func dispatch(c *common, on screen, k tea.KeyPressMsg, t target) (reqs, bool) {
	for i := range actions {
		a := &actions[i]
		if a.open != nil && a.on&on != 0 && key.Matches(k, c.km[a.name]) {
			return openAction(c, a, t), true
		}
	}
	return nil, false
}

// openAction opens a on t, after the one check of who may and what is
// selected.
func openAction(c *common, a *actionDef, t target) reqs {
	if a.token && !t.hasToken {
		return do(say(t.user.Login + " has no token to act on."))
	}
	if err := c.permitted(a, t); err != nil {
		return do(fail(refusal(err)))
	}
	if a.unavailable != nil {
		if why := a.unavailable(c, t); why != "" {
			return do(fail(why))
		}
	}
	return guardedOpen(c, a, t)
}

// fixHint is "u unlocks": the key of the action that deals with a cause,
// when the person may use it.
func fixHint(c *common, n action.Name) string {
	a := actionOf(n)
	if a == nil || a.fix == "" || c.permitted(a, target{}) != nil {
		return ""
	}
	b := c.km[n]
	if len(b.Keys()) == 0 {
		return ""
	}
	return b.Help().Key + " " + a.fix
}

// Verb is the command line that does n for a person (login) or one of
// their tokens (serial) from a shell: the next step user show and auth
// test print. "" when no verb does it.
func Verb(n action.Name, login, serial string) string {
	a := actionOf(n)
	if a == nil || a.verb == nil {
		return ""
	}
	return a.verb(login, serial)
}
