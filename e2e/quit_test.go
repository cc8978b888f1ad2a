package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// ctrlCDuringEA opens veriksen's emergency-access form on a slow AM
// (rsatui sim --latency) and presses y then ctrl+c at once: the change is
// being sent when the key comes.
func ctrlCDuringEA(t *testing.T) (tt *term, audit string) {
	tt, _, _, audit = onSim(t, 80, 24, "--latency", "400ms")
	tt.keys("/veriksen")
	tt.wait("1 found", "›veriksen")
	tt.keys("Enter")
	tt.wait("(veriksen)", "read from AM at")
	tt.keys("e")
	tt.checkCaller()
	tt.wait("Online emergency access for token")
	tt.keys("Enter")
	tt.wait("Please confirm")
	tt.keys("y", "C-c")
	return tt, audit
}

// auditOutcome is the outcome the audit log holds for the emergency-access
// change ("" when it holds only its intent).
func auditOutcome(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	outcome := ""
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct{ Operation, Outcome string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Operation == "ea.set" && e.Outcome != "intent" {
			outcome = e.Outcome
		}
	}
	return outcome
}

// Ctrl+C while an emergency-access change is being sent: the console says
// its result is coming and shows it, code and all (it hung with "being
// sent" for ever, the code never seen, though AM held the change).
func TestCtrlCDuringAChangeInTmux(t *testing.T) {
	tt, audit := ctrlCDuringEA(t)
	tt.wait("A change is being sent; its result shows here: ctrl+c again quits anyway.")
	tt.wait("Emergency access is on for token", "Shown only now")
	tt.keys("C-c")
	tt.wait("The codes are shown only now: ctrl+c again quits anyway.")
	tt.keys("Enter") // done: the codes go with the result, no question
	tt.wait("(veriksen)")
	tt.keys("q")
	tt.wait("EXITED 0")
	if got := auditOutcome(t, audit); got != "ok" {
		t.Fatalf("audit outcome %q", got)
	}
}

// Two ctrl+c while it is sent: the console quits at once, and the
// terminal it leaves says which change, that AM applied it and that its
// code was seen by nobody; the exit is not a clean one, and the audit has
// the change's real outcome.
func TestForcedQuitDuringAChangeInTmux(t *testing.T) {
	tt, audit := ctrlCDuringEA(t)
	tt.wait("ctrl+c again quits anyway.")
	tt.keys("C-c")
	scr := tt.wait("rsatui: quit while a change was being sent: Putting token",
		"rsatui: AM applied it", "so nobody has it: give a new one with", "EXITED 5")
	if strings.Contains(scr, "Shown only now") {
		t.Fatal("the result was shown after the quit")
	}
	if got := auditOutcome(t, audit); got != "ok" {
		t.Fatalf("audit outcome %q (the change was cancelled by the quit?)", got)
	}
}
