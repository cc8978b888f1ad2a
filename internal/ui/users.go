package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/ad"
)

// usersPane is the search box and the people found, streamed in page by page.
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
type usersPane struct {
	input     textinput.Model
	table     grid
	users     []ad.User
	rows      int // the table's visible rows: the first page's size
	seq       int
	answer    time.Duration // how long the directory took to answer, lately
	startedAt time.Time     // of the search in flight
	cancel    context.CancelFunc
	searching bool
	// stale: the rows are the previous search's, kept on screen until the
	// new one's first page replaces them (no blank flash between keys)
	stale     bool
	lastQuery string
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
}

func newUsersPane() usersPane {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "login, name or mail"
	in.CharLimit = ad.MaxQueryLen
	return usersPane{input: in, table: newGrid()}
}

func (p *usersPane) resize(w, h int) {
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

func (p *usersPane) setRows() {
	rows := make([]row, len(p.users))
	for i, u := range p.users {
		rows[i] = userRow(u, p.w)
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
	status := ""
	switch {
	case u.Disabled && u.Locked:
		status = "disabled,locked"
	case u.Disabled:
		status = "disabled"
	case u.Locked:
		status = "locked"
	}
	if w < wideUsers {
		return row{u.Login, u.DisplayName, status}
	}
	return row{u.Login, u.DisplayName, u.Mail, u.Department, status}
}

func (p *usersPane) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// typed starts the search for the box's changed text: at once on a fast
// directory, after the pause its answer time asks for on a slow one. The
// search in flight is cancelled now either way.
func (p *usersPane) typed(m *Model) tea.Cmd {
	pause := min(p.answer/4, 150*time.Millisecond)
	if p.answer <= 40*time.Millisecond {
		pause = 0
	}
	if pause == 0 {
		return p.searchNow(m)
	}
	p.stop()
	p.seq++
	seq := p.seq
	return tea.Tick(pause, func(time.Time) tea.Msg { return searchTick{seq: seq} })
}

// answered keeps how long the directory took to answer (a moving average,
// so one slow search does not make typing sluggish for good).
func (p *usersPane) answered() {
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
func (p *usersPane) searchNow(m *Model) tea.Cmd {
	p.stop()
	p.seq++
	seq := p.seq
	q := p.input.Value()
	p.lastQuery = q
	p.stale = true
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	p.cancel = cancel
	p.searching = true
	p.startedAt = time.Now()
	ch := make(chan tea.Msg, 2)
	dir, first := m.dir, p.rows
	if first == 0 { // before the first window size: a screenful of a usual terminal
		first = 50
	}
	go func() {
		defer cancel()
		err := dir.Search(ctx, q, first, func(users []ad.User) error {
			select {
			case ch <- searchPage{seq: seq, users: users, ch: ch}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		select {
		case ch <- searchDone{seq: seq, err: err}:
		case <-ctx.Done():
		}
	}()
	return tea.Batch(waitFor(ch), m.spin.Tick)
}

func waitFor(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

func (p *usersPane) handle(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case searchTick:
		if msg.seq != p.seq {
			return nil // typed on: a later tick starts it
		}
		return p.searchNow(m)
	case searchPage:
		if msg.seq != p.seq {
			return nil
		}
		p.answered()
		p.clearStale()
		for _, u := range msg.users {
			u = printableUser(u)
			p.users = append(p.users, u)
			p.table.AppendRows(userRow(u, p.w))
		}
		return waitFor(msg.ch)
	case searchDone:
		if msg.seq != p.seq {
			return nil
		}
		p.searching = false
		p.cancel = nil
		p.answered()
		p.clearStale()
		switch {
		case m.screen != scrUsers:
			// the search ended behind another screen (its rows are in): its
			// words belong to the people list, not to the screen on top
		case msg.err != nil && !errors.Is(msg.err, context.Canceled):
			m.setStatus(explain(msg.err), true)
		case len(p.users) == 0:
			// the text as typed: %q would double a backslash
			m.setStatus("Nobody matches “"+p.lastQuery+"”.", false)
		case len(p.users) == 1:
			m.setStatus("1 person. enter opens their tokens.", false)
		default:
			m.setStatus(fmt.Sprintf("%d people. enter opens their tokens.", len(p.users)), false)
		}
	}
	return nil
}

// clearStale drops the previous search's rows when the new one answers.
func (p *usersPane) clearStale() {
	if p.stale {
		p.stale = false
		p.users = nil
		p.table.SetRows(nil)
		p.table.SetCursor(0)
	}
}

func (p *usersPane) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if p.input.Focused() {
		switch k.String() {
		case "down", "tab":
			p.input.Blur()
			return nil
		case "enter":
			if p.input.Value() != p.lastQuery {
				return p.searchNow(m)
			}
			if len(p.users) > 0 {
				p.input.Blur()
				return p.open(m)
			}
			return nil
		case "esc":
			if p.input.Value() != "" {
				p.input.SetValue("")
				return p.typed(m)
			}
			p.input.Blur()
			return nil
		}
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(k)
		if p.input.Value() != p.lastQuery {
			return tea.Batch(cmd, p.typed(m))
		}
		return cmd
	}
	switch k.String() {
	case "/":
		return p.input.Focus()
	case "enter":
		return p.open(m)
	case "r":
		return p.searchNow(m)
	case "up", "k":
		if p.table.Cursor() == 0 {
			return p.input.Focus()
		}
	}
	p.table.Update(k)
	return nil
}

func (p *usersPane) selected() (ad.User, bool) {
	if p.stale { // the rows are the previous search's: never open one of them
		return ad.User{}, false
	}
	i := p.table.Cursor()
	if i >= len(p.users) {
		return ad.User{}, false
	}
	return p.users[i], true
}

func (p *usersPane) open(m *Model) tea.Cmd {
	u, ok := p.selected()
	if !ok {
		return nil
	}
	return m.tokens.open(m, u)
}

func (p *usersPane) view(m *Model) string {
	head := p.input.View()
	if p.searching {
		head += "  " + m.spin.View() + " searching"
	} else if len(p.users) > 0 {
		head += "  " + m.st.Dim.Render(fmt.Sprintf("%d found", len(p.users)))
	}
	return head + "\n" + p.table.View()
}
