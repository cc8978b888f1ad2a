package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
)

// A day at the help desk, on the real binary and one rsatui sim: the calls
// in order, each under its ticket and in at most six key groups once the
// person is open — a lost token (emergency access, a fixed code, the
// default 3 days), a forgotten PIN, a token out of sync, a person locked
// out (the diagnosis says it, unlock, then a passcode test that AM answers
// with a question for the next code), a new hire (a token from the pool),
// a broken token (replaced, its successor found by its serial's digits) —
// and the audit holds every change with its ticket.
func TestADayAtTheHelpDeskInTmux(t *testing.T) {
	tt, bin, _, audit := onSim(t, 100, 32)
	codes := func(serial string) (string, string) {
		out, err := exec.Command(bin, "sim", "tokencode", serial, "--users", "20", "--seed", "1").Output()
		m := regexp.MustCompile(`tokencode (\d+), next (\d+)`).FindStringSubmatch(string(out))
		if err != nil || m == nil {
			t.Fatalf("sim tokencode %s: %v %s", serial, err, out)
		}
		return m[1], m[2]
	}
	open := func(login, ticket string) string {
		tt.keys(":ticket "+ticket, "Enter")
		tt.wait("Ticket " + ticket)
		tt.keys("/" + login)
		tt.wait("1 found", "›"+login)
		tt.keys("Enter")
		scr := tt.wait("("+login+")", regexp.MustCompile(`read from AM at|holds \d tokens|has no token in AM`))
		if m := regexp.MustCompile(`›(\d{12})`).FindStringSubmatch(scr); m != nil {
			return m[1]
		}
		return ""
	}

	// 1. a lost token: emergency access with a generated fixed code, 3 days
	open("jdoe", "INC1001")
	tt.keys("e")
	tt.checkCaller()
	tt.wait("Online emergency access for token", "3d")
	tt.keys("Enter")
	tt.wait("Please confirm", "(3 days)", "Ticket: INC1001")
	tt.keys("y")
	tt.wait("Emergency access is on for token", "Shown only now")
	tt.keys("Enter")

	// 2. a forgotten PIN
	open("asmith", "INC1002")
	tt.keys("p")
	tt.wait("Please confirm: clear the PIN", "Ticket: INC1002")
	tt.keys("y")
	tt.wait("Clear the PIN: done for token")
	tt.keys("Enter")

	// 3. out of sync: two consecutive codes read off the token
	serial := open("cmueller", "INC1003")
	cur, next := codes(serial)
	tt.keys("s")
	tt.wait("Resynchronize token " + serial)
	tt.keys(cur, "Tab", next, "Enter")
	tt.wait("Please confirm: resynchronize the token")
	tt.keys("y")
	tt.wait("Resynchronize the token: done for token " + serial)
	tt.keys("Enter")

	// 4. locked out: the diagnosis says so first; unlock; test a passcode
	// (the token is still in next-tokencode mode: AM asks for the next code)
	serial = open("dobrien", "INC1004")
	tt.wait("✗ locked by AM after 3 failed passcodes", "u unlocks")
	tt.keys("u")
	tt.wait("Please confirm: unlock dobrien", "It does not take token "+serial)
	tt.keys("y")
	tt.wait("dobrien is unlocked")
	cur, next = codes(serial)
	tt.keys("t")
	tt.wait("Test dobrien's passcode")
	tt.keys(demo.DemoPIN+cur, "Enter")
	tt.wait("AM asks:")
	tt.keys(next, "Enter")
	tt.wait("dobrien: accepted")
	tt.keys("Escape") // (a key sent right after it would read as alt+key)
	tt.wait("Dan O'Brien (dobrien)")

	// 5. a new hire: a token from the pool, never-used first
	open("fnotoken", "INC1005")
	tt.keys("A")
	scr := tt.wait("enter assigns the selected one to fnotoken.")
	if strings.Contains(scr, "RETIRED") && regexp.MustCompile(`›\d{12} .*RETIRED`).MatchString(scr) {
		t.Fatal("a retired token is offered first")
	}
	tt.keys("Enter")
	tt.wait("Please confirm: assign the token", "Ticket: INC1005")
	tt.keys("y")
	tt.wait("Assign the token: done for token")
	tt.keys("Enter")

	// 6. a broken token: replaced by the fob in hand, found by its digits
	old := open("eolsen", "INC1006")
	tt.keys("R")
	scr = tt.wait("enter makes the selected one " + old + "'s successor.")
	rows := regexp.MustCompile(`(?m)^ ?.?(\d{12}) `).FindAllStringSubmatch(scr, -1)
	fob := rows[len(rows)-1][1] // the last one listed: the one in hand
	tt.keys(fob[len(fob)-4:])
	tt.wait("Serial …" + fob[len(fob)-4:] + ": " + fob)
	tt.keys("Enter")
	tt.wait("Please confirm: replace the token", "1 keeps working")
	tt.keys("y")
	tt.wait("Replace the token: done for token " + fob)
	tt.keys("Enter", "q")
	tt.wait("EXITED 0")

	raw, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ea.set": "INC1001", "token.clear_pin": "INC1002", "token.resync": "INC1003",
		"user.unlock": "INC1004", "auth.test": "INC1004", "token.assign": "INC1005", "token.replace": "INC1006"}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e struct{ Operation, Outcome, Reason string }
		if json.Unmarshal([]byte(l), &e) != nil || e.Outcome == "intent" {
			continue
		}
		if ticket, ok := want[e.Operation]; ok {
			if e.Reason != ticket || e.Outcome != "ok" {
				t.Errorf("%s: outcome %s, ticket %q, want ok, %q", e.Operation, e.Outcome, e.Reason, ticket)
			}
			delete(want, e.Operation)
		}
	}
	if len(want) > 0 {
		t.Fatalf("the audit lacks %v:\n%s", want, raw)
	}
}
