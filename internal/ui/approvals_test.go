package ui_test

import (
	"strings"
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
	a := rsa.Actor{SSHUser: name + " from 10.0.0.1", KeyFP: "SHA256:" + name}
	return ui.New(w.dir, w.ops.For(a, g), ui.Info{Server: "am.corp.example:7002", IdentitySource: demo.IdentitySourceName,
		Admin: demo.AdminUser, Role: string(g.Role), User: name}, ui.Options{NoColor: true, Now: func() time.Time { return now }, PlanDir: w.plans, Approvals: board})
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
	waitScreen(t, ben, "Request 1 · anna", "Running the plan: 1 change")
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
