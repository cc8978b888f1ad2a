package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/simtest"
)

// waitWithin is wait with a deadline of its own (a target, not a guard).
func (tt *term) waitWithin(d time.Duration, want ...any) {
	tt.t.Helper()
	deadline := time.Now().Add(d)
	for len(screentest.Missing(tt.screen(), want...)) > 0 {
		if time.Now().After(deadline) {
			tt.t.Fatalf("not on screen within %s: %v; it shows:\n%s", d, screentest.Missing(tt.screen(), want...), tt.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoginTroubleInTmux: the console and the verbs on one back end
// (rsatui sim). Emergency access with a temporary fixed code from the
// console; `rsatui auth test` with PIN + that code is accepted, and the
// dashboard shows the success within 2 s; three wrong passcodes lock the
// person, and the diagnosis says so first; unlock from the dashboard.
func TestLoginTroubleInTmux(t *testing.T) {
	needTmux(t)
	bin := build(t)
	env := append(simtest.Env(simtest.Start(t, bin, "--users", "20", "--seed", "1")), "RSATUI_AUDIT_LOG="+t.TempDir()+"/audit.jsonl")
	tt := run(t, 120, 36, append([]string{"NO_COLOR=1", "TERM=xterm-256color"}, env...), bin)
	tt.wait("people. enter opens their tokens.")
	tt.keys("/jdoe")
	tt.wait("1 found", "›jdoe")
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)", "What AM saw", "the last successful login was")
	tt.keys("e")
	tt.checkCaller()
	tt.wait("Online emergency access for token")
	tt.keys("Enter")
	tt.wait("Please confirm")
	tt.keys("y")
	scr := tt.wait("Emergency access is on for token", "Temporary fixed tokencode")
	m := regexp.MustCompile(`(?s)Temporary fixed tokencode.*?│ ([A-Za-z0-9]{8}) +│`).FindStringSubmatch(scr)
	if m == nil {
		t.Fatalf("no code on the result:\n%s", scr)
	}
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)", screentest.EAOn)

	authTest := func(passcode string) (string, int) {
		cmd := exec.Command(bin, "auth", "test", "jdoe")
		cmd.Env, cmd.Stdin = env, strings.NewReader(passcode+"\n")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := authTest(demo.DemoPIN + m[1])
	if code != 0 || !strings.Contains(out, "accepted with the emergency access code") {
		t.Fatalf("auth test with PIN + the emergency code: exit %d\n%s", code, out)
	}
	tt.waitWithin(2*time.Second, "Success", "Passcode accepted with an emergency access tokencode")

	for i := range 3 {
		if out, code := authTest(demo.DemoPIN + "00000000"); code != 3 {
			t.Fatalf("wrong passcode %d: exit %d\n%s", i+1, code, out)
		}
	}
	scr = tt.wait("✗ locked by AM after 3 failed passcodes", "u unlocks")
	lines := strings.Split(scr, "\n")
	first := ""
	for i, l := range lines {
		if strings.Contains(l, "john.doe@corp.example") && i+2 < len(lines) {
			first = strings.TrimSpace(lines[i+2]) // after the mail line and a blank
		}
	}
	if !strings.HasPrefix(first, "✗ locked by AM") {
		t.Fatalf("the first finding is %q, not the lockout:\n%s", first, scr)
	}
	tt.keys("u")
	tt.wait("Please confirm: unlock jdoe")
	tt.keys("y")
	scr = tt.wait("jdoe is unlocked")
	if strings.Contains(scr, "locked by AM") {
		t.Fatalf("the diagnosis still says locked:\n%s", scr)
	}
	tt.keys("q")
	tt.wait("EXITED 0")
}
