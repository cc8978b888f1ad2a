package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
)

// refreshEvery is the auto-refresh period of the token list.
const refreshEvery = 5 * time.Second

// tokensPane is a person's tokens, one row each, with what the help desk
// acts on (emergency access and its end, enabled, PIN) first.
type tokensPane struct {
	paneBase
	user      ad.User
	principal rsa.Principal
	states    []rsa.TokenState
	table     grid
	auto      bool
	autoSeq   int
	w, h      int

	// the dashboard (dashboard.go): AM's activity of the person, kept live
	// by a watch of the console's poller, and the diagnosis drawn from it all
	activity    []rsa.AuthEvent
	activityErr error
	access      []rsa.AgentAccess // why an agent refused them (with the activity's read)
	accessErr   error
	changes     []rsa.AuthEvent // who changed their tokens lately (likewise)
	changesErr  error
	findings    []diagnose.Finding
	diag        []string // the findings as laid out in the width
	watch       *activity.Watch
	watchCtx    context.Context
	unwatch     context.CancelFunc
}

type autoRefresh struct{ seq int }

// tokenNow is a token as AM holds it now, told to every pane: each screen
// that shows the token takes it in.
type tokenNow struct{ state rsa.TokenState }

func newTokensPane(u ad.User) *tokensPane {
	return &tokensPane{user: u, table: newGrid()}
}

// readTokens reads what the person's screen shows, at once: the principal
// afresh with every token in full, the account in full, and AM's activity
// of the last days.
func readTokens(c *common, u ad.User) request { return readPerson(c, u, true) }

// readPerson is readTokens (diagnose.Read, the dashboard's reads), the
// activity left out when the screen's watch keeps it (a new record's
// re-read, the auto-refresh): fifty screens on one person then cost no
// activity read each.
func readPerson(c *common, u ad.User, withActivity bool) request {
	am, dir, now := c.am, c.dir, c.now()
	return call("Reading "+u.Login+"'s tokens from AM", func(ctx context.Context) tea.Msg {
		p := diagnose.Read(ctx, dir, am, u.Login, now, withActivity) // a nil dir stays nil: not read
		r := tokensLoaded{user: u, states: p.Tokens, err: p.StateErr, activity: p.Activity, activityErr: p.ActivityErr, activityRead: withActivity,
			access: p.AgentAccess, accessErr: p.AgentAccessErr, changes: p.AdminChanges, changesErr: p.AdminErr}
		if p.AD != nil {
			r.user = *p.AD // the account in full; else the search's row stays
		}
		if p.Principal != nil {
			r.principal = *p.Principal
		}
		return r
	})
}

// partial: some tokens were read, some not in full.
func partial(r tokensLoaded) bool { return errors.Is(r.err, rsa.ErrIncomplete) && len(r.states) > 0 }

func (p *tokensPane) crumbs() []string { return []string{p.user.Login} }

func (p *tokensPane) keys(c *common) []keyGroup {
	km := c.km
	act := offered(c, onTokens, p.target())
	if len(p.states) == 0 { // nothing to act on but the pool (and a lockout)
		return []keyGroup{{"tokens", append(bindingsOf(act), km[action.Refresh])}, {"moving", km.listKeys()}}
	}
	lead := 0 // the lockout, when there is one, before the token's own keys
	if len(act) > 0 && act[0].name == action.Unlock {
		lead = 1
	}
	ks := append(bindingsOf(act[:lead]), withHelp(km[action.Open], "details"))
	ks = append(ks, bindingsOf(act[lead:])...)
	auto := "auto-refresh on"
	if p.auto {
		auto = "auto-refresh off"
	}
	ks = append(ks, withHelp(km[action.AutoRefresh], auto), km[action.Refresh])
	return []keyGroup{{"tokens", ks}, {"moving", km.listKeys()}}
}

// target is what the screen's actions act on: the person and the token
// selected.
func (p *tokensPane) target() target {
	s, ok := p.selected()
	return target{user: p.user, principal: p.principal, state: s, hasToken: ok, all: p.states, held: p.holding(), activity: p.activity,
		changes: p.changes, changesErr: p.changesErr, parent: "the token list"}
}

// a column of the token table: the order of cols is the order on screen;
// prio says which go first when the window is narrow (0 always shown).
type tokenCol struct {
	column
	prio int
	// short: a narrow stand-in for the column after it, shown only when
	// that one does not fit
	short bool
}

var tokenCols = []tokenCol{
	{column{Title: "Serial", Width: 12}, 0, false},
	{column{Title: "Type", Width: 4}, 3, true}, // fob or soft: the first question of a lost-token call
	{column{Title: "Type", Width: 14}, 7, false},
	{column{Title: "State", Width: 8}, 4, false},
	{column{Title: "PIN/Next", Width: 8}, 5, false},
	{column{Title: "Emergency", Width: 10}, 1, false},
	{column{Title: "EA ends", Width: 11}, 2, false},
	{column{Title: "Expires", Width: 11}, 6, false},
	{column{Title: "Last login", Width: 10}, 8, false},
}

// shortType is a token's type in at most four letters.
func shortType(t rsa.TokenType) string {
	switch t {
	case rsa.TokenTypeKeyFob:
		return "fob"
	case rsa.TokenTypeSoftID:
		return "soft"
	case rsa.TokenTypeSMSAuth:
		return "SMS"
	}
	if s := t.String(); len(s) > 4 {
		return s[:4]
	} else {
		return s
	}
}

// tokenColumns picks the columns that fit in w, by priority (
// at 60 columns the table kept the token's 2028 expiry and dropped when
// emergency access ends); the emergency-access column takes what is left.
// It returns, for each column shown, its index in tokenCols.
func tokenColumns(w int) ([]column, []int) {
	const pad = 2 // one column of padding on each side of a cell
	used := 0
	show := make([]bool, len(tokenCols))
	for prio := 0; prio < len(tokenCols); prio++ {
		for i, c := range tokenCols {
			if c.prio != prio {
				continue
			}
			// the whole column replaces its stand-in when there is room for it
			stands := i > 0 && tokenCols[i-1].short && show[i-1]
			need := c.Width + pad
			if stands {
				need -= tokenCols[i-1].Width + pad
			}
			if used+need <= w || prio == 0 {
				show[i] = true
				used += need
				if stands {
					show[i-1] = false
				}
			}
		}
	}
	var cols []column
	var idx []int
	for i, c := range tokenCols {
		if show[i] {
			if c.Title == "Emergency" {
				c.Width += max(w-used-1, 0)
			}
			cols = append(cols, c.column)
			idx = append(idx, i)
		}
	}
	return cols, idx
}

// eaSummary is a token's emergency access in words.
func eaSummary(ea rsa.EmergencyAccess, loc *time.Location) string {
	if !ea.Active() {
		return "off"
	}
	if ea.Expiration.IsZero() {
		return eaKind(ea) + ", no expiration"
	}
	return eaKind(ea) + ", until " + when(ea.Expiration, loc, "")
}

// eaKind is which emergency access is on, in a few words.
func eaKind(ea rsa.EmergencyAccess) string {
	switch {
	case !ea.Active():
		return "off"
	case ea.Mode == rsa.EAOneTimeCodes && ea.NumUnusedCodes == 1:
		return "1 code left"
	case ea.Mode == rsa.EAOneTimeCodes:
		return fmt.Sprintf("%d codes left", ea.NumUnusedCodes)
	}
	return "fixed code"
}

func expiry(t, now time.Time, loc *time.Location) string {
	switch {
	case t.IsZero():
		return "never"
	case !t.After(now):
		return "EXPIRED"
	case rsa.ExpiresSoon(t, now):
		return t.In(loc).Format("2006-01-02") + "!"
	}
	return t.In(loc).Format("2006-01-02")
}

// cells are a token's values in tokenCols' order.
func tokenCells(c *common, s rsa.TokenState) row {
	t := s.Token
	state := "enabled"
	if !t.Enabled {
		state = "disabled"
	}
	// PIN: set, no (cleared), new (set, and AM asks for a new one at the
	// next login); Next: NEXT in next-tokencode mode (AM will ask for a
	// second code: bad tokencodes or clock drift), else the bad tokencodes
	// counted so far (2bad), else –
	pin := "no"
	switch {
	case t.PinSet && t.NewPinMode:
		pin = "new"
	case t.PinSet:
		pin = "set"
	}
	switch {
	case t.NextTokencodeMode:
		pin += "/NEXT"
	case t.BadCodeCount > 0:
		pin += fmt.Sprintf("/%dbad", min(t.BadCodeCount, 9))
	default:
		pin += "/–"
	}
	ea, ends := eaKind(s.EA), "–"
	if s.EA.Active() {
		ends = "no end"
		if !s.EA.Expiration.IsZero() {
			ends = s.EA.Expiration.In(c.loc).Format("01-02 15:04")
		}
	}
	if s.Unread != nil {
		// what the list said is shown; what could not be read is not guessed
		ea, ends = "? not read", "?"
		if s.EA.TokenGUID != "" {
			ea = eaKind(s.EA) + " (token record not read)"
		}
	}
	last := "never"
	if !t.LastLogin.IsZero() {
		last = t.LastLogin.In(c.loc).Format("2006-01-02")
	}
	return row{t.Serial, shortType(t.TokenType), t.TokenType.String(), state, pin, ea, ends, expiry(t.Expires, c.now(), c.loc), last}
}

func (p *tokensPane) resize(c *common, w, h int) {
	p.w, p.h = w, h
	cols, _ := tokenColumns(w)
	p.table.SetColumns(cols)
	p.setRows(c) // the cells depend on the width
}

// layout divides the height: the header, the diagnosis (at most a
// quarter of it), the table (its header and every row that fits: the
// tokens come before the activity), then the newest activity in what is
// left. It returns the lines of each.
func (p *tokensPane) layout() (diag, table, act int) {
	free := p.h - 3 // name, mail line, blank
	if h := p.holding(); h.Breaks() || len(h.Pending) > 0 {
		free-- // the holding's line
	}
	if len(p.diag) > 0 {
		diag = len(p.diag)
		free -= diag + 1
	}
	table = 1 + min(max(len(p.states), 1), max(free-1, 1))
	act = min(len(p.activity), max(free-table-2, 0)) // a blank and the title first
	return diag, table, act
}

func (p *tokensPane) setRows(c *common) {
	p.diag = diagnosisLines(c, p.findings, max(p.h/4, 1), p.w)
	_, table, _ := p.layout()
	p.table.SetHeight(table)
	_, idx := tokenColumns(p.w)
	rows := make([]row, 0, len(p.states))
	for _, s := range p.states {
		cells := tokenCells(c, s)
		r := make(row, len(idx))
		for i, j := range idx {
			r[i] = cells[j]
		}
		rows = append(rows, r)
	}
	p.table.SetRows(rows)
}

// loaded takes a read of the person's tokens in (on opening and on r).
func (p *tokensPane) loaded(c *common, r tokensLoaded) reqs {
	if r.err != nil && !partial(r) {
		return do(fail(explain(r.err)))
	}
	p.user, p.principal, p.states = r.user, r.principal, r.states
	if r.activityRead {
		p.activity, p.activityErr = mergeActivity(r.activity, p.activity), r.activityErr // and what the watch brought meanwhile
		p.access, p.accessErr = r.access, r.accessErr
		p.changes, p.changesErr = r.changes, r.changesErr
	}
	var rs reqs
	if p.watch == nil && c.feed != nil {
		// live from now on: the poller's records of this person come as
		// activityArrived until the screen closes
		ctx, cancel := context.WithCancel(c.ctx)
		p.watch, p.unwatch = c.feed.Watch(r.user.Login), cancel
		context.AfterFunc(ctx, p.watch.Close)
		rs = do(run(waitActivity(ctx, p.watch)))
		p.watchCtx = ctx
	}
	if p.watch != nil {
		p.watch.Seen(r.activity)
	}
	p.diagnose(c)
	p.setRows(c)
	return append(rs, p.said(c, r)...)
}

// said is the status line after a read.
func (p *tokensPane) said(c *common, r tokensLoaded) reqs {
	if partial(r) {
		// the rows show what was read; the missing parts are marked "?"
		var missing []string
		for _, s := range r.states {
			if s.Unread != nil {
				missing = append(missing, s.Token.Serial)
			}
		}
		return do(fail("Shown in part, not read in full: " + strings.Join(missing, ", ") + " (marked ?); r reads again. Why: " + explain(r.err)))
	}
	switch h := p.holding(); {
	case len(p.states) == 0:
		return do(say(h.Words(r.user.Login) + ": " + c.km[action.AssignFromPool].Help().Key + " assigns one from the token pool."))
	case h.Breaks() || len(h.Pending) > 0:
		return do(say(h.Words(r.user.Login) + "."))
	}
	return do(say(fmt.Sprintf("%s: 1 token, read from AM at %s.", r.user.Login, c.now().In(c.loc).Format("15:04:05"))))
}

// holding is the person's tokens read against the one-token rule.
func (p *tokensPane) holding() rsa.Holding {
	ts := make([]rsa.Token, len(p.states))
	for i, s := range p.states {
		ts[i] = s.Token
	}
	return rsa.HoldingOf(ts)
}

// replace updates one token's row after a detail refresh or a change.
func (p *tokensPane) replace(c *common, s rsa.TokenState) {
	for i := range p.states {
		if p.states[i].Token.Serial == s.Token.Serial {
			p.states[i] = s
		}
	}
	p.diagnose(c)
	p.setRows(c)
}

// holds reports whether serial is one of the shown person's tokens.
func (p *tokensPane) holds(serial string) bool {
	for _, s := range p.states {
		if s.Token.Serial == serial {
			return true
		}
	}
	return false
}

// state is the row of serial as last read.
func (p *tokensPane) state(serial string) rsa.TokenState {
	for _, s := range p.states {
		if s.Token.Serial == serial {
			return s
		}
	}
	return rsa.TokenState{Token: rsa.Token{Serial: serial}}
}

func (p *tokensPane) selected() (rsa.TokenState, bool) {
	i := p.table.Cursor()
	if i >= len(p.states) {
		return rsa.TokenState{}, false
	}
	return p.states[i], true
}

func (p *tokensPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case tokensLoaded:
		return p.loaded(c, msg)
	case tokenNow:
		p.replace(c, msg.state)
	case activityArrived:
		if msg.w != p.watch {
			return nil
		}
		rs := do(run(waitActivity(p.watchCtx, p.watch)))
		p.activityErr = msg.err
		if len(msg.evs) > 0 {
			p.activity = mergeActivity(p.activity, msg.evs)
			if c.onTop(p) && !c.busy {
				// what AM saw may have changed what it holds (a lockout):
				// read the person again (the activity is the watch's)
				rs = append(rs, readPerson(c, p.user, false))
			}
		}
		p.diagnose(c)
		p.setRows(c)
		return rs
	case tokensStale:
		if msg.login == p.user.Login {
			return do(readTokens(c, p.user))
		}
	case unlockDone:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.principal = msg.res.After
		p.diagnose(c)
		p.setRows(c)
		if msg.res.Note != "" {
			return do(say("Nothing to do: " + msg.res.Note + "."))
		}
		return do(say(p.user.Login + " is unlocked: AM no longer holds a lockout (" + strings.Join(msg.res.Commands, " → ") + ")."))
	case autoRefresh:
		if !p.auto || msg.seq != p.autoSeq {
			return nil // off, or superseded by a later toggle
		}
		rs := do(run(p.tick())) // ticking on behind a screen on top: back on the list, it refreshes again
		if c.onTop(p) && !c.busy {
			rs = append(rs, readPerson(c, p.user, p.watch == nil))
		}
		return rs
	case eaDone:
		return eaFinished(c, msg, "the token list")
	case changeDone:
		return changeFinished(c, msg, "the token list")
	case issueDone:
		return issueFinished(c, msg)
	}
	return nil
}

// diagnose draws the findings from what the screen holds.
func (p *tokensPane) diagnose(c *common) {
	u, pr := p.user, p.principal
	person := diagnose.Person{Login: u.Login, AD: &u, Principal: &pr, Tokens: p.states,
		Activity: p.activity, ActivityErr: p.activityErr, AgentAccess: p.access, AgentAccessErr: p.accessErr,
		AdminChanges: p.changes, AdminErr: p.changesErr, Now: c.now(), Loc: c.loc}
	if pr.GUID == "" {
		person.Principal = nil
	}
	p.findings = diagnose.Diagnose(person)
}

// close lets go of the live watch when the screen closes.
func (p *tokensPane) close() {
	if p.unwatch != nil {
		p.unwatch()
	}
}

func (p *tokensPane) tick() tea.Cmd {
	seq := p.autoSeq
	return tea.Tick(refreshEvery, func(time.Time) tea.Msg { return autoRefresh{seq: seq} })
}

func (p *tokensPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	s, ok := p.selected()
	switch {
	case key.Matches(k, km[action.Refresh]):
		return do(readTokens(c, p.user)), true
	case key.Matches(k, km[action.AutoRefresh]):
		p.auto = !p.auto
		p.autoSeq++
		if p.auto {
			return do(say(fmt.Sprintf("Auto-refresh on: every %s.", refreshEvery)), run(p.tick())), true
		}
		return do(say("Auto-refresh off.")), true
	case key.Matches(k, km[action.Open]):
		if ok {
			return do(push(newDetailPane(s, p.user))), true
		}
		return nil, true
	}
	if r, ok := dispatch(c, onTokens, k, p.target()); ok {
		return r, true
	}
	return nil, p.table.Update(km, k)
}

func (p *tokensPane) view(c *common, _, _ int) string {
	st, u := c.st, printableUser(p.user) // the fresh AD read, as the directory has it: made printable here
	head := st.Title.Render(u.DisplayName) + " (" + u.Login + ")"
	if u.Disabled {
		head += " " + st.badge("AD DISABLED", true)
	}
	if u.Locked {
		head += " " + st.badge("AD LOCKED", true)
	}
	if pr := p.principal; pr.Locked {
		lock := "AM LOCKED"
		if pr.FailedCount > 0 {
			lock += fmt.Sprintf(" after %d bad passcodes", pr.FailedCount)
		}
		if !pr.LockoutExpires.IsZero() {
			lock += " until " + pr.LockoutExpires.In(c.loc).Format(rsa.TimeLayout)
		}
		head += " " + st.badge(lock, true)
	}
	if p.auto {
		head += " " + st.badge("AUTO-REFRESH", false)
	}
	sub := st.Dim.Render(fmt.Sprintf("%s · %s · AM principal %s", u.Mail, u.Department, printable(p.principal.GUID)))
	if h := p.holding(); h.Breaks() || len(h.Pending) > 0 {
		sub += "\n" + st.Warn.Render(printable(h.Words(u.Login))+".")
	}
	_, _, act := p.layout()
	body := head + "\n" + sub + "\n"
	if len(p.diag) > 0 {
		body += "\n" + strings.Join(p.diag, "\n") + "\n"
	}
	if len(p.states) == 0 {
		body += "\n  No tokens in AM for this person."
	} else {
		body += "\n" + p.table.View()
	}
	switch {
	case p.activityErr != nil:
		body += "\n\n" + st.Err.Render("Activity: not read: "+printable(explain(p.activityErr))) + st.Dim.Render(" (retrying)")
	case act > 0:
		live := ""
		if p.watch != nil {
			live = ", live"
		}
		body += "\n\n" + st.Dim.Render(fmt.Sprintf("What AM saw (the last %d of %d in 7 days%s):", act, len(p.activity), live)) + "\n" +
			strings.Join(activityLines(c, p.activity, act), "\n")
	}
	return body
}
