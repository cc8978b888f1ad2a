package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Four eyes with the real binary and OpenSSH, at 80×24: a site whose
// [approve] has emergency access beyond 7 days approved by a second admin.
// carol (help desk) asks for 10 days: her screen waits, q asks before it
// would withdraw the request; alice (admin) sees the count in her header,
// approves from ctrl+r, and the code shows on carol's screen, not on
// alice's. The audit names both.
func TestSecondAdminOverOpenSSH(t *testing.T) {
	needSSH(t)
	bin := build(t)
	conf := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(conf, []byte("[defaults]\nea_lifetime = \"10d\"\n[approve]\nemergency_access_longer_than = \"7d\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serve(t, bin, "--config", conf)
	env := []string{"TERM=xterm-256color", "NO_COLOR=1"}
	alice := run(t, 80, 24, env, strings.Join(s.sshCommand("alice", "alice", "-tt"), " "))
	alice.wait("ADMIN", "ssh alice")
	carol := run(t, 80, 24, env, strings.Join(s.sshCommand("carol", "carol", "-tt"), " "))
	carol.wait("HELPDESK", "ssh carol")
	carol.keys("/jdoe")
	carol.wait("1 found")
	carol.keys("Enter")
	carol.wait("John Doe (jdoe)")
	carol.keys("e")
	carol.checkCaller()
	carol.wait("Online emergency access for token", "10d")
	carol.keys("Enter")
	carol.wait("Please confirm")
	carol.keys("y")
	carol.wait("Waiting for a second admin — request 1", "it lasts 10 days, longer than the 7 days")
	carol.keys("q")
	carol.wait("Request 1 waits; quitting withdraws it")
	carol.keys("Space") // stay
	carol.wait("Waiting for a second admin — request 1")

	alice.wait("1 REQUEST ctrl+r")
	alice.keys("C-r")
	alice.wait("Request 1 · carol", "Checks of the caller done: callback,ticket=INC4711")
	alice.keys("a")
	alice.wait("Approve request 1?")
	alice.keys("y")
	alice.wait("Approved request 1")

	screen := carol.wait("Emergency access is on for token", "Temporary fixed tokencode")
	code := regexp.MustCompile(`│\s+([A-Za-z0-9]{8})\s+│`).FindStringSubmatch(screen)
	if code == nil {
		t.Fatalf("no code on the requester's screen:\n%s", screen)
	}
	if strings.Contains(alice.screen(), code[1]) {
		t.Fatalf("the code is on the approver's screen:\n%s", alice.screen())
	}
	audit, _ := os.ReadFile(s.audit)
	if strings.Contains(string(audit), code[1]) {
		t.Fatal("the code is in the audit")
	}
	approved := regexp.MustCompile(`"ssh_user":"carol"[^\n]*"operation":"ea.set"[^\n]*"approved_by":"alice \(key SHA256:[^\n]*"outcome":"ok"`)
	if !approved.Match(audit) || !strings.Contains(string(audit), `"operation":"approval.approve"`) {
		t.Fatalf("the audit does not name both admins:\n%s", audit)
	}
}
