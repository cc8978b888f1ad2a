package ui_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/ui"
	"github.com/rsatui/rsatui/internal/verify"
)

// admin is a console of one SSH user on the world, on a shared board.
func (w *world) admin(name string, g rsa.Grant, board *approval.Board) ui.Model {
	return w.adminAt(name, g, board, func() time.Time { return now })
}

// adminAt is admin with a clock of the test's.
func (w *world) adminAt(name string, g rsa.Grant, board *approval.Board, clock func() time.Time) ui.Model {
	a := rsa.Actor{SSHUser: name + " from 10.0.0.1", KeyFP: "SHA256:" + name}
	return ui.New(w.dir, w.ops.For(a, g), ui.Info{Server: "am.corp.example:7002", IdentitySource: demo.IdentitySourceName,
		Admin: demo.AdminUser, Role: string(g.Role), User: name}, ui.Options{NoColor: true, Now: clock, PlanDir: w.plans, Approvals: board})
}

var ctrlR = tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}

// A plan's run the site has a second admin approve ([approve]
// batch-apply): y asks, the plan waits with nothing sent; a rejection
// ends it (not run, the reason on screen); planned again, another admin's
// approval runs it in the requester's console, where each row's outcome
// shows. A request cannot be decided twice.
func TestPlanRunWaitsForASecondAdmin(t *testing.T) {
	world := newWorld(t)
	world.ops.Policy.Approve.Actions = []action.Name{verify.BatchApply}
	board := approval.New(time.Hour, func() time.Time { return now }, nil)
	admin, _ := rsa.GrantOf(rsa.RoleAdmin, "")
	anna := start(t, world.admin("anna", admin, board), 80, 24)
	ben := start(t, world.admin("ben", admin, board), 80, 24)
	waitScreen(t, ben, "people. enter opens their tokens.")

	plan := func() {
		anna.Send(key(":"))
		typeText(anna, "report leavers")
		anna.Send(key("enter"))
		waitScreen(t, anna, "Tokens of people who left", "3 tokens, 0 selected")
		anna.Send(key("*"))
		waitScreen(t, anna, "3 tokens, 3 selected")
		anna.Send(key("d"))
		waitScreen(t, anna, "Plan: disable for 3 tokens", "nothing is sent before y")
		anna.Send(key("y"))
	}
	plan()
	waitScreen(t, anna, "Waiting for a second admin — request 1", "the site's policy has every batch-apply", "(in about 60 minutes)",
		"esc withdraw the request · ? help · q quit")
	snap(t, anna, 80, 24, "waiting")
	waitScreen(t, ben, "1 REQUEST ctrl+r")
	ben.Send(ctrlR)
	waitScreen(t, ben, "Request 1 · anna", "Running the plan: 1 change", regexp.MustCompile(`· Disable token \d{12} of \w+\.`)) // its rows, not a count
	snap(t, ben, 80, 24, "requests")
	ben.Send(key("x"))
	typeText(ben, "not this week")
	ben.Send(key("enter"))
	waitScreen(t, ben, "Rejected request 1: anna sees your reason")
	waitScreen(t, anna, "Nothing was sent to AM: request 1 was rejected by ben (not this week).", "not run    Disable token")
	disabled := func() int {
		n := 0
		for _, tk := range world.ds.Tokens {
			if st, _ := world.sim.Token(tk.Serial); tk.Enabled && !st.Enabled {
				n++
			}
		}
		return n
	}
	if n := disabled(); n != 0 {
		t.Fatalf("a rejected plan disabled %d tokens", n)
	}

	anna.Send(key("esc"))
	plan()
	waitScreen(t, anna, "Waiting for a second admin — request 2")
	waitScreen(t, ben, "Request 2 · anna")
	ben.Send(key("a"))
	waitScreen(t, ben, "Approve request 2?")
	ben.Send(key("y"))
	waitScreen(t, anna, "Done: 1 ok, 0 refused, 0 failed, 0 unknown; each in the audit.")
	if n := disabled(); n != 1 {
		t.Fatalf("the approved plan disabled %d tokens, want 1", n)
	}
	if _, err := board.Approve("2", rsa.Approver{Actor: rsa.Actor{SSHUser: "carl"}, Grant: admin}); err == nil || !strings.Contains(err.Error(), "approved by ben already") {
		t.Fatalf("decided twice: %v", err)
	}
	waitScreen(t, ben, "None waits")
}

// A long plan's changes are all there for the approver to read: they
// scroll with the page keys (up and down still choose the request), and
// the question asked stays in sight below them.
func TestApproverReadsEveryChangeOfALongPlan(t *testing.T) {
	world := newWorld(t)
	board := approval.New(time.Hour, func() time.Time { return now }, nil)
	admin, _ := rsa.GrantOf(rsa.RoleAdmin, "")
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("Disable token %012d of person%02d.", 100001000+i, i))
	}
	anna := rsa.Actor{SSHUser: "anna from 10.0.0.2", KeyFP: "SHA256:anna"}
	if _, err := board.Ask(t.Context(), approval.Request{By: anna, Change: rsa.Change{Action: verify.BatchApply},
		What: "Running the plan: 40 changes", Lines: lines, Why: "the site's policy has every batch-apply approved by a second admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := board.Ask(t.Context(), approval.Request{By: anna, Change: rsa.Change{Action: verify.BatchApply},
		What: "Running the plan: 2 changes", Lines: lines[:2], Why: "policy"}); err != nil {
		t.Fatal(err)
	}
	ben := start(t, world.admin("ben", admin, board), 80, 24)
	waitScreen(t, ben, "2 REQUESTS ctrl+r")
	ben.Send(ctrlR)
	waitScreen(t, ben, "Running the plan: 40 changes", "· Disable token 000100001000 of person00.", "pgdn more")
	if strings.Contains(ben.screen(), "person39") {
		t.Fatal("the whole plan fits at 80×24?")
	}
	ben.Send(key("end"))
	waitScreen(t, ben, "· Disable token 000100001039 of person39.", "pgup back", "Before approving")
	ben.Send(key("home"))
	waitScreen(t, ben, "> Request 1 · anna", "person00")
	ben.Send(key("down")) // the next request, not a line down
	waitScreen(t, ben, "> Request 2 · anna", "Running the plan: 2 changes")
	ben.Send(key("up"))
	ben.Send(key("end"))
	waitScreen(t, ben, "person39", "pgup back")
	ben.Send(key("up")) // the view follows the cursor to the request it is on
	waitScreen(t, ben, "> Request 1 · anna · asked 09:30")
	ben.Send(key("end"))
	waitScreen(t, ben, "person39")
	ben.Send(key("a"))
	waitScreen(t, ben, "Approve request 1? The change runs in the requester's session", "y approve", "person39")
	snap(t, ben, 80, 24, "approve")
}

// The time a request has left is drawn anew as it runs down, with nothing
// else happening on the board or the keyboard: "expires in 60 minutes"
// must not stay on screen for an hour.
func TestTimeLeftRunsDown(t *testing.T) {
	ui.RedrawBoardEvery(t, 20*time.Millisecond)
	world := newWorld(t)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	at := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	board := approval.New(time.Hour, at, nil)
	anna := rsa.Actor{SSHUser: "anna from 10.0.0.2", KeyFP: "SHA256:anna"}
	if _, err := board.Ask(t.Context(), approval.Request{By: anna, Change: rsa.Change{Action: verify.BatchApply},
		What: "Running the plan: 1 change", Why: "policy"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := rsa.GrantOf(rsa.RoleAdmin, "")
	ben := start(t, world.adminAt("ben", admin, board, at), 80, 24)
	waitScreen(t, ben, "1 REQUEST ctrl+r", "people. enter opens their tokens.")
	ben.Send(ctrlR)
	waitScreen(t, ben, "expires in 60 minutes")
	clock.Add(int64(15 * time.Minute))
	waitScreen(t, ben, "expires in 45 minutes")
	// the first may be drawn by the spinner's last tick after the search; not these
	for _, left := range []string{"35 minutes", "25 minutes"} {
		clock.Add(int64(10 * time.Minute))
		waitScreen(t, ben, "expires in "+left)
	}
}
