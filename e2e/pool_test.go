package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
)

// The pool and the replacement on the real binary: a second token is
// refused before the pool opens, a token already being replaced says so,
// and once AM has retired the replaced token (its successor used once) the
// pool flags it, never offers it first, and assigning it clears the PIN its
// old holder left on it — each said on screen.
func TestPoolAndReplacementInTmux(t *testing.T) {
	tt, bin, env, _ := onSim(t, 100, 30)
	tt.keys("/jdoe")
	tt.wait("1 found", "›jdoe")
	tt.keys("Enter")
	scr := tt.wait("John Doe (jdoe)", "read from AM at")
	old := regexp.MustCompile(`›(\d{12})`).FindStringSubmatch(scr)[1]

	tt.keys("A") // jdoe holds a token: refused before the pool
	tt.wait("jdoe already holds token " + old + "; one token a person is the rule")

	tt.keys("R")
	tt.wait("enter makes the selected one " + old + "'s successor.")
	tt.keys("Enter")
	tt.wait("Please confirm: replace the token")
	tt.keys("y")
	scr = tt.wait("Replace the token: done for token")
	successor := regexp.MustCompile(`done for token (\d{12})`).FindStringSubmatch(scr)[1]
	tt.keys("Enter")
	tt.wait("jdoe holds 2 tokens")
	tt.keys("g", "R") // the old token again: it is being replaced
	tt.wait("No replacement: token " + old + " is already being replaced by " + successor)

	// jdoe logs in once with the successor: AM retires the old token
	out, err := exec.Command(bin, "sim", "tokencode", successor, "--users", "20", "--seed", "1").Output()
	code := regexp.MustCompile(`tokencode (\d+)`).FindStringSubmatch(string(out))
	if err != nil || code == nil {
		t.Fatalf("sim tokencode: %v %s", err, out)
	}
	auth := exec.Command(bin, "auth", "test", "jdoe")
	auth.Env, auth.Stdin = env, strings.NewReader(demo.DemoPIN+code[1]+"\n")
	if out, err := auth.CombinedOutput(); err != nil {
		t.Fatalf("auth test: %v\n%s", err, out)
	}

	tt.keys("/fnotoken")
	tt.wait("1 found", "›fnotoken")
	tt.keys("Enter")
	tt.wait("fnotoken has no token in AM")
	tt.keys("A")
	scr = tt.wait("enter assigns the selected one to fnotoken.", old, "RETIRED")
	if first := regexp.MustCompile(`›(\d{12})`).FindStringSubmatch(scr)[1]; first == old {
		t.Fatal("the retired token is the one offered first")
	}
	tt.keys("G", "Enter") // the retired token, last
	tt.wait("Careful: AM RETIRED this token", "It still", "has a PIN (its previous")
	tt.keys("y")
	tt.wait("Assign the token: done for token "+old, "Done, and the token still had a PIN")
	tt.keys("Enter", "q")
	tt.wait("EXITED 0")
}
