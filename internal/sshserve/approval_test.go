package sshserve_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/sshserve"
)

// ctrlR opens the requests (the default key of action requests).
const ctrlR = "\x12"

// tenDaysNeedsTwo: a site whose [approve] has emergency access longer than
// 7 days approved by a second admin; the form starts at 10 days.
func tenDaysNeedsTwo(expires time.Duration) func(*sshserve.Config) {
	return func(cfg *sshserve.Config) {
		cfg.Ops.Policy.Approve.EALongerThan = 7 * 24 * time.Hour
		cfg.Ops.Policy.Approve.Expires = expires
		cfg.Console.EALifetime = "10d"
	}
}

// asked is anna's session with a 10-day emergency access for jdoe
// waiting as request 1, and ben's (an admin) watching: nothing in AM yet.
func asked(t *testing.T, f *fixture) (a, b *console, serial string) {
	t.Helper()
	serial = f.st.DS.TokensOf("jdoe")[0]
	b = f.console(t, f.admin, "ben", 120, 40)
	b.wait(screentest.PeopleFound)
	a = f.console(t, f.helpdesk, "anna", 120, 40)
	a.toConfirm("jdoe", "John Doe")
	a.keys("y")
	a.wait("Waiting for a second admin — request 1", "It needs another admin's approval: it lasts 10 days, longer than the 7 days")
	if st, _ := f.st.Sim.Token(serial); st.Lost || st.TFT != "" || f.st.Sim.Stats().Commands["GenerateEmergencyAccessCodeCommand"] != 0 {
		t.Fatalf("AM changed or generated a code before the approval: %+v", st)
	}
	return a, b, serial
}

// Four eyes over two SSH sessions of one rsatui serve: admin A asks for
// ten days of emergency access and the change waits, nothing sent; A
// (another key, the same SSH user) cannot approve it, nor can a viewer;
// admin B sees the count in the header, approves it from their requests,
// and the code shows on A's screen — only there. The audit names both.
func TestSecondAdminApprovesInAnotherSession(t *testing.T) {
	f := start(t, tenDaysNeedsTwo(30*time.Minute))
	a, b, serial := asked(t, f)
	b.wait("1 REQUEST ctrl+r")
	a.keys("x") // anything but esc: the request stays, the screen says so
	a.wait("esc withdraws it")

	// A cannot approve their own request, from another session with
	// another key; a viewer cannot either
	a2 := f.console(t, f.admin, "anna", 120, 40)
	a2.wait(screentest.PeopleFound)
	if strings.Contains(a2.screen(), "REQUEST") {
		t.Fatalf("the requester's own request is counted for them:\n%s", a2.screen())
	}
	a2.keys(ctrlR)
	a2.wait("Request 1 · anna (yours)", "Putting token "+serial+" into emergency access — for jdoe")
	a2.keys("a")
	a2.wait("Request 1 is your own: another admin decides it")
	v := f.console(t, f.viewer, "vera", 120, 40)
	v.wait(screentest.PeopleFound)
	v.keys(ctrlR)
	v.wait("Request 1 · anna")
	v.keys("a")
	v.wait("Approve request 1?")
	v.keys("y")
	v.wait("Not approved: your rsatui role (viewer) may not emergency-access")

	b.keys(ctrlR)
	b.wait("Requests for a second admin: 1 waiting", "Why it waits: it lasts 10 days", "Checks of the caller done: callback,ticket=INC4711")
	b.keys("a")
	b.wait("Approve request 1?")
	before := f.st.Sim.Stats().Commands
	b.keys("y")
	b.wait("Approved request 1: it runs now in anna's session")

	a.wait("Emergency access is on for token " + serial)
	st, _ := f.st.Sim.Token(serial)
	if !st.Lost || st.TFT == "" || time.Until(st.EAExpiration) < 9*24*time.Hour {
		t.Fatalf("AM after the approval: %+v", st)
	}
	after := f.st.Sim.Stats().Commands
	sent := map[string]int64{}
	for cmd, n := range after {
		if n != before[cmd] {
			sent[cmd] = n - before[cmd]
		}
	}
	t.Logf("AM commands of the approved run: %v", sent)
	if sent["GenerateEmergencyAccessCodeCommand"] != 1 || sent["UpdateTokenEmergencyAccessCommand"] != 1 {
		t.Fatalf("the approved run is not one change: %v", sent)
	}
	if !strings.Contains(a.screen(), st.TFT) {
		t.Fatalf("the code is not on the requester's screen:\n%s", a.screen())
	}
	for name, other := range map[string]*console{"the approver": b, "the requester's other session": a2, "the viewer": v} {
		if strings.Contains(other.out.String(), st.TFT) {
			t.Fatalf("the code reached %s's terminal", name)
		}
	}
	b.wait("None waits")

	entries, _ := audit.Tail(f.auditPath, 0)
	var ops []string
	var set *audit.Entry
	for i, e := range entries {
		ops = append(ops, e.Operation+" "+e.Outcome)
		if e.Operation == "ea.set" && e.Outcome == audit.OK {
			set = &entries[i]
		}
	}
	if set == nil || !strings.HasPrefix(set.SSHUser, "anna") || !strings.HasPrefix(set.Params["approved_by"], "ben (key SHA256:") ||
		set.Params["request"] != "1" || set.Params["verified"] != "callback,ticket=INC4711" {
		t.Fatalf("the change's audit line does not name both admins: %+v\nall: %s", set, ops)
	}
	joined := strings.Join(ops, "; ")
	for _, want := range []string{"ea.set refused", "approval.ask ok", "approval.approve ok", "ea.set ok"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the audit lacks %q: %s", want, joined)
		}
	}
}

// A rejected request and an expired one change nothing in AM; the
// requester reads why, and a request withdrawn by leaving is gone from
// the others' screens.
func TestRejectedOrExpiredChangesNothing(t *testing.T) {
	f := start(t, tenDaysNeedsTwo(30*time.Minute))
	a, b, serial := asked(t, f)
	b.wait("1 REQUEST")
	b.keys(ctrlR)
	b.wait("Request 1 · anna")
	b.keys("x")
	b.wait("Why reject request 1?")
	b.keys("\r")
	b.wait("Not rejected: a rejection needs a reason")
	b.keys("could not reach the manager\r")
	b.wait("Rejected request 1")
	a.wait("Nothing was sent to AM: request 1 was rejected by ben (could not reach the manager).", "Not sent to AM: needs a second admin's approval")
	if st, _ := f.st.Sim.Token(serial); st.Lost || st.TFT != "" {
		t.Fatalf("a rejected request changed AM: %+v", st)
	}

	// asked again and withdrawn (esc): gone from the approver's screen
	a.wait("Online emergency access for token")
	a.keys("\r")
	a.wait("Please confirm")
	a.keys("y")
	a.wait("Waiting for a second admin — request 2")
	b.wait("Request 2 · anna")
	a.keys("\x1b")
	a.wait("Nothing was sent to AM: request 2 withdrawn.")
	b.wait("None waits")

	g := start(t, tenDaysNeedsTwo(300*time.Millisecond))
	serial = g.st.DS.TokensOf("jdoe")[0]
	a = g.console(t, g.helpdesk, "anna", 120, 40)
	a.toConfirm("jdoe", "John Doe")
	a.keys("y")
	a.wait("Nothing was sent to AM: request 1 expired before a second admin decided it.")
	if st, _ := g.st.Sim.Token(serial); st.Lost || st.TFT != "" {
		t.Fatalf("an expired request changed AM: %+v", st)
	}
	entries, _ := audit.Tail(g.auditPath, 0)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Operation+" "+e.Outcome)
	}
	if joined := strings.Join(ops, "; "); !strings.Contains(joined, "approval.expire ok") || strings.Contains(joined, "ea.set ok") {
		t.Fatalf("the audit of an expired request: %s", joined)
	}
}

// Waiting for a second admin is not idleness: the requester's session
// stays open past the idle timeout while the request waits — a session
// that connected after their last key press, and waits for nothing, is
// closed first — and once the request is withdrawn the idle clock runs
// again.
func TestWaitingForApprovalIsNotIdle(t *testing.T) {
	f := start(t, tenDaysNeedsTwo(30*time.Minute), func(c *sshserve.Config) { c.IdleTimeout = 1500 * time.Millisecond })
	a, _, _ := asked(t, f)
	c := f.console(t, f.helpdesk, "carl", 80, 24) // idle from now on: later than anna's last key
	c.wait(screentest.PeopleFound)
	if out, ok := c.ended(10 * time.Second); !ok || !strings.Contains(out, "session closed after 1.5s without a key press") {
		t.Fatalf("carl's idle session: ended=%v, last output %q", ok, tail(out))
	}
	if out, ok := a.ended(0); ok {
		t.Fatalf("the session waiting for a second admin was closed as idle: %q", tail(out))
	}
	a.wait("Waiting for a second admin — request 1")
	a.keys("\x1b")
	a.wait("request 1 withdrawn")
	if out, ok := a.ended(10 * time.Second); !ok || !strings.Contains(out, "session closed after 1.5s without a key press") {
		t.Fatalf("anna's session once nothing waits: ended=%v, last output %q", ok, tail(out))
	}
}
