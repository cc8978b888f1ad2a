package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/action"
)

func TestDefaultPolicy(t *testing.T) {
	p := Default()
	if got := Join(p.Required(action.EmergencyAccess, false)); got != "callback, ticket" {
		t.Errorf("emergency access: %s", got)
	}
	if got := Join(p.Required(action.IssueSoftware, true)); got != "callback, manager, ticket" {
		t.Errorf("a software token for a privileged person: %s", got)
	}
	if len(p.Required(action.ClearPIN, true)) != 0 || p.Stricter(action.ClearPIN) || !p.Stricter(action.EmergencyAccess) {
		t.Errorf("a PIN clear needs nothing by default")
	}
	if !p.Privileged([]string{"SecurID Users", "domain admins"}) || p.Privileged([]string{"Helpdesk"}) {
		t.Errorf("privileged groups")
	}
	if p.ApprovalNeeded(action.EmergencyAccess, false, NoEnd) != "" || p.Limits != (Limits{20, 3}) {
		t.Errorf("approvals are off and the limits 20/3 by default")
	}
}

func TestConfigApply(t *testing.T) {
	var c Config
	c.Verify.Checks = map[string][]string{"clear-pin": {"passcode", "passcode"}, "emergency-access": {}}
	c.Verify.Privileged = map[string][]string{"unlock": {"callback", "badge"}}
	c.Verify.Custom = map[string]Custom{"badge": {Label: "Badge", Attribute: "employeeNumber"}}
	c.Approve.Actions = []string{"new-seed", "batch-apply"}
	c.Approve.EmergencyAccessLongerThan = "7d"
	c.Approve.UnlockPrivileged = true
	zero := 0
	c.Limits.PerPerson = &zero
	p, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	if Join(p.Required(action.ClearPIN, false)) != "passcode" || len(p.Required(action.EmergencyAccess, false)) != 0 ||
		Join(p.Required(action.Unlock, true)) != "callback, badge" || p.Label("badge") != "Badge" {
		t.Errorf("checks: %v", p.checks)
	}
	for _, tc := range []struct {
		a          action.Name
		privileged bool
		lasts      time.Duration
		want       string
	}{
		{action.EmergencyAccess, false, 10 * 24 * time.Hour, "it lasts 10 days, longer than the 7 days a single admin may give"},
		{action.EmergencyAccess, false, 7 * 24 * time.Hour, ""},
		{action.OfflinePasscode, false, NoEnd, "it never ends"},
		{action.Unlock, true, 0, "the person is privileged"},
		{action.Unlock, false, 0, ""},
		{BatchApply, false, 0, "every batch-apply"},
	} {
		if got := p.ApprovalNeeded(tc.a, tc.privileged, tc.lasts); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %v %v: %q, want %q", tc.a, tc.privileged, tc.lasts, got, tc.want)
		}
	}
	if p.Limits.PerPerson != 0 || p.Limits.PerAdmin != 20 {
		t.Errorf("limits: %+v", p.Limits)
	}
	for _, bad := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Verify.Checks = map[string][]string{"quit": {"callback"}} }, "quit: not an action a policy can guard"},
		{func(c *Config) { c.Verify.Checks = map[string][]string{"unlock": {"dna"}} }, `unknown check "dna"`},
		{func(c *Config) { c.Verify.Custom = map[string]Custom{"ticket": {"T", "x"}} }, "ticket is a built-in check"},
		{func(c *Config) { c.Verify.Custom = map[string]Custom{"badge": {Label: "Badge"}} }, "give a label and the directory attribute"},
		{func(c *Config) { c.Approve.Actions = []string{"unlock"} }, `"unlock" cannot wait for approval`},
		{func(c *Config) { c.Approve.EmergencyAccessLongerThan = "a week" }, "write days as 7d"},
		{func(c *Config) { c.Approve.Expires = "10s" }, "at least a minute"},
		{func(c *Config) { n := -1; c.Limits.PerAdmin = &n }, "per_admin = -1"},
	} {
		var c Config
		bad.edit(&c)
		if _, err := c.Apply(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("want %q, got %v", bad.want, err)
		}
	}
}

func TestDoneAndEvidence(t *testing.T) {
	p := Default()
	d, err := ParseDone(" ticket=INC42, callback manager", p)
	if err != nil || d.String() != "callback,manager,ticket=INC42" || Join(d.Missing([]Check{Callback, EmployeeID, Ticket})) != "employee-id" {
		t.Fatalf("%v %v", d, err)
	}
	for in, want := range map[string]string{"retina": "unknown check", "ticket": "ticket's number", "ticket=IN C": "", "callback=1": "takes no value",
		"ticket=" + strings.Repeat("9", 65): "at most 64"} {
		if _, err := ParseDone(in, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for raw, want := range map[string]string{"+1 (555) 010-0123": "+1 555 010 0123", "0049 30 1234567": "0049 30 1234567", "+4930123456": "+493 012 3456", "n/a": "", "": ""} {
		if got := Phone(raw); got != want {
			t.Errorf("Phone(%q) = %q, want %q", raw, got, want)
		}
	}
	if m := MaskID("E-104729"); m != "••••••29" || strings.Contains(m, "1047") {
		t.Errorf("mask: %s", m)
	}
	if !SameID("e 1047-29", "E-104729") || SameID("E-104728", "E-104729") || SameID("", "") {
		t.Errorf("SameID")
	}
}
