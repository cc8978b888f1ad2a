package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

func testCommon(now time.Time) *common {
	m := New(nil, nil, Info{}, Options{NoColor: true, Now: func() time.Time { return now }, Location: time.UTC})
	return m.c
}

// The token table judges expiry by the console's clock, not the machine's
// (goldens drifted with the date).
func TestTokenRowsUseTheConsolesClock(t *testing.T) {
	c := testCommon(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	p := newTokensPane(ad.User{Login: "jdoe"})
	p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001007", Enabled: true,
		Expires: time.Date(2028, 11, 27, 0, 0, 0, 0, time.UTC)}}}
	p.resize(c, 100, 20)
	p.replace(c, p.states[0])
	if v := p.table.View(); !strings.Contains(v, "EXPIRED") {
		t.Fatalf("a token that expired in 2028 is not EXPIRED on the console's clock (2100):\n%s", v)
	}
}

// What the help desk acts on comes first: at any width the
// table keeps emergency access and when it ends before the token's expiry,
// type and last login; at 100 columns everything fits, untruncated.
func TestTokenColumnsByPriority(t *testing.T) {
	now := time.Date(2026, 12, 1, 18, 32, 0, 0, time.UTC)
	c := testCommon(now)
	st := rsa.TokenState{Token: rsa.Token{Serial: "000100001014", Enabled: true, PinSet: true, TokenType: 1,
		Expires: time.Date(2028, 11, 27, 0, 0, 0, 0, time.UTC), LastLogin: now.Add(-time.Hour)},
		EA: rsa.EmergencyAccess{Lost: true, Mode: rsa.EAFixedCode, Expiration: now.Add(14 * 24 * time.Hour)}}
	titles := func(w int) string {
		cols, _ := tokenColumns(w)
		var s []string
		for _, col := range cols {
			s = append(s, col.Title)
		}
		return strings.Join(s, ",")
	}
	for w, want := range map[int]string{
		40:  "Serial,Emergency,EA ends",
		60:  "Serial,Type,State,Emergency,EA ends", // the short type marker: fob or soft is the first question
		80:  "Serial,Type,State,PIN/Next,Emergency,EA ends,Expires",
		100: "Serial,Type,State,PIN/Next,Emergency,EA ends,Expires,Last login", // the whole type name in place of the marker
	} {
		if got := titles(w); got != want {
			t.Errorf("%d columns: %s, want %s", w, got, want)
		}
		p := newTokensPane(ad.User{Login: "asmith"})
		p.states = []rsa.TokenState{st}
		p.resize(c, w, 20)
		v := p.table.View()
		if strings.Contains(v, "…") || !strings.Contains(v, "fixed code") || !strings.Contains(v, "12-15 18:32") {
			t.Errorf("%d columns: a cut or missing cell:\n%s", w, v)
		}
		for _, line := range strings.Split(v, "\n") {
			if ansi.StringWidth(ansi.Strip(line)) > w {
				t.Errorf("%d columns: line %q is wider", w, line)
			}
		}
	}
}

// Auto-refresh reads only while the list is on screen, and keeps ticking
// behind a screen on top, so that back on the list it refreshes again.
func TestAutoRefreshSurvivesAScreenOnTop(t *testing.T) {
	m := testModel()
	p := newTokensPane(ad.User{Login: "jdoe"})
	m.apply(nil, do(push(p)))
	p.auto = true
	reads := func(rs reqs) (ticks, calls int) {
		for _, r := range rs {
			switch r.(type) {
			case cmdReq:
				ticks++
			case callReq:
				calls++
			}
		}
		return
	}
	if ticks, calls := reads(p.update(m.c, autoRefresh{seq: p.autoSeq})); ticks != 1 || calls != 1 {
		t.Fatalf("on screen: %d ticks, %d reads", ticks, calls)
	}
	m.apply(nil, do(push(newDetailPane(rsa.TokenState{}, ad.User{}))))
	if ticks, calls := reads(p.update(m.c, autoRefresh{seq: p.autoSeq})); ticks != 1 || calls != 0 {
		t.Fatalf("behind the detail: %d ticks, %d reads", ticks, calls)
	}
	if ticks, _ := reads(p.update(m.c, autoRefresh{seq: p.autoSeq - 1})); ticks != 0 {
		t.Fatal("a superseded tick ticks on")
	}
}

// The PIN/Next cell says the PIN's state and what AM will ask next: a
// cleared PIN, a new PIN asked for, next-tokencode mode, bad tokencodes
// counted so far (every token's state on the dashboard).
func TestPINNextCell(t *testing.T) {
	c := testCommon(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		tok  rsa.Token
		want string
	}{
		{rsa.Token{PinSet: true}, "set/–"},
		{rsa.Token{PinSet: false, NewPinMode: true}, "no/–"},
		{rsa.Token{PinSet: true, NewPinMode: true}, "new/–"},
		{rsa.Token{PinSet: true, BadCodeCount: 2}, "set/2bad"},
		{rsa.Token{PinSet: true, BadCodeCount: 3, NextTokencodeMode: true}, "set/NEXT"},
	} {
		pin := slices.IndexFunc(tokenCols, func(c tokenCol) bool { return c.Title == "PIN/Next" })
		if got := tokenCells(c, rsa.TokenState{Token: tc.tok})[pin]; got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.tok, got, tc.want)
		}
	}
}
