package ui_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/verify"
)

// Under the default policy, emergency access starts with the checks of
// the caller: the number to call back as the directory holds it, the
// ticket; enter refuses until both are done, then the form opens, and
// the change's audit line keeps the checks. An employee ID (a site's
// policy for a PIN clear) is compared with what the caller says without
// being shown.
func TestCallerChecksBeforeACode(t *testing.T) {
	w := newWorld(t)
	def := verify.Default()
	w.ops.Policy = &def
	w.ops.Privileged = def.PrivilegedBy(w.dir.Lookup)
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.ops.Audit = log
	tm := start(t, w.model(false), 80, 24)
	openTokens(t, tm, "jdoe", "John Doe")
	tm.Send(key("e"))
	waitScreen(t, tm, "Who is calling?", "[ ] Call back", "mobile +1 555 200 4321", "desk   +1 555 100 1234", "[ ] Ticket")
	tm.Send(key("esc"))
	waitScreen(t, tm, "Nothing sent: the checks of the caller were not finished.")
	tm.Send(key("e"))
	waitScreen(t, tm, "Who is calling?", "[ ] Call back")
	tm.Send(key("enter"))
	waitScreen(t, tm, "Still to do before emergency-access: Call back, Ticket.")
	tm.Send(key(" "))
	waitScreen(t, tm, "[x] Call back")
	tm.Send(key("?")) // a box to tick takes the console's keys
	waitScreen(t, tm, "Checks of the caller")
	tm.Send(key("esc"))
	waitScreen(t, tm, "[x] Call back")
	tm.Send(key("down"))
	typeText(tm, "INC 77")
	tm.Send(key("enter"))
	waitScreen(t, tm, "Still to do before emergency-access: Ticket.")
	for range 3 {
		tm.Send(key("backspace"))
	}
	typeText(tm, "77")
	waitScreen(t, tm, "[x] Ticket")
	tm.Send(key("enter"))
	waitScreen(t, tm, "Online emergency access for token")
	tm.Send(key("enter"))
	waitScreen(t, tm, "Please confirm", "Ticket: INC77")
	tm.Send(key("y"))
	waitScreen(t, tm, "Emergency access is on for token")
	entries, _ := audit.Tail(log.Path(), 0)
	last := entries[len(entries)-1]
	if last.Operation != "ea.set" || last.Outcome != audit.OK || last.Params["verified"] != "callback,ticket=INC77" || last.Reason != "INC77" {
		t.Fatalf("the audit line: %+v", last)
	}
	tm.Send(key("enter"))
	// the same caller, within the call: a second code needs no second round of checks
	tm.Send(key("e"))
	waitScreen(t, tm, "Online emergency access for token")
	tm.Send(key("esc"))

	// a site's policy: the employee ID for a PIN clear
	var c verify.Config
	c.Verify.Checks = map[string][]string{"clear-pin": {"employee-id"}}
	p, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	*w.ops.Policy = p // the console's operations share the policy (Ops.For)
	tm.Send(key("p"))
	waitScreen(t, tm, "[ ] Employee ID", "••••••29  says:")
	typeText(tm, "E-104728")
	waitScreen(t, tm, "no match")
	tm.Send(key("enter"))
	waitScreen(t, tm, "Still to do before clear-pin: Employee ID.")
	tm.Send(key("backspace"))
	typeText(tm, "9")
	waitScreen(t, tm, "[x] Employee ID", " match")
	tm.frames.mu.Lock()
	frame := tm.frames.last
	tm.frames.mu.Unlock()
	if strings.Contains(strings.ReplaceAll(frame, "E-104729", ""), "104729") {
		t.Fatalf("the directory's ID is on screen: %s", frame)
	}
	tm.Send(key("enter"))
	waitScreen(t, tm, "Clear the PIN")
}
