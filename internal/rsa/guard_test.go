package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// The guard where every change passes: a privileged person (the
// directory says) needs the stricter list; the checks must be of the
// person changed; a change that needs a second admin is refused without
// one and with the requester's own approval, and runs with another's —
// the audit naming both. Nothing is generated or written when refused.
func TestGuardPrivilegedAndApproval(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 20})
	ctx := context.Background()
	log := withAudit(t, st.Ops)
	var c verify.Config
	c.Approve.EmergencyAccessLongerThan = "7d"
	p, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	st.Ops.Policy = &p
	asked := 0
	st.Ops.Privileged = func(_ context.Context, login string) (bool, error) { asked++; return login == "dobrien", nil }
	alice := st.Ops.For(rsa.Actor{SSHUser: "alice from 10.0.0.1", KeyFP: "SHA256:alice"}, rsa.AllowAll())
	bob := rsa.Actor{SSHUser: "bob from 10.0.0.2", KeyFP: "SHA256:bob"}
	generated := func() int64 { return st.Sim.Stats().Commands["GenerateEmergencyAccessCodeCommand"] }
	ea := func(ctx context.Context, login string, days int) error {
		_, err := alice.SetEmergencyAccess(ctx, rsa.EARequest{Serial: st.DS.TokensOf(login)[0], Mode: rsa.EAFixedCode,
			IfAvailable: rsa.IfAvailableAllowAndEnd, Expires: time.Now().Add(time.Duration(days) * 24 * time.Hour)})
		return err
	}
	basic := verify.Done{verify.Callback: "", verify.Ticket: "INC5"}
	if err := ea(rsa.WithCaller(ctx, "dobrien", basic), "dobrien", 2); !errors.Is(err, rsa.ErrNotVerified) || !strings.Contains(err.Error(), "manager") {
		t.Fatalf("a privileged person without the manager's check: %v", err)
	}
	if err := ea(rsa.WithCaller(ctx, "jdoe", basic), "asmith", 2); !errors.Is(err, rsa.ErrNotVerified) {
		t.Fatalf("jdoe's checks let asmith's token change: %v", err)
	}
	if generated() != 0 {
		t.Fatalf("a refused change had AM generate %d codes", generated())
	}
	strict := verify.Done{verify.Callback: "", verify.Ticket: "INC5", verify.Manager: ""}
	before := asked
	if err := ea(rsa.WithCaller(ctx, "dobrien", strict), "dobrien", 2); err != nil {
		t.Fatal(err)
	}
	if asked != before {
		t.Errorf("every check of the strict list done, yet the directory was asked")
	}
	// ten days: a second admin
	vctx := rsa.WithCaller(ctx, "jdoe", basic)
	if err := ea(vctx, "jdoe", 10); !errors.Is(err, rsa.ErrNeedsApproval) || !strings.Contains(err.Error(), "lasts 10 days") {
		t.Fatalf("ten days alone: %v", err)
	}
	var waits *rsa.ApprovalError
	if err := ea(vctx, "jdoe", 10); !errors.As(err, &waits) || waits.Change.Action != "emergency-access" || waits.Change.Login != "jdoe" {
		t.Fatalf("the refusal does not say which change waits: %#v", err)
	}
	tenDays := rsa.Change{Action: "emergency-access", Login: "jdoe", Lasts: 10*24*time.Hour + time.Minute}
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	for _, bad := range []struct {
		a    rsa.Approval
		says string
	}{
		{rsa.Approval{ID: "r1", By: rsa.Approver{Actor: rsa.Actor{SSHUser: "alice from 10.9.9.9", KeyFP: "SHA256:other-key"}, Grant: helpdesk}, Change: tenDays}, "your own"},
		{rsa.Approval{ID: "r1", By: rsa.Approver{Actor: bob, Grant: viewer}, Change: tenDays}, "may not emergency-access"},
		{rsa.Approval{ID: "r1", By: rsa.Approver{Actor: bob, Grant: helpdesk}, Change: rsa.Change{Action: "emergency-access", Login: "asmith", Lasts: tenDays.Lasts}}, "approved another change"},
		{rsa.Approval{ID: "r1", By: rsa.Approver{Actor: bob, Grant: helpdesk}, Change: rsa.Change{Action: "emergency-access", Login: "jdoe", Lasts: 8 * 24 * time.Hour}}, "approved another change"},
	} {
		if err := ea(rsa.WithApproval(vctx, bad.a), "jdoe", 10); !errors.Is(err, rsa.ErrNeedsApproval) || !strings.Contains(err.Error(), bad.says) {
			t.Fatalf("approval %+v: %v (want %q)", bad.a, err, bad.says)
		}
	}
	if err := ea(rsa.WithApproval(vctx, rsa.Approval{ID: "r2", By: rsa.Approver{Actor: bob, Grant: helpdesk}, Change: tenDays}), "jdoe", 10); err != nil {
		t.Fatal(err)
	}
	entries, _ := audit.Tail(log.Path(), 0)
	last := entries[len(entries)-1]
	if last.Outcome != audit.OK || last.Params["approved_by"] != "bob (key SHA256:bob)" || last.Params["request"] != "r2" ||
		last.SSHUser != "alice from 10.0.0.1" || last.Params["verified"] != "callback,ticket=INC5" {
		t.Fatalf("the audit line: %+v", last)
	}
}
