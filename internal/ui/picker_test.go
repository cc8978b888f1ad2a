package ui_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/screentest"
)

// A refused assignment or replacement is said on screen, before the
// picker when the rule already refuses it (the pool opened, y was
// pressed, and the reason was only in the audit).
func TestPickerRefusalsAreSaid(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	waitScreen(t, s, "jdoe: 1 token, read from AM")
	s.Send(key("A"))
	waitScreen(t, s, "jdoe already holds token "+w.ds.TokensOf("jdoe")[0]+"; one token a person is the rule (R replaces a lost or broken one).")

	// a token being replaced: the second R says so, no picker
	s.Send(key("R"))
	waitScreen(t, s, "enter makes the selected one "+w.ds.TokensOf("jdoe")[0]+"'s successor.")
	s.Send(key("enter"))
	waitScreen(t, s, "Please confirm: replace the token")
	s.Send(key("y"))
	waitScreen(t, s, "Replace the token: done for token")
	s.Send(key("enter"))
	waitScreen(t, s, "jdoe holds 2 tokens")
	s.Send(key("g")) // the old token, the first row
	s.Send(key("R"))
	waitScreen(t, s, regexp.MustCompile(`No replacement: token `+w.ds.TokensOf("jdoe")[0]+` is already being replaced by \d{12}`))
}

// A refusal that comes after the pick (another admin gave the person a
// token while the pool was open) stays on screen through the pool's
// re-read instead of giving way to "N unassigned tokens".
func TestPoolRefusalStaysOnScreen(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "fnotoken", "Fatima Notoken")
	s.Send(key("A"))
	waitScreen(t, s, "enter assigns the selected one to fnotoken.")
	pool, err := w.ops.Pool(context.Background(), rsa.PoolQuery{})
	if err != nil || len(pool) < 2 {
		t.Fatalf("pool %d %v", len(pool), err)
	}
	// another admin, meanwhile: the last token of the pool to fnotoken
	if _, err := w.ops.Assign(context.Background(), pool[len(pool)-1].Serial, "fnotoken", false); err != nil {
		t.Fatal(err)
	}
	s.Send(key("enter")) // the first token
	waitScreen(t, s, "Please confirm: assign the token")
	s.Send(key("y"))
	waitScreen(t, s, "Not done: ", "fnotoken already holds token "+pool[len(pool)-1].Serial)
	waitScreen(t, s, regexp.MustCompile(`›\d{12}`)) // the pool read again
	if !regexp.MustCompile(`fnotoken already holds token`).MatchString(s.screen()) {
		t.Fatalf("the refusal gave way:\n%s", s.screen())
	}
}

// :token of a serial AM does not know says so and opens no screen (it
// opened a made-up record, actions offered, under the person before).
func TestTokenCommandOfAnUnknownSerial(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key(":"))
	typeText(s, "token 000100002200")
	s.Send(key("enter"))
	waitScreen(t, s, "AM has no token 000100002200: check the serial")
	if strings.Contains(s.screen(), "standard card") || !strings.Contains(s.screen(), "John Doe (jdoe)") {
		t.Fatalf("a screen opened for a token AM does not have:\n%s", s.screen())
	}
	s.Send(key(":"))
	typeText(s, "token "+w.ds.TokensOf("asmith")[0])
	s.Send(key("enter"))
	waitScreen(t, s, "› "+w.ds.TokensOf("asmith")[0], "assignedUserId")
	if strings.Contains(s.screen(), "jdoe ›") {
		t.Fatalf("the breadcrumb names the person before:\n%s", s.screen())
	}
}

// At 80×24 every finding keeps its fix key: a line too long is cut in its
// words, not its key (dobrien's "— n clears it" was cut off with "…").
func TestDiagnosisKeepsItsKeysAt80x24(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 80, 24)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "dobrien", "Dan O'Brien")
	waitScreen(t, s, "— u unlocks", "— n clears it")
}

// :ticket sets the ticket every change is audited with; each confirm says
// it (or that there is none, and how to give one).
func TestTicketOnTheConfirm(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 110, 32)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("p"))
	waitScreen(t, s, "Please confirm: clear the PIN", "No ticket: :ticket INC123 records one with the change.")
	s.Send(key("n"))
	s.Send(key(":"))
	typeText(s, "ticket INC0042 forgot PIN")
	s.Send(key("enter"))
	waitScreen(t, s, "Ticket INC0042 forgot PIN: kept in the audit of every change from now on")
	s.Send(key("p"))
	waitScreen(t, s, "Please confirm: clear the PIN", "Ticket: INC0042 forgot PIN (kept in the audit).")
}

// In the pool, the digits of a serial (the fob in the person's hand) move
// the cursor to it, and t shows one type of token at a time.
func TestPoolJumpAndTypeFilter(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 40)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "fnotoken", "Fatima Notoken")
	s.Send(key("A"))
	waitScreen(t, s, "enter assigns the selected one to fnotoken.")
	pool, err := w.ops.Pool(context.Background(), rsa.PoolQuery{})
	if err != nil || len(pool) < 3 {
		t.Fatalf("pool %d %v", len(pool), err)
	}
	rsa.PoolOrder(pool)
	want := pool[2].Serial
	typeText(s, want[len(want)-4:])
	waitScreen(t, s, "Serial …"+want[len(want)-4:]+": "+want, "›"+want)
	s.Send(key("t"))
	waitScreen(t, s, regexp.MustCompile(`Only key fob: \d+ of \d+ \(t again: the next type\)\.`))
	s.Send(key("9"))
	s.Send(key("9"))
	s.Send(key("9"))
	s.Send(key("9"))
	s.Send(key("9"))
	waitScreen(t, s, "No token of the pool shown has …99999 in its serial")
}

// The people list says whose lock it shows: the directory's (dobrien's
// "locked" read as AM's lockout).
func TestPeopleListSaysItIsAD(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	search(s, "dobrien")
	waitScreen(t, s, "1 found", "AD locked")
	s.Send(key("esc")) // out of the box: / is then a command again
	search(s, "bdisabled")
	waitScreen(t, s, "1 found", "AD disabled")
}

// w on a person's screen shows every record AM has of the week, scrolled;
// F keeps the refusals only (the dashboard shows the newest that fit).
func TestWhatAMSawEveryRecord(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "dobrien", "Dan O'Brien")
	waitScreen(t, s, "What AM saw")
	s.Send(key("w"))
	waitScreen(t, s, regexp.MustCompile(`What AM saw of dobrien: \d+ records in 7 days`), "Success")
	s.Send(key("F"))
	waitScreen(t, s, regexp.MustCompile(`What AM refused of dobrien: [1-9]\d* of \d+ records`))
	if strings.Contains(s.screen(), " Success ") {
		t.Fatalf("a success among the refusals:\n%s", s.screen())
	}
}

// :ea and :next list the people whose tokens are in that state, across
// everybody, from AM's token search (the people list is the directory's:
// it showed neither); enter opens the person.
func TestPeopleInEmergencyAccessAndNextMode(t *testing.T) {
	w := newWorld(t)
	serial := w.ds.TokensOf("jdoe")[0]
	if _, err := w.ops.SetEmergencyAccess(context.Background(), rsa.EARequest{Serial: serial, Mode: rsa.EAFixedCode,
		Expires: now.Add(48 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}); err != nil {
		t.Fatal(err)
	}
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	s.Send(key(":"))
	typeText(s, "ea")
	s.Send(key("enter"))
	waitScreen(t, s, "People in emergency access", "1 token in emergency access. enter opens the person.", serial)
	s.Send(key("enter"))
	waitScreen(t, s, "John Doe (jdoe)", screentest.EAOn)
	s.Send(key(":"))
	typeText(s, "next")
	s.Send(key("enter"))
	waitScreen(t, s, "People in next-tokencode mode", w.ds.TokensOf("dobrien")[0], "dobrien")
}

// :locked lists the people AM locked out in the last day who are locked
// still (from AM's activity: its principal search takes a name, not a
// lockout state); once unlocked, a person is no longer on it.
func TestPeopleLockedByAM(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	s.Send(key(":"))
	typeText(s, "locked")
	s.Send(key("enter"))
	waitScreen(t, s, "People locked out by AM", "1 person locked out by AM", "dobrien")
	if _, err := w.ops.Unlock(context.Background(), "dobrien"); err != nil {
		t.Fatal(err)
	}
	s.Send(key("r"))
	waitScreen(t, s, "0 people locked out by AM", "Nobody.")
}
