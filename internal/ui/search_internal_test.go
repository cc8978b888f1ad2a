package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// blockingDir records every search and answers only when told to; a search
// it was not told to answer waits for its cancellation.
type blockingDir struct {
	started chan searchCall
}

type searchCall struct {
	query  string
	first  int
	answer chan []ad.User
	ended  chan error // what Search returned
}

func (d *blockingDir) Lookup(ctx context.Context, login string) (ad.User, error) {
	return ad.User{Login: login}, nil
}

func (d *blockingDir) ByDN(context.Context, string) (ad.User, error) {
	return ad.User{}, errors.New("blockingDir reads no one by DN")
}

func (d *blockingDir) LookupMany(context.Context, []string) (map[string]ad.User, int, error) {
	return nil, 0, errors.New("blockingDir reads no one in bulk")
}

func (d *blockingDir) Search(ctx context.Context, q string, first int, page func([]ad.User) error) error {
	c := searchCall{query: q, first: first, answer: make(chan []ad.User), ended: make(chan error, 1)}
	d.started <- c
	select {
	case users := <-c.answer:
		err := page(users)
		c.ended <- err
		return err
	case <-ctx.Done():
		c.ended <- ctx.Err()
		return ctx.Err()
	}
}

// Each key starts its search at once and cancels the one in flight; the
// first page asked for is one screen; until the new search answers, the
// rows shown are the previous search's and none of them can be opened.
func TestSearchAsYouTypeCancelsAndAsksForAScreen(t *testing.T) {
	dir := &blockingDir{started: make(chan searchCall, 4)}
	r := &runtime{msgs: make(chan tea.Msg, 64)}
	m := New(dir, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"}) // the cursor into the search box

	m = r.update(m, tea.KeyPressMsg{Code: 'j', Text: "j"})
	first := <-dir.started
	if first.query != "j" || first.first != m.people.rows || first.first < 10 || first.first > 24 {
		t.Fatalf("search %q asked for %d people first; want %q and one screen (%d rows)", first.query, first.first, "j", m.people.rows)
	}
	first.answer <- []ad.User{{Login: "jdoe", DisplayName: "John Doe"}}
	for m.people.searching && len(m.people.users) == 0 {
		m = r.update(m, <-r.msgs)
	}

	m = r.update(m, tea.KeyPressMsg{Code: 's', Text: "s"}) // "js": nobody waits for a pause
	second := <-dir.started
	if second.query != "js" {
		t.Fatalf("second search %q", second.query)
	}
	if u, ok := m.people.selected(); ok {
		t.Fatalf("%s, a row of the previous search, can be opened while the new one runs", u.Login)
	}
	m = r.update(m, tea.KeyPressMsg{Code: 'x', Text: "x"}) // "jsx" cancels "js" in flight
	third := <-dir.started
	if err := <-second.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the search in flight was not cancelled by the next key: %v", err)
	}
	if third.query != "jsx" {
		t.Fatalf("third search %q", third.query)
	}
	third.answer <- nil
	for m.people.searching {
		m = r.update(m, <-r.msgs)
	}
	if len(m.people.users) != 0 || m.status != `Nobody matches “jsx”.` {
		t.Fatalf("after an empty answer: %d rows, status %q", len(m.people.users), m.status)
	}
}

// On a directory that takes long to answer, a search is not started for
// every key typed in a row: it would run, unstoppable, in front of the one
// for the whole word. The search in flight is still cancelled by the key.
func TestSearchOnASlowDirectoryWaitsForAPauseInTyping(t *testing.T) {
	dir := &blockingDir{started: make(chan searchCall, 4)}
	r := &runtime{msgs: make(chan tea.Msg, 64)}
	m := New(dir, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"}) // the cursor into the search box
	m.people.answer = 600 * time.Millisecond               // as Samba answers a prefix search of 20,000 people

	m = r.update(m, tea.KeyPressMsg{Code: 'j', Text: "j"})
	m = r.update(m, tea.KeyPressMsg{Code: 'd', Text: "d"})
	for {
		select {
		case c := <-dir.started:
			if c.query != "jd" {
				t.Fatalf("a search for %q was started mid-word", c.query)
			}
			c.answer <- nil
			return
		case msg := <-r.msgs:
			m = r.update(m, msg)
		}
	}
}

// The search's last words: one person is a person, and the text searched
// for is shown as typed ("1 people", a backslash doubled).
func TestSearchStatusWords(t *testing.T) {
	dir := &blockingDir{started: make(chan searchCall, 4)}
	r := &runtime{msgs: make(chan tea.Msg, 64)}
	m := New(dir, waitingAM{}, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"}) // the cursor into the search box
	search := func(text string, found []ad.User) string {
		m.people.input.SetValue(text)
		m = r.update(m, tea.KeyPressMsg{Code: tea.KeyEnter})
		(<-dir.started).answer <- found
		for m.people.searching || m.people.stale {
			m = r.update(m, <-r.msgs)
		}
		status := m.status
		m.cancelCall() // enter opens the one found: not this test's business
		m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"})
		return status
	}
	if s := search("jdoe", []ad.User{{Login: "jdoe"}}); s != "1 person. enter opens their tokens." {
		t.Errorf("one found: %q", s)
	}
	if s := search(`*()\`, nil); s != `Nobody matches “*()\”.` {
		t.Errorf("nobody found: %q", s)
	}
}

// enter pressed before the search for the box's text has answered opens
// the first person of that search, not of the one before ("jdo" found
// jdoe's neighbour first; "jdoe⏎" typed fast must open jdoe).
func TestEnterBeforeTheAnswerOpensItsFirst(t *testing.T) {
	dir := &blockingDir{started: make(chan searchCall, 4)}
	r := &runtime{msgs: make(chan tea.Msg, 64)}
	m := New(dir, waitingAM{}, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"})
	m = r.update(m, tea.KeyPressMsg{Code: 'j', Text: "j"})
	first := <-dir.started
	first.answer <- []ad.User{{Login: "jane"}, {Login: "jdoe"}}
	for m.people.stale {
		m = r.update(m, <-r.msgs)
	}
	m = r.update(m, tea.KeyPressMsg{Code: 'd', Text: "d"})
	second := <-dir.started
	m = r.update(m, tea.KeyPressMsg{Code: tea.KeyEnter}) // before "jd" answers
	if len(m.stack) != 1 {
		t.Fatal("enter opened a row of the previous search")
	}
	second.answer <- []ad.User{{Login: "jdoe", DisplayName: "John Doe"}}
	for m.busy == "" {
		m = r.update(m, <-r.msgs)
	}
	if m.busy != "Reading jdoe's tokens from AM" {
		t.Fatalf("after the answer: %q", m.busy)
	}
	m.cancelCall()
}

// waitingAM answers a person's tokens and activity only when the call is
// cancelled.
type waitingAM struct{ AM }

func (waitingAM) PersonState(ctx context.Context, _ string) (rsa.Principal, []rsa.TokenState, error) {
	<-ctx.Done()
	return rsa.Principal{}, nil, ctx.Err()
}

func (waitingAM) Activity(ctx context.Context, _ string, _ time.Time) ([]rsa.AuthEvent, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (waitingAM) AdminActivity(ctx context.Context, _ string, _ time.Time) ([]rsa.AuthEvent, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A search that ends behind the person's back does not wipe the error they
// just caused (a flake found under load: ":token 12ab" typed while the first
// search ran, its error replaced by "37 people.").
func TestLateSearchKeepsTheErrorOnScreen(t *testing.T) {
	dir := &blockingDir{started: make(chan searchCall, 4)}
	r := &runtime{msgs: make(chan tea.Msg, 64)}
	m := New(dir, waitingAM{}, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = r.update(m, startSearch{})
	everyone := <-dir.started
	for _, k := range []tea.KeyPressMsg{{Code: ':', Text: ":"}, {Code: 'q', Text: "t"}, {Code: ' ', Text: " "}, {Code: '1', Text: "1"}, {Code: tea.KeyEnter}} {
		m = r.update(m, k)
	}
	if !m.statusErr {
		t.Fatalf("no error for a bad serial: %q", m.status)
	}
	everyone.answer <- []ad.User{{Login: "jdoe"}, {Login: "asmith"}}
	for m.people.searching {
		m = r.update(m, <-r.msgs)
	}
	if !m.statusErr || !strings.Contains(m.status, "serial") {
		t.Fatalf("the search's end replaced the error: %q", m.status)
	}
}
