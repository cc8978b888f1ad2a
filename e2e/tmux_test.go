// Package e2e drives the built rsatui binary in tmux the way a person would:
// real keys in, the real screen out.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/qrterm/qrtest"
	"github.com/rsatui/rsatui/internal/screentest"
	"github.com/rsatui/rsatui/internal/simtest"
)

type term struct {
	t       *testing.T
	session string
}

func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("RSATUI_REQUIRE_TMUX") == "1" {
			t.Fatal("tmux is required (RSATUI_REQUIRE_TMUX=1) but not installed")
		}
		t.Skip("skipped: tmux is not installed (.ci/run installs it)")
	}
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rsatui")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/rsatui").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// run starts command in a detached tmux session of the given size.
func run(t *testing.T, w, h int, env []string, command string) *term {
	t.Helper()
	name := fmt.Sprintf("rsatui-e2e-%d", time.Now().UnixNano())
	args := []string{"new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	// keep the pane open after exit so a crash can be read; the exit status
	// is the command's (an echo between would make it always 0)
	args = append(args, command+"; rc=$?; echo; echo EXITED $rc; sleep 30")
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	tt := &term{t: t, session: name}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", name).Run() })
	return tt
}

func (tt *term) keys(keys ...string) {
	tt.t.Helper()
	args := append([]string{"send-keys", "-t", tt.session}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		tt.t.Fatalf("send-keys: %v %s", err, out)
	}
}

// checkCaller passes the checks of the caller the default policy asks
// for before a code: the call back ticked, a ticket typed.
func (tt *term) checkCaller() {
	screen := tt.wait("Who is calling?", "[ ] Call back", "hang up and call them back")
	tt.keys("Space")
	if !strings.Contains(screen, "[x] Ticket") { // :ticket set one already
		tt.keys("Down", "INC4711")
	}
	tt.wait("[x] Call back", "[x] Ticket")
	tt.keys("Enter")
}

func (tt *term) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", tt.session).Output()
	return string(out)
}

// wait polls the screen until it shows every want, exactly (screentest).
func (tt *term) wait(want ...any) string {
	tt.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := tt.screen()
		missing := screentest.Missing(s, want...)
		if len(missing) == 0 {
			return s
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("screen never showed %s; it shows:\n%s", strings.Join(missing, ", "), s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// demoOnJdoe runs the demo console at 100×30 and opens jdoe's tokens.
func demoOnJdoe(t *testing.T) *term {
	tt, _ := demoOn(t, "jdoe")
	return tt
}

// demoOn runs the demo console at 120×30 and opens login's tokens; it
// returns the binary too.
func demoOn(t *testing.T, login string) (*term, string) {
	needTmux(t)
	bin := build(t)
	tt := run(t, 120, 30, []string{"NO_COLOR=1", "TERM=xterm-256color"}, bin+" --demo")
	tt.wait("DEMO", "people. enter opens their tokens.")
	tt.keys("/" + login)
	tt.wait("1 found", "›"+login)
	tt.keys("Enter")
	return tt, bin
}

// TestDemoEmergencyAccessInTmux: find a user → open a token → temporary fixed
// tokencode for the default 3 days → result DTO → end emergency access again.
func TestDemoEmergencyAccessInTmux(t *testing.T) {
	tt := demoOnJdoe(t)
	tt.wait("John Doe (jdoe)", screentest.EAOff)
	tt.keys("e")
	tt.checkCaller()
	tt.wait("Online emergency access for token", "3d")
	tt.keys("Enter")
	tt.wait("Please confirm", "(3 days)", "GenerateEmergencyAccessCodeCommand")
	tt.keys("y")
	s := tt.wait("Emergency access is on for token", "Temporary fixed tokencode", "* tokenLost", "yes (was no)")
	if !strings.Contains(s, "* eaMode") || !strings.Contains(s, "temporary fixed tokencode") {
		t.Fatalf("result DTO does not show the change:\n%s", s)
	}
	tt.keys("Enter")
	tt.wait(screentest.EAOn)
	tt.keys("x")
	tt.wait("End online emergency access")
	tt.keys("y")
	tt.wait("Emergency access ended for token", "* tokenLost", "no (was yes)")
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)", screentest.EAOff)
	tt.keys("q")
	tt.wait("EXITED 0")
}

// TestNarrowAndResize: 60x20, then a live resize to 80x24; nothing overflows.
func TestNarrowAndResize(t *testing.T) {
	needTmux(t)
	bin := build(t)
	tt := run(t, 60, 20, []string{"NO_COLOR=1"}, bin+" --demo")
	// the console's own words: "people" alone also matches the line the demo
	// prints while it starts, before the console has the terminal
	s := tt.wait("people. enter opens their tokens")
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if len([]rune(l)) > 60 {
			t.Fatalf("line wider than 60: %q", l)
		}
	}
	if out, err := exec.Command("tmux", "resize-window", "-t", tt.session, "-x", "80", "-y", "24").CombinedOutput(); err != nil {
		t.Fatalf("resize: %v %s", err, out)
	}
	tt.wait("Department") // the wide layout has the department column
	tt.keys("C-c")
	tt.wait("EXITED 0")
}

// TestPasswordOnArgvIsRefused: the CLI refuses passwords on the command line.
func TestPasswordOnArgvIsRefused(t *testing.T) {
	bin := build(t)
	out, err := exec.Command(bin, "--am-admin-password", "hunter2").CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "never taken on the command line") || strings.Contains(string(out), "hunter2") {
		t.Fatalf("exit %d: %s", code, out)
	}
	out, err = exec.Command(bin).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "missing --am-url") || !strings.Contains(string(out), "--demo") {
		t.Fatalf("no config: exit %d: %s", code, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestCaptureScreens writes text captures of every screen of the real binary
// into $RSATUI_CAPTURE (docs/screens in the repository): the README's pictures.
//
//	RSATUI_CAPTURE=$PWD/docs/screens go test ./e2e -run CaptureScreens
func TestCaptureScreens(t *testing.T) {
	dir := os.Getenv("RSATUI_CAPTURE")
	if dir == "" {
		t.Skip("skipped: set RSATUI_CAPTURE to a directory to refresh the README's screen captures")
	}
	needTmux(t)
	bin := build(t)
	tt := run(t, 90, 26, []string{"NO_COLOR=1"}, bin+" --demo")
	save := func(name string) {
		s := strings.TrimRight(tt.screen(), "\n")
		lines := strings.Split(s, "\n")
		for i := range lines {
			lines[i] = strings.TrimRight(lines[i], " ")
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tt.wait("207 people")
	save("1-users")
	tt.keys("/asmith")
	tt.wait("1 found")
	tt.keys("Enter")
	tt.wait("Alice Smith (asmith)", "holds 2 tokens")
	save("2-tokens")
	tt.keys("Enter")
	tt.wait("serialNumber")
	tt.keys("i")
	tt.wait("the number printed on the token")
	save("3-token-detail")
	tt.keys("e")
	tt.checkCaller()
	tt.wait("Online emergency access for token")
	tt.keys("Right", "Tab", "abc")
	tt.wait("(it has 3)")
	save("4-form-validation")
	tt.keys("BSpace", "BSpace", "BSpace", "Up", "Left") // back to a code generated by AM
	tt.wait("generated by AM")
	tt.keys("Enter")
	tt.wait("Please confirm")
	save("5-confirm")
	tt.keys("y")
	tt.wait("Emergency access is on")
	save("6-result")
	tt.keys("Enter", "?")
	tt.wait("Keys on this screen")
	save("7-help")
}

// TestClearPINInTmux: the real binary, a help-desk call — find the person,
// clear their token's PIN, see what AM holds now.
func TestClearPINInTmux(t *testing.T) {
	tt := demoOnJdoe(t)
	tt.wait("John Doe (jdoe)", "set/–")
	tt.keys("p")
	tt.wait("Please confirm: clear the PIN", "UpdateTokenCommand")
	tt.keys("y")
	tt.wait("Clear the PIN: done for token", regexp.MustCompile(`\* pinIsSet +no \(was yes\)`))
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)", "no/–")
	tt.keys("q")
	tt.wait("EXITED 0")
}

// TestHelpDeskCallsInTmux: the real binary, the help desk's other calls —
// a token out of sync resynchronized with the codes of the demo's software
// token app (rsatui sim tokencode, another process), a lost token replaced
// from the pool, and a person with no token given one from the pool.
func TestHelpDeskCallsInTmux(t *testing.T) {
	tt, bin := demoOn(t, "jdoe")
	tt.wait("John Doe (jdoe)", "read from AM at")
	serial := regexp.MustCompile(`›(\d{12})`).FindStringSubmatch(tt.screen())[1]
	tt.keys("s")
	tt.wait("Resynchronize token " + serial)
	out, err := exec.Command(bin, "sim", "tokencode", serial).Output()
	codes := regexp.MustCompile(`tokencode (\d+), next (\d+)`).FindStringSubmatch(string(out))
	if err != nil || codes == nil {
		t.Fatalf("sim tokencode: %v %s", err, out)
	}
	tt.keys(codes[1], "Tab", codes[2], "Enter")
	tt.wait("Please confirm: resynchronize the token")
	if strings.Contains(tt.screen(), codes[1]) {
		t.Fatal("a tokencode is on the screen")
	}
	tt.keys("y")
	tt.wait("Resynchronize the token: done for token " + serial)
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)")
	tt.keys("R")
	tt.wait("Replace token "+serial, "successor.")
	tt.keys("Enter")
	tt.wait("Please confirm: replace the token")
	tt.keys("y")
	scr := tt.wait("Replace the token: done for token")
	successor := regexp.MustCompile(`done for token (\d{12})`).FindStringSubmatch(scr)[1]
	tt.keys("Enter")
	tt.wait("John Doe (jdoe)", serial, successor) // both: AM retires the old one on the new one's first use
	tt.keys("/fnotoken")
	tt.wait("1 found", "›fnotoken")
	tt.keys("Enter")
	tt.wait("fnotoken has no token in AM: A assigns one")
	tt.keys("A")
	tt.wait("enter assigns the selected one to fnotoken.")
	tt.keys("Enter")
	tt.wait("Please confirm: assign the token")
	tt.keys("y")
	tt.wait("Assign the token: done for token")
	tt.keys("q")
	tt.wait("EXITED 0")
}

// onSim is the built console in tmux (w×h, no colour) on a `rsatui sim` of
// its own (started with simArgs, after --users 20 --seed 1), with an audit
// log of its own, waiting at the people list.
func onSim(t *testing.T, w, h int, simArgs ...string) (tt *term, bin string, env []string, audit string) {
	t.Helper()
	needTmux(t)
	bin = build(t)
	audit = filepath.Join(t.TempDir(), "audit.jsonl")
	env = append(simtest.Env(simtest.Start(t, bin, append([]string{"--users", "20", "--seed", "1"}, simArgs...)...)), "RSATUI_AUDIT_LOG="+audit)
	tt = run(t, w, h, append([]string{"NO_COLOR=1", "TERM=xterm-256color"}, env...), bin)
	tt.wait("people. enter opens their tokens.")
	return tt, bin, env, audit
}

// TestNewPhoneInTmux: the real binary at 80×24 with NO_COLOR, the "new
// phone" call — I on the person's screen, a new seed by CTF link, then a
// QR code; each code drawn in the terminal, captured from tmux, decodes
// (zbarimg) to what is shown beside it. With RSATUI_CAPTURE set it saves
// the QR screen for the README.
func TestNewPhoneInTmux(t *testing.T) {
	needTmux(t)
	bin := build(t)
	tt := run(t, 80, 24, []string{"NO_COLOR=1", "TERM=xterm-256color"}, bin+" --demo")
	tt.wait("DEMO", "people. enter opens their tokens.")
	tt.keys("/cmueller")
	tt.wait("1 found")
	tt.keys("Enter")
	tt.wait("Carol Müller (cmueller)")
	tt.keys("I")
	tt.checkCaller()
	tt.wait("Please confirm: issue a software token to cmueller", "Phone (link)")
	tt.keys("2")
	tt.wait("New seed: the old phone's copy stops working now.")
	if plan := strings.ReplaceAll(tt.screen(), "\n", " "); !strings.Contains(plan, "(regenerateSeed=true)") {
		t.Fatalf("the confirm does not say the new seed is asked for:\n%s", tt.screen())
	}
	tt.keys("y")
	tt.wait("Software token issued", "Token string:", "Shown only now.")
	screen := tt.screen()
	link := qrtest.FromScreen(t, screen)
	ctf := regexp.MustCompile(`ctfData=(\d{81})$`).FindStringSubmatch(link)
	if ctf == nil || !strings.Contains(strings.ReplaceAll(screen, "\n", ""), ctf[1][:20]) {
		t.Fatalf("the QR code reads %q\n%s", link, screen)
	}
	tt.keys("Enter")
	tt.wait("Carol Müller (cmueller)")

	tt.keys("I")
	tt.wait("Phone (QR code)")
	tt.keys("1", "y")
	tt.wait("Software token issued", "Activation code:")
	screen = tt.screen()
	got := qrtest.FromScreen(t, screen)
	if code := qrtest.ActivationCode(screen); code == "" || !strings.Contains(got, "activationCode="+code) {
		t.Fatalf("the QR code reads %q\n%s", got, screen)
	}
	if dir := os.Getenv("RSATUI_CAPTURE"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "8-software-token.txt"), []byte(trimLines(screen)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tt.keys("q")
	tt.wait("shown only now: q again quits anyway")
	tt.keys("Enter")
	tt.wait("Carol Müller (cmueller)")
	tt.keys("q")
	tt.wait("EXITED 0")
}

func trimLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n") + "\n"
}
