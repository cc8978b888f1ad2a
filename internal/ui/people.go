package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// peoplePane is the search box and the people found, streamed in page by page.
// Every keystroke that changes the text cancels the search in flight (its
// pages are dropped by seq) and starts its own. The first page asked for is
// one screenful, so the screen fills as soon as the directory can answer;
// the rest streams in behind it while the person reads and scrolls.
//
// When the new search starts depends on how fast the directory answers,
// not on a fixed delay: a directory does not stop a search its client gave
// up on (go-ldap sends no Abandon, and AD and Samba finish a search once
// begun), so on a slow one every search started mid-word runs in front of
// the one for the whole word. A fast directory (answers within 40 ms) is
// asked at every key; a slower one once typing pauses for a quarter of its
// answer time (at most 150 ms, the old fixed delay).
type peoplePane struct {
	input     textinput.Model
	table     grid
	users     []ad.User
	rows      int // the table's visible rows: the first page's size
	seq       int
	answer    time.Duration // how long the directory took to answer, lately
	startedAt time.Time     // of the search in flight
	cancel    context.CancelFunc
	searching bool
	spin      spinner.Model
	// stale: the rows are the previous search's, kept on screen until the
	// new one's first page replaces them (no blank flash between keys)
	stale     bool
	lastQuery string
	// openFirst: enter was pressed before the search for the box's text
	// answered; its first person is opened when it does (typing "jdoe⏎"
	// fast opens jdoe, not whatever "jdo" had found)
	openFirst bool
	w         int
}

type searchTick struct{ seq int }

type searchPage struct {
	seq   int
	users []ad.User
	ch    <-chan tea.Msg
}

type searchDone struct {
	seq int
	err error
	// bySerial: the text was a token serial, and the person shown is the
	// token's owner (owner: their login; "" when the token is in the pool)
	bySerial    bool
	serial      string
	owner       string
	ownerListed bool // the directory has the owner
}

// tokensLoaded is a person's tokens, read for the token list.
type tokensLoaded struct {
	user         ad.User
	principal    rsa.Principal
	states       []rsa.TokenState
	err          error
	activity     []rsa.AuthEvent // the last days', oldest first
	activityErr  error
	activityRead bool // activity was read (else the screen's watch keeps it)
	// access is AM's answer at the agents that refused the person lately
	// (read with the activity)
	access    []rsa.AgentAccess
	accessErr error
	// changes: the administration log's records of the person
	changes    []rsa.AuthEvent
	changesErr error
}

func newPeoplePane() *peoplePane {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "login, name, mail or token serial"
	in.CharLimit = ad.MaxQueryLen
	return &peoplePane{input: in, table: newGrid(), spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (p *peoplePane) crumbs() []string {
	if q := p.input.Value(); q != "" {
		return []string{"users “" + q + "”"}
	}
	return []string{"users"}
}

func (p *peoplePane) typing() bool { return p.input.Focused() }

func (p *peoplePane) keys(c *common) []keyGroup {
	km := c.km
	if p.input.Focused() {
		return []keyGroup{{"the search box", []key.Binding{fixed("enter", "search / open the first"), fixed("↓", "to the list"),
			fixed("esc", "leave the box")}}}
	}
	return []keyGroup{
		{"people", []key.Binding{withHelp(km[action.Open], "open their tokens"), withHelp(km[action.Refresh], "search again")}},
		{"moving", km.listKeys()},
	}
}

func (p *peoplePane) resize(_ *common, w, h int) {
	wasWide := p.w >= wideUsers
	p.w = w
	p.input.SetWidth(max(w-24, 10)) // room for the count beside it
	p.rows = max(h-2, 2)
	p.table.SetHeight(p.rows)
	p.table.SetColumns(userColumns(w)) // renders the rows again for the new widths
	if (w >= wideUsers) != wasWide {
		p.setRows() // narrow rows have fewer cells
	}
}

// wideUsers is the width from which the people list shows mail and department.
const wideUsers = 70

func (p *peoplePane) setRows() {
	rows := make([]row, len(p.users))
	for i, u := range p.users {
		rows[i] = userRow(printableUser(u), p.w)
	}
	p.table.SetRows(rows)
}

// userColumns shares the width out; narrow windows drop the department.
func userColumns(w int) []column {
	// every cell has one column of padding on each side
	if w < wideUsers {
		name := max(w-12-12-6-1, 10)
		return []column{{Title: "Login", Width: 12}, {Title: "Name", Width: name}, {Title: "Status", Width: 12}}
	}
	rest := w - 14 - 14 - 10 - 1
	return []column{{Title: "Login", Width: 14}, {Title: "Name", Width: rest * 3 / 10},
		{Title: "Mail", Width: rest * 4 / 10}, {Title: "Department", Width: rest * 3 / 10}, {Title: "Status", Width: 14}}
}

func userRow(u ad.User, w int) row {
	// the directory's word, said as the directory's: AM's lockout is the
	// person's screen's (a locked dobrien read as locked by AM, and a
	// person locked by AM read as fine)
	status := ""
	switch {
	case u.Disabled && u.Locked:
		status = "AD disab+lock"
	case u.Disabled:
		status = "AD disabled"
	case u.Locked:
		status = "AD locked"
	}
	if w < wideUsers {
		return row{u.Login, u.DisplayName, status}
	}
	return row{u.Login, u.DisplayName, u.Mail, u.Department, status}
}

func (p *peoplePane) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// typed starts the search for the box's changed text: at once on a fast
// directory, after the pause its answer time asks for on a slow one. The
// search in flight is cancelled now either way.
func (p *peoplePane) typed(c *common) reqs {
	pause := min(p.answer/4, 150*time.Millisecond)
	if p.answer <= 40*time.Millisecond {
		pause = 0
	}
	if pause == 0 {
		return p.searchNow(c)
	}
	p.stop()
	p.seq++
	seq := p.seq
	return do(run(tea.Tick(pause, func(time.Time) tea.Msg { return searchTick{seq: seq} })))
}

// answered keeps how long the directory took to answer (a moving average,
// so one slow search does not make typing sluggish for good).
func (p *peoplePane) answered() {
	if p.startedAt.IsZero() {
		return
	}
	d := time.Since(p.startedAt)
	p.startedAt = time.Time{}
	if p.answer == 0 {
		p.answer = d
		return
	}
	p.answer = (3*p.answer + d) / 4
}

// searchNow cancels the running search and starts one for the box's text.
func (p *peoplePane) searchNow(c *common) reqs {
	p.stop()
	p.seq++
	seq := p.seq
	q := p.input.Value()
	p.lastQuery = q
	p.stale = true
	ctx, cancel := context.WithTimeout(c.ctx, callTimeout)
	p.cancel = cancel
	p.searching = true
	p.startedAt = time.Now()
	ch := make(chan tea.Msg, 2)
	dir, am, first := c.dir, c.am, p.rows
	if first == 0 { // before the first window size: a screenful of a usual terminal
		first = 50
	}
	// a serial number (find a person by their token): AM names the
	// owner, the directory finds them; no login, name or mail is all digits
	bySerial := q != "" && rsa.ValidateSerial(q) == nil
	go func() {
		defer cancel()
		done := searchDone{seq: seq, bySerial: bySerial, serial: q}
		send := func(users []ad.User) error {
			select {
			case ch <- searchPage{seq: seq, users: users, ch: ch}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		switch {
		case !bySerial:
			done.err = dir.Search(ctx, q, first, send)
		default:
			st, err := am.Token(ctx, q)
			done.err, done.owner = err, st.Token.AssignedUserID
			if err == nil && done.owner != "" {
				done.err = dir.Search(ctx, done.owner, first, func(users []ad.User) error {
					var exact []ad.User
					for _, u := range users {
						if strings.EqualFold(u.Login, done.owner) {
							exact = append(exact, u)
						}
					}
					done.ownerListed = done.ownerListed || len(exact) > 0
					return send(exact)
				})
			}
		}
		select {
		case ch <- done:
		case <-ctx.Done():
		}
	}()
	return do(run(tea.Batch(waitFor(ch), p.spin.Tick)))
}

func waitFor(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

func (p *peoplePane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !p.searching || msg.ID != p.spin.ID() {
			return nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return do(run(cmd))
	case searchTick:
		if msg.seq != p.seq {
			return nil // typed on: a later tick starts it
		}
		return p.searchNow(c)
	case searchPage:
		if msg.seq != p.seq {
			return nil
		}
		p.answered()
		p.clearStale()
		for _, u := range msg.users {
			// kept as the directory has it (the login opens the person:
			// rewritten for the screen it could not be looked up), shown
			// printable
			p.users = append(p.users, u)
			p.table.AppendRows(userRow(printableUser(u), p.w))
		}
		rs := do(run(waitFor(msg.ch)))
		if p.openFirst && len(p.users) > 0 {
			p.openFirst = false
			p.input.Blur()
			p.table.SetCursor(0)
			rs = append(rs, p.open(c)...)
		}
		return rs
	case searchDone:
		if msg.seq != p.seq {
			return nil
		}
		p.searching = false
		p.cancel = nil
		p.openFirst = false
		p.answered()
		p.clearStale()
		// a status is shown only while this pane is on screen: a search
		// that ends behind another keeps its words to itself
		switch {
		case msg.bySerial && errors.Is(msg.err, rsa.ErrNotFound):
			return do(say("No token " + msg.serial + " in AM (a serial is 12 digits, as printed on the token)."))
		case msg.err != nil && !errors.Is(msg.err, context.Canceled):
			return do(fail(explain(msg.err)))
		case msg.bySerial && msg.owner == "":
			return do(say("Token " + msg.serial + " is in the token pool: it is assigned to nobody."))
		case msg.bySerial && !msg.ownerListed:
			return do(say("Token " + msg.serial + " belongs to " + msg.owner + ", whom the directory does not list (moved, or outside the search base)."))
		case msg.bySerial:
			return do(say("Token " + msg.serial + " belongs to " + msg.owner + ". enter opens their tokens."))
		case len(p.users) == 0:
			// the text as typed: %q would double a backslash
			return do(say("Nobody matches “" + p.lastQuery + "”."))
		case len(p.users) == 1:
			return do(say("1 person. enter opens their tokens."))
		default:
			return do(say(fmt.Sprintf("%d people. enter opens their tokens.", len(p.users))))
		}
	case tokensLoaded:
		return p.loaded(c, msg)
	}
	return nil
}

// clearStale drops the previous search's rows when the new one answers.
func (p *peoplePane) clearStale() {
	if p.stale {
		p.stale = false
		p.users = nil
		p.table.SetRows(nil)
		p.table.SetCursor(0)
	}
}

func (p *peoplePane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if p.input.Focused() {
		switch k.String() {
		case "down", "tab":
			p.input.Blur()
			return nil, true
		case "enter":
			switch {
			case p.input.Value() != p.lastQuery:
				p.openFirst = true
				return p.searchNow(c), true
			case p.stale:
				p.openFirst = true // its search is under way
				return nil, true
			case len(p.users) > 0:
				p.input.Blur()
				return p.open(c), true
			}
			return nil, true
		case "esc":
			p.openFirst = false
			p.input.Blur() // the text stays: / comes back to it
			return nil, true
		}
		p.openFirst = false // typing on: a new search, nothing to open yet
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(k)
		if p.input.Value() != p.lastQuery {
			return append(do(run(cmd)), p.typed(c)...), true
		}
		return do(run(cmd)), true
	}
	km := c.km
	switch {
	case key.Matches(k, km[action.Open]):
		return p.open(c), true
	case key.Matches(k, km[action.Refresh]):
		return p.searchNow(c), true
	case key.Matches(k, km[action.Up]) && p.table.Cursor() == 0:
		return do(run(p.input.Focus())), true
	}
	return nil, p.table.Update(km, k)
}

// focusBox puts the cursor in the search box for a new search (/, :user):
// the box is emptied, the rows stay until the next search answers; with
// set, the box takes text and it is searched for at once.
func (p *peoplePane) focusBox(c *common, text string, set bool) reqs {
	rs := do(run(p.input.Focus()))
	p.input.SetValue(text)
	p.input.CursorEnd()
	if set {
		rs = append(rs, p.searchNow(c)...)
	}
	return rs
}

func (p *peoplePane) selected() (ad.User, bool) {
	if p.stale { // the rows are the previous search's: never open one of them
		return ad.User{}, false
	}
	i := p.table.Cursor()
	if i >= len(p.users) {
		return ad.User{}, false
	}
	return p.users[i], true
}

// open reads the selected person's tokens; the token list opens when they
// are in.
func (p *peoplePane) open(c *common) reqs {
	u, ok := p.selected()
	if !ok {
		return nil
	}
	return do(readTokens(c, u))
}

func (p *peoplePane) loaded(c *common, r tokensLoaded) reqs {
	if r.err != nil && !partial(r) {
		return do(fail(explain(r.err)))
	}
	t := newTokensPane(r.user)
	return append(do(push(t)), t.loaded(c, r)...)
}

func (p *peoplePane) view(c *common, _, _ int) string {
	head := p.input.View()
	if p.searching {
		head += "  " + p.spin.View() + " searching"
	} else if len(p.users) > 0 {
		head += "  " + c.st.Dim.Render(fmt.Sprintf("%d found", len(p.users)))
	}
	return head + "\n" + p.table.View()
}
