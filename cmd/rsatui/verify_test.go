package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/demo"
)

// lastAudit is the audit's last line of operation op.
func (c *cli) lastAudit(op string) audit.Entry {
	c.t.Helper()
	entries, err := audit.Tail(c.audit, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Operation == op {
			return entries[i]
		}
	}
	c.t.Fatalf("the audit has no %s line", op)
	return audit.Entry{}
}

// Each action the default policy guards refuses a verb without the
// caller's checks (exit 3, naming what is missing, nothing sent), takes
// it with them, and the audit keeps which checks were done, of whom.
func TestVerbsNeedTheCallersChecks(t *testing.T) {
	c := setup(t)
	jdoe := c.ds.TokensOf("jdoe")[0]
	for _, tc := range []struct {
		name string
		op   string
		args []string
	}{
		{"emergency access", "ea.set", []string{"ea", "set", jdoe, "--one-time", "2", "--expires", "2d"}},
		{"more one-time codes", "ea.add_codes", []string{"ea", "add-codes", jdoe, "2"}},
		{"a software token", "token.issue-software", []string{"token", "issue", "--next-software", "fnotoken", "--via", "ctf"}},
		{"an offline emergency passcode", "user.offline-passcode.set", []string{"user", "offline-passcode", "asmith", "--set", "--expires", "2d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.fails(exitRefused, "needs these checks of the caller first: callback, ticket", tc.args...)
			c.fails(exitRefused, "needs these checks of the caller first: ticket (", append(tc.args, "--verified", "callback")...)
			if e := c.lastAudit(tc.op); e.Outcome != audit.Refused || e.Params["verified"] != "" || len(e.Commands) > 3 {
				t.Fatalf("the refusal's audit line: %+v", e)
			}
			c.fails(exitUsage, `unknown check "fingerprint"`, append(tc.args, "--verified", "callback,fingerprint")...)
			c.fails(exitUsage, "give the ticket's number", append(tc.args, "--verified", "callback,ticket")...)
			c.fails(exitUsage, "callback takes no value", append(tc.args, "--verified", "callback=yes,ticket=INC4")...)
			c.ok(nil, append(tc.args, "--verified", "ticket=INC4,callback", "--json")...)
			e := c.lastAudit(tc.op)
			if e.Outcome != audit.OK || e.Params["verified"] != "callback,ticket=INC4" || e.Params["person"] == "" || e.Params["action"] == "" {
				t.Fatalf("the change's audit line: %+v", e)
			}
		})
	}
	// what the policy does not guard needs no checks (the default has
	// no list for a PIN clear)
	c.ok(nil, "token", "clear-pin", jdoe)
}

// A site's policy: a PIN clear needs a passcode test the caller passed
// with this admin (AM accepted it), proven by the audit; an unknown
// action or check in the file is refused at start, naming the known ones.
func TestPasscodeCheckAndTheSitesPolicy(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	c.config("[verify.checks]\nclear-pin = [\"passcode\"]\n")
	c.fails(exitRefused, "needs these checks of the caller first: passcode", "token", "clear-pin", serial)
	c.fails(exitRefused, "needs a passcode test jdoe passed with this admin", "token", "clear-pin", serial, "--verified", "passcode")
	cur, _ := c.tokencodes(serial)
	if r, code := c.authTest(demo.DemoPIN+"000000\n", "jdoe"); code == 0 || r.Accepted {
		t.Fatalf("a wrong passcode: exit %d %+v", code, r)
	}
	c.fails(exitRefused, "needs a passcode test", "token", "clear-pin", serial, "--verified", "passcode")
	if r, code := c.authTest(demo.DemoPIN+cur+"\n", "jdoe"); code != 0 || !r.Accepted {
		t.Fatalf("PIN + tokencode: exit %d %+v", code, r)
	}
	c.ok(nil, "token", "clear-pin", serial, "--verified", "passcode")
	if e := c.lastAudit("token.clear_pin"); e.Outcome != audit.OK || e.Params["verified"] != "passcode" {
		t.Fatalf("audit: %+v", e)
	}

	c.config("[verify.checks]\nunassign = [\"callback\"]\n")
	c.fails(exitUsage, "unassign: not an action a policy can guard", "token", "clear-pin", serial)
	c.config("[verify.checks]\nclear-pin = [\"retina\"]\n")
	c.fails(exitUsage, `unknown check "retina"; want one of callback, employee-id, manager, passcode, ticket`, "token", "clear-pin", serial)
	c.config("[verify.checks]\nclear-pin = [\"badge\"]\n[verify.custom.badge]\nlabel = \"Badge number\"\nattribute = \"employeeNumber\"\n")
	other := c.ds.TokensOf("asmith")[0] // jdoe's PIN is cleared now: nothing to guard
	c.fails(exitRefused, "needs these checks of the caller first: badge", "token", "clear-pin", other)
	c.ok(nil, "token", "clear-pin", other, "--verified", "badge")
	// loosened by the site: emergency access with no checks at all
	c.config("[verify.checks]\nemergency-access = []\n")
	c.ok(nil, "ea", "set", serial, "--generate-fixed", "--expires", "1d")
}

// The flood guard: a person given more codes within the hour than the
// site allows is refused (exit 3), and the refusal is an alarm line in
// the audit; another person is not held up. Outside rsatui serve a change
// that needs a second admin is refused with the reason.
func TestFloodOfCodesIsAnAlarm(t *testing.T) {
	c := setup(t)
	c.config("[limits]\nper_person = 2\nper_admin = 3\n[approve]\nemergency_access_longer_than = \"7d\"\n")
	jdoe, asmith := c.ds.TokensOf("jdoe")[0], c.ds.TokensOf("asmith")[0]
	for range 2 {
		c.ok(nil, "ea", "set", jdoe, "--generate-fixed", "--expires", "1d", "--verified", verified)
	}
	c.fails(exitRefused, "jdoe was given 2 codes or software tokens within the hour", "ea", "set", jdoe, "--generate-fixed", "--expires", "1d", "--verified", verified)
	e := c.lastAudit("ea.set")
	if e.Outcome != audit.Alarm || !strings.Contains(e.Error, "reported to security") || e.Params["person"] != "jdoe" {
		t.Fatalf("the refusal is no alarm: %+v", e)
	}
	c.fails(exitRefused, "needs a second admin's approval: it lasts 10 days, longer than the 7 days a single admin may give",
		"ea", "set", asmith, "--generate-fixed", "--expires", "10d", "--verified", verified)
	c.ok(nil, "ea", "set", asmith, "--generate-fixed", "--expires", "1d", "--verified", verified)
	// the admin's own limit: three codes within the hour, counted from the
	// audit (each verb is its own process)
	c.fails(exitRefused, "you handed out 3 codes or software tokens within the hour", "ea", "set", asmith, "--generate-fixed", "--expires", "1d", "--verified", verified)
	out, _, _ := c.run("", "audit", "tail", "--json")
	if strings.Count(out, `"alarm"`) != 2 {
		t.Fatalf("want two alarm lines in audit tail:\n%s", out)
	}
}

// [approve] batch-apply: outside rsatui serve a plan's run is refused as
// a whole, with the reason, before any row is sent; a plan's rows alone
// are unchanged in AM.
func TestBatchApplyNeedsASecondAdmin(t *testing.T) {
	c := setup(t)
	c.config("[approve]\nactions = [\"batch-apply\"]\n")
	jdoe := c.ds.TokensOf("jdoe")[0]
	dir := t.TempDir()
	csvPath, planPath := filepath.Join(dir, "rows.csv"), filepath.Join(dir, "rows.plan")
	if err := os.WriteFile(csvPath, []byte("operation,serial,reason\ndisable,"+jdoe+",INC7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok(nil, "batch", "plan", csvPath, "--out", planPath)
	c.fails(exitRefused, "needs a second admin's approval: the site's policy has every batch-apply approved by a second admin (rsatui serve asks another admin for it)",
		"batch", "apply", planPath)
	entries, _ := audit.Tail(c.audit, 0)
	for _, e := range entries {
		if strings.Contains(e.Target, jdoe) {
			t.Fatalf("a row was sent: %+v", e)
		}
	}
}
