package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// The roles are the work's: admin everything, helpdesk the daily actions
// (emergency access) but not assign/unassign/enable/disable, viewer
// nothing; perms= narrows or widens, by the one table's names.
func TestGrants(t *testing.T) {
	for _, c := range []struct {
		role      rsa.Role
		spec      string
		has, hasn []rsa.Permission
	}{
		{rsa.RoleAdmin, "", rsa.Permissions(), nil},
		{rsa.RoleHelpdesk, "", []rsa.Permission{rsa.PermEmergencyTFT, rsa.PermEmergencyOTT, rsa.PermEmergencyEnd},
			[]rsa.Permission{rsa.PermAssign, rsa.PermUnassign, rsa.PermEnable, rsa.PermDisable}},
		{rsa.RoleViewer, "", nil, rsa.Permissions()},
		{rsa.RoleHelpdesk, "+token:disable, -token:lost-emergency-ott", []rsa.Permission{rsa.PermDisable, rsa.PermEmergencyTFT},
			[]rsa.Permission{rsa.PermEmergencyOTT, rsa.PermEnable}},
		{rsa.RoleAdmin, "token:lost-emergency-end", []rsa.Permission{rsa.PermEmergencyEnd},
			[]rsa.Permission{rsa.PermAssign, rsa.PermEmergencyTFT}},
	} {
		g, err := rsa.GrantOf(c.role, c.spec)
		if err != nil {
			t.Fatalf("%s %q: %v", c.role, c.spec, err)
		}
		for _, p := range c.has {
			if !g.Has(p) {
				t.Errorf("%s %q lacks %s", c.role, c.spec, p)
			}
		}
		for _, p := range c.hasn {
			if g.Has(p) {
				t.Errorf("%s %q has %s", c.role, c.spec, p)
			}
		}
	}
	for role, spec := range map[rsa.Role]string{"root": "", "helpdesk": "token:fly", "viewer": "+"} {
		if _, err := rsa.GrantOf(role, spec); err == nil || !strings.Contains(err.Error(), "want one of") {
			t.Errorf("%s %q: %v", role, spec, err)
		}
	}
}

// A help-desk person's operations: emergency access works; an admin's
// action is refused before AM is asked, saying which role lacks what, and
// audited as refused; a narrowed grant refuses what it took away.
func TestHelpdeskOperations(t *testing.T) {
	base, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "-token:lost-emergency-ott")
	bob := base.For(rsa.Actor{SSHUser: "bob"}, helpdesk)
	serial := e.ds.TokensOf("jdoe")[0]
	if bob.ReadOnly {
		t.Fatal("a help-desk session is read-only")
	}
	if _, err := bob.SetEmergencyAccess(ctx, tft(serial, 1)); err != nil {
		t.Fatalf("helpdesk emergency access: %v", err)
	}
	before := e.sim.Stats().Commands
	ott := rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 3, Expires: testNow.Add(24 * 3600e9), IfAvailable: rsa.IfAvailableAllowAndEnd}
	if _, err := bob.SetEmergencyAccess(ctx, ott); !errors.Is(err, rsa.ErrNotPermitted) || !strings.Contains(err.Error(), "one-time tokencodes") {
		t.Fatalf("one-time codes taken away: %v", err)
	}
	if _, err := bob.SetEnabled(ctx, serial, false); !errors.Is(err, rsa.ErrNotPermitted) ||
		!strings.Contains(err.Error(), "your rsatui role (helpdesk) may not disable tokens") {
		t.Fatalf("helpdesk disable: %v", err)
	}
	if _, err := bob.Assign(ctx, serial, "asmith", false); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("helpdesk assign: %v", err)
	}
	after := e.sim.Stats().Commands
	for cmd, n := range after {
		if n != before[cmd] {
			t.Errorf("%s sent %d times for refused operations", cmd, n-before[cmd])
		}
	}
	if err := bob.Permits(rsa.PermEmergencyEnd); err != nil {
		t.Errorf("helpdesk may end emergency access: %v", err)
	}
	// a session cannot get more than the server it runs in
	base.ReadOnly = true
	if err := base.For(rsa.Actor{}, rsa.AllowAll()).Permits(rsa.PermEmergencyTFT); !errors.Is(err, rsa.ErrReadOnly) {
		t.Errorf("For lifted the server's read-only setting: %v", err)
	}
}
