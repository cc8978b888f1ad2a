package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/ui"
)

// crumbs is the breadcrumb line of the frame.
func crumbs(s *session) string {
	return strings.TrimSpace(strings.Split(s.screen(), "\n")[1])
}

// The breadcrumb is drawn from the navigation stack, so it names what is on
// screen: after a change on one token and back, the form for
// the next token names that token; a token opened with :token is not put
// under a person it does not belong to, and esc leaves it for the search.
func TestBreadcrumbFollowsTheScreen(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "asmith", "Alice Smith")
	first, second := world.ds.TokensOf("asmith")[0], world.ds.TokensOf("asmith")[1]
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token "+first)
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm")
	s.Send(key("y"))
	waitScreen(t, s, "Emergency access is on for token "+first)
	if c := crumbs(s); c != "users “asmith” › asmith › "+first+" › result" {
		t.Errorf("result: %q", c)
	}
	s.Send(key("enter"))
	waitScreen(t, s, "Alice Smith (asmith)", screentest.EAOn)
	s.Send(key("j"))
	s.Send(key("e"))
	waitScreen(t, s, "Online emergency access for token "+second)
	if c := crumbs(s); c != "users “asmith” › asmith › "+second+" › emergency access" {
		t.Errorf("form on the second token: %q", c)
	}
	s.Send(key("esc"))
	waitScreen(t, s, "Alice Smith (asmith)")

	jdoes := world.ds.TokensOf("jdoe")[0]
	s.Send(key(":"))
	typeText(s, "token "+jdoes)
	s.Send(key("enter"))
	waitScreen(t, s, "assignedUserId", "jdoe")
	if c := crumbs(s); c != "users “asmith” › "+jdoes {
		t.Errorf(":token of another person's token: %q", c)
	}
	s.Send(key("esc"))
	waitScreen(t, s, "/ asmith", "1 found")
	if strings.Contains(s.screen(), "Alice Smith (asmith)") {
		t.Fatal("esc from jdoe's token went back to asmith")
	}
	// :token of a token on the list that is open goes above that list
	openTokens(t, s, "asmith", "Alice Smith")
	s.Send(key(":"))
	typeText(s, "token "+second)
	s.Send(key("enter"))
	waitScreen(t, s, "serialNumber", "Token "+second+" read from AM at")
	if c := crumbs(s); c != "users “asmith” › asmith › "+second {
		t.Errorf(":token of a listed token: %q", c)
	}
}

// One convention for keys, as in k9s: letters are commands
// unless a text box has the cursor; / puts it in the people search from any
// screen, esc takes it out. So ? and : work on the first key, a login with
// a q in it is typed, not quit, and after going back letters work again.
func TestKeysFollowOneConvention(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	s.Send(key("?"))
	waitScreen(t, s, "Keys on this screen", "search people")
	s.Send(key("x")) // closes it
	waitScreen(t, s, "people. enter opens their tokens.")
	s.Send(key(":"))
	typeText(s, "user q")
	s.Send(key("enter"))
	waitScreen(t, s, "/ q", "2 people. enter opens their tokens.", "esc leave the box") // typed in the box, not quit
	typeText(s, "uinn")
	waitScreen(t, s, "/ quinn", "1 person. enter opens their tokens.")
	s.Send(key("esc"))
	waitScreen(t, s, "? help")
	openTokens(t, s, "jdoe", "John Doe")
	for _, back := range []string{"esc", "h", "left", "backspace"} {
		s.Send(key(back))
		waitScreen(t, s, "/ jdoe", "1 found")
		s.Send(key("enter"))
		waitScreen(t, s, "John Doe (jdoe)")
	}
	s.Send(key("/")) // from the token list: a new people search, typing
	typeText(s, "asm")
	waitScreen(t, s, "/ asm", "1 found", "Alice Smith")
	if strings.Contains(s.screen(), "John Doe (jdoe)") {
		t.Fatal("/ did not go to the people search")
	}
}

// Times are shown in the console's zone (setting timezone, TZ); the
// confirm gives UTC too, and "never" says what it does.
func TestTimesInTheConsolesZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	world := newWorld(t)
	m := ui.New(world.dir, world.ops, ui.Info{Server: "am", IdentitySource: demo.IdentitySourceName, Admin: demo.AdminUser},
		ui.Options{NoColor: true, Now: func() time.Time { return now }, Location: berlin})
	s := start(t, m, 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("e"))
	// now is 09:30 UTC: 10:30 in Berlin; the default lifetime is 3 days,
	// the latest allowed end 14 days less the margin
	waitScreen(t, s, "→ until 2026-12-01 10:30 CET", "2026-12-12 10:25 CET); never sets none.")
	s.Send(key("enter"))
	waitScreen(t, s, "Tue 1 Dec 2026 10:30 CET", "In UTC: until 2026-12-01 09:30 UTC.")
	s.Send(key("n"))
	waitScreen(t, s, "Cancelled: nothing was sent to AM.")
	s.Send(key("up"))
	s.Send(key("up")) // from Kind, round by the last field
	waitScreen(t, s, "› Lifetime")
	for range 3 {
		s.Send(key("backspace"))
	}
	typeText(s, "never")
	waitScreen(t, s, "→ no expiration: the codes work until emergency access is ended (x)")
}

// A person found by their token's serial from the people search:
// AM names the owner, the directory shows them, enter opens their tokens;
// a token in the pool and an unknown serial say so.
func TestFindAPersonByTokenSerial(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	serial := world.ds.TokensOf("jdoe")[0]
	search(s, serial)
	waitScreen(t, s, "Token "+serial+" belongs to jdoe. enter opens their tokens.", "1 found")
	s.Send(key("enter"))
	waitScreen(t, s, "John Doe (jdoe)")
	search(s, "999999999999")
	waitScreen(t, s, "No token 999999999999 in AM")
	pool := world.ds.Tokens[len(world.ds.Tokens)-1].Serial
	s.Send(key("esc")) // out of the box: / is a key again
	search(s, pool)
	waitScreen(t, s, "Token "+pool+" is in the token pool: it is assigned to nobody.")
}

// A change's result reaches its screen even when the help was opened over
// it while the change was being sent; the help closes for it.
func TestWriteResultUnderTheHelp(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	toConfirm(t, s, "jdoe", "John Doe")
	world.sim.SetLatency(300 * time.Millisecond)
	s.Send(key("y"))
	waitScreen(t, s, "a change, not cancellable")
	s.Send(key("?"))
	waitScreen(t, s, "Emergency access is on for token", "Temporary fixed tokencode")
	if c := crumbs(s); strings.Contains(c, "help") {
		t.Fatalf("the result opened over the help: %q", c)
	}
}
