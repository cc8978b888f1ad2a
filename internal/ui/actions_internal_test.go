package ui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// grantAM is an AM port that answers only who may do what: the action
// table's checks need nothing else.
type grantAM struct {
	AM
	denied map[rsa.Permission]bool
}

// CallerPolicy: the site's checks of the caller are the default ones.
func (g grantAM) CallerPolicy() verify.Policy { return verify.Default() }

func (g grantAM) Permits(p rsa.Permission) error {
	if g.denied[p] {
		return errors.New("your role may not " + string(p))
	}
	return nil
}

// Adding an action is one record: a fake action registered in the table
// is in the key map and [keys], the README's table, the token list's key
// bar and help, and the one permission check, and its key opens it.
func TestOneRecordMakesAnAction(t *testing.T) {
	opened := 0
	fake := actionDef{name: "fake-action", keys: []string{"z"}, desc: "do the fake thing", on: onTokens,
		perms: need(rsa.PermAssign),
		open:  func(*common, target) reqs { opened++; return do(say("the fake thing is open")) }}
	saved := actions
	actions = append(append([]actionDef(nil), saved...), fake)
	t.Cleanup(func() { actions = saved })

	// the key map and [keys]
	if b, ok := DefaultKeys()["fake-action"]; !ok || b.Keys()[0] != "z" {
		t.Fatalf("not in the default keys: %v", b.Keys())
	}
	if km, err := WithKeys(map[string][]string{"fake-action": {"Z"}}); err != nil || km["fake-action"].Keys()[0] != "Z" {
		t.Fatalf("[keys] fake-action = [\"Z\"]: %v", err)
	}
	if _, err := WithKeys(map[string][]string{"fake-action": {"u"}}); err == nil ||
		!strings.Contains(err.Error(), `"u" is bound to both fake-action and unlock, which both work on the token list screen`) {
		t.Fatalf("a clash with unlock: %v", err)
	}
	// the README's table
	if !strings.Contains(KeyTable(DefaultKeys()), "| `fake-action` | `z` | do the fake thing | token list |") {
		t.Fatalf("not in the key table:\n%s", KeyTable(DefaultKeys()))
	}

	console := func(denied ...rsa.Permission) (Model, *tokensPane) {
		g := grantAM{denied: map[rsa.Permission]bool{}}
		for _, p := range denied {
			g.denied[p] = true
		}
		m := New(nil, g, Info{}, Options{NoColor: true})
		p := newTokensPane(ad.User{Login: "jdoe"})
		p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001007", Enabled: true}}}
		m.apply(nil, do(push(p)))
		return m, p
	}
	// offered, in the bar and the help, when the role may
	m, p := console()
	if bar := barOf(m, p); !strings.Contains(bar, "z do the fake thing") {
		t.Fatalf("the bar does not offer it: %s", bar)
	}
	if help := ansi.Strip(helpText(m.c.st, m.keyGroups())); !strings.Contains(help, "do the fake thing") {
		t.Fatalf("the help does not list it:\n%s", help)
	}
	rs, handled := p.key(m.c, tea.KeyPressMsg{Code: 'z', Text: "z"})
	if !handled || opened != 1 || len(rs) != 1 || rs[0].(statusReq).text != "the fake thing is open" {
		t.Fatalf("z: handled %v, opened %d, %#v", handled, opened, rs)
	}
	// refused once, by the table's check, when the role may not
	m, p = console(rsa.PermAssign)
	if bar := barOf(m, p); strings.Contains(bar, "fake thing") {
		t.Fatalf("offered to a role that may not: %s", bar)
	}
	rs, handled = p.key(m.c, tea.KeyPressMsg{Code: 'z', Text: "z"})
	if !handled || opened != 1 || len(rs) != 1 || !rs[0].(statusReq).isErr ||
		rs[0].(statusReq).text != "Not allowed: your role may not "+string(rsa.PermAssign)+"." {
		t.Fatalf("z without the permission: handled %v, opened %d, %#v", handled, opened, rs)
	}
}

// An action that works on a token says so when none is selected, and one
// that cannot be used in the token's state says why instead of opening.
func TestActionsSayWhyNot(t *testing.T) {
	m := New(nil, grantAM{}, Info{}, Options{NoColor: true})
	p := newTokensPane(ad.User{Login: "fnotoken"})
	m.apply(nil, do(push(p)))
	rs, _ := p.key(m.c, tea.KeyPressMsg{Code: 'p', Text: "p"})
	if len(rs) != 1 || rs[0].(statusReq).text != "fnotoken has no token to act on." {
		t.Fatalf("p with no token: %#v", rs)
	}
	p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001007", Enabled: true}}}
	for k, want := range map[rune]string{
		'+': "Emergency access is not on for token 000100001007: nothing to extend (e gives it).",
		'o': "Token 000100001007 has no set of one-time codes on (off): e gives one.",
		'u': "fnotoken is not locked by AM (as last read; r reads again).",
	} {
		rs, _ := p.key(m.c, tea.KeyPressMsg{Code: k, Text: string(k)})
		if len(rs) != 1 || rs[0].(statusReq).text != want {
			t.Errorf("%c: %#v, want %q", k, rs, want)
		}
		if bar := barOf(m, p); strings.Contains(bar, string(k)+" ") && strings.Contains(bar, actionOf(keyAction(k)).desc) {
			t.Errorf("%c is offered although it cannot be used: %s", k, bar)
		}
	}
}

func keyAction(k rune) action.Name {
	for _, a := range actions {
		for _, ks := range a.keys {
			if ks == string(k) && a.on&onTokens != 0 {
				return a.name
			}
		}
	}
	return action.None
}

// P on a token whose PIN is cleared says there is nothing to do, before
// any confirm (it said "the PIN stays", then AM's rule refused).
func TestRequireNewPINOnAClearedPIN(t *testing.T) {
	m := New(nil, grantAM{}, Info{}, Options{NoColor: true})
	p := newTokensPane(ad.User{Login: "jdoe"})
	p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001007", GUID: "g", Enabled: true, PinSet: false, NewPinMode: true}}}
	m.apply(nil, do(push(p)))
	rs, _ := p.key(m.c, tea.KeyPressMsg{Code: 'P', Text: "P"})
	if len(rs) != 1 || rs[0].(statusReq).text != "Token 000100001007's PIN is cleared: AM asks jdoe for a new one at the next login." {
		t.Fatalf("P: %#v", rs)
	}
	if bar := barOf(m, p); strings.Contains(bar, "require a new PIN") {
		t.Fatalf("offered: %s", bar)
	}
}

// The unlock confirm says what unlock leaves as it is: the token's
// next-tokencode mode and AD's lockout (it said "the count goes", and the
// person was then asked for a second code, and AD still refused them).
func TestUnlockSaysWhatItDoesNotClear(t *testing.T) {
	m := New(nil, grantAM{}, Info{}, Options{NoColor: true})
	p := newTokensPane(ad.User{Login: "dobrien", Locked: true})
	p.principal = rsa.Principal{GUID: "p", Locked: true}
	p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001042", GUID: "g", Enabled: true, PinSet: true, NextTokencodeMode: true}}}
	m.apply(nil, do(push(p)))
	rs, _ := p.key(m.c, tea.KeyPressMsg{Code: 'u', Text: "u"})
	if len(rs) == 0 {
		t.Fatal("u opened nothing")
	}
	m.apply(p, rs)
	words := ansi.Strip(m.top().view(m.c, 200, 30))
	for _, want := range []string{"It does not take token 000100001042 out of next-tokencode mode", "n clears it",
		"nor unlock dobrien's AD account"} {
		if !strings.Contains(strings.Join(strings.Fields(words), " "), want) {
			t.Errorf("missing %q in:\n%s", want, words)
		}
	}
}
