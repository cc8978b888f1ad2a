package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/qrterm/qrtest"
	"github.com/rsatui/rsatui/internal/screentest"
)

// served is `rsatui serve --demo` running as its own process, with keys made
// by the real ssh-keygen and a known_hosts pinning its host key.
type served struct {
	t                 *testing.T
	cmd               *exec.Cmd
	dir, port         string
	stdout, stderr    *bytes.Buffer
	knownHosts, audit string
}

func needSSH(t *testing.T) {
	t.Helper()
	needTmux(t)
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("RSATUI_REQUIRE_TMUX") == "1" {
				t.Fatalf("%s is required (RSATUI_REQUIRE_TMUX=1) but not installed (apt-get install openssh-client)", tool)
			}
			t.Skipf("skipped: %s is not installed (.ci/run installs openssh-client)", tool)
		}
	}
}

func keygen(t *testing.T, path string) string {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", filepath.Base(path), "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

// serve starts rsatui serve --demo with extra arguments (a --config).
func serve(t *testing.T, bin string, extra ...string) *served {
	t.Helper()
	dir := t.TempDir()
	keys := "role=admin " + keygen(t, filepath.Join(dir, "alice")) + "\n" +
		"role=viewer " + keygen(t, filepath.Join(dir, "bob")) + "\n" +
		"role=helpdesk " + keygen(t, filepath.Join(dir, "carol")) + "\n"
	keygen(t, filepath.Join(dir, "eve")) // not authorized
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &served{t: t, dir: dir, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, audit: filepath.Join(dir, "audit.jsonl")}
	s.cmd = exec.Command(bin, "serve", "--demo", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_ed25519"),
		"--authorized-keys", filepath.Join(dir, "authorized_keys"), "--shutdown-notice", "2s")
	s.cmd.Args = append(s.cmd.Args, extra...)
	s.cmd.Env = append(os.Environ(), "RSATUI_AUDIT_LOG="+s.audit)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	lines := bufio.NewScanner(out)
	re := regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)`)
	for lines.Scan() {
		s.stdout.WriteString(lines.Text() + "\n")
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			s.port = m[1]
		}
		if strings.HasPrefix(lines.Text(), "AM ") { // the last start-up line
			break
		}
	}
	if s.port == "" {
		t.Fatalf("rsatui serve did not start:\n%s\n%s", s.stdout, s.stderr)
	}
	go func() { // keep draining
		for lines.Scan() {
			_ = lines.Text()
		}
	}()
	// Pin the host key the server created: the test checks it like a person would.
	hostPub, err := os.ReadFile(filepath.Join(dir, "host_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	s.knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.knownHosts, []byte("[127.0.0.1]:"+s.port+" "+string(hostPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// sshCommand is the OpenSSH command line for key as user; extra goes before
// the host (e.g. -tt or -T).
func (s *served) sshCommand(key, user string, extra ...string) []string {
	args := []string{"ssh", "-F", "/dev/null", "-p", s.port, "-i", filepath.Join(s.dir, key), "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "LogLevel=ERROR"}
	return append(append(args, extra...), user+"@127.0.0.1")
}

// TestSSHServeWithOpenSSH drives rsatui serve with the real OpenSSH client in
// tmux: an admin key sets and clears emergency access, a viewer's key is
// refused every change, an unknown key and a command without a terminal are
// turned away, and SIGTERM ends a session with a notice.
func TestSSHServeWithOpenSSH(t *testing.T) {
	needSSH(t)
	bin := build(t)
	// the server inherits a core limit as large as allowed: it must lower it itself
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err == nil && lim.Max > 0 {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &lim)
	}
	s := serve(t, bin)
	// a long-running process holding passwords dumps no core
	if limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", s.cmd.Process.Pid)); err == nil {
		if !regexp.MustCompile(`(?m)^Max core file size\s+0\s+0\s`).Match(limits) {
			t.Errorf("rsatui serve may dump core:\n%s", limits)
		}
	}

	admin := run(t, 100, 30, []string{"TERM=xterm-256color"}, strings.Join(s.sshCommand("alice", "alice", "-tt"), " "))
	admin.wait("ADMIN", "ssh alice", screentest.PeopleFound)
	admin.keys("/jdoe")
	admin.wait("1 found", "John Doe")
	admin.keys("Enter")
	admin.wait("John Doe (jdoe)", screentest.EAOff)
	admin.keys("e")
	admin.checkCaller()
	admin.wait("Online emergency access for token")
	admin.keys("Enter")
	admin.wait("Please confirm", "GenerateEmergencyAccessCodeCommand")
	admin.keys("y")
	admin.wait("Emergency access is on for token", "* tokenLost")
	admin.keys("Enter")
	admin.wait(screentest.EAOn)
	admin.keys("x")
	admin.wait("End online emergency access")
	admin.keys("y")
	admin.wait("Emergency access ended for token", "no (was yes)")

	helpdesk := run(t, 100, 30, []string{"TERM=xterm-256color"}, strings.Join(s.sshCommand("bob", "bob", "-tt"), " "))
	helpdesk.wait("READ-ONLY", "VIEWER", "ssh bob")
	helpdesk.keys("/asmith")
	helpdesk.wait("1 found")
	helpdesk.keys("Enter")
	helpdesk.wait("Alice Smith (asmith)")
	helpdesk.keys("e")
	helpdesk.wait("read-only session: changes are disabled")
	helpdesk.keys("x")
	helpdesk.wait("read-only session: changes are disabled")

	out, err := exec.Command(s.sshCommand("eve", "eve", "-tt")[0], s.sshCommand("eve", "eve", "-tt")[1:]...).CombinedOutput()
	if exitCode(err) != 255 || !strings.Contains(string(out), "Permission denied (publickey)") {
		t.Errorf("unknown key: exit %d, %q", exitCode(err), out)
	}
	noPTY := s.sshCommand("alice", "alice", "-T")
	out, err = exec.Command(noPTY[0], noPTY[1:]...).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "needs a terminal: connect with ssh -t") {
		t.Errorf("no terminal: exit %d, %q", exitCode(err), out)
	}

	audit, _ := os.ReadFile(s.audit)
	// each change: its intent line, then its outcome line
	outcomes, intents := 0, 0
	for _, line := range strings.Split(string(audit), "\n") {
		if strings.Contains(line, `"ssh_user":"alice"`) {
			if strings.Contains(line, `"outcome":"intent"`) {
				intents++
			} else {
				outcomes++
			}
		}
	}
	if outcomes != 2 || intents != 2 || strings.Contains(string(audit), `"ssh_user":"bob"`) {
		t.Errorf("audit should hold alice's two changes (intent and outcome each) and nothing from bob:\n%s", audit)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	helpdesk.wait("rsatui serve is shutting down")
	helpdesk.wait("the server was shut down (maintenance)", "EXITED 0")
	admin.wait("the server was shut down (maintenance)", "EXITED 0")
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("rsatui serve exited with %v\n%s", err, s.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("rsatui serve did not exit after SIGTERM\n%s", s.stderr)
	}
	for _, want := range []string{"session start: alice", "role admin", "session start: bob", "role viewer",
		"refused key", "shutting down: telling 2 session(s)", "stopped"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("server log lacks %q:\n%s", want, s.stderr)
		}
	}
}

// TestSSHHelpdeskIssuesAQRCode is the new-phone call over rsatui serve at
// 80×24, through the real OpenSSH client in tmux: a help-desk key issues
// the person's software token and the QR code on the screen (captured from
// tmux, decoded by zbarimg) carries the activation code shown beside it; a
// viewer's key is refused.
func TestSSHHelpdeskIssuesAQRCode(t *testing.T) {
	needSSH(t)
	s := serve(t, build(t))
	hd := run(t, 80, 24, []string{"TERM=xterm-256color"}, strings.Join(s.sshCommand("carol", "carol", "-tt"), " "))
	hd.wait("HELPDESK", screentest.PeopleFound)
	hd.keys("/cmueller")
	hd.wait("1 found")
	hd.keys("Enter")
	hd.wait("Carol Müller (cmueller)")
	hd.keys("I")
	hd.checkCaller()
	hd.wait("Please confirm: issue a software token to cmueller", "Phone (QR code)")
	hd.keys("y")
	hd.wait("Software token issued", "Shown only now.")
	screen := hd.screen()
	got := qrtest.FromScreen(t, screen)
	code := qrtest.ActivationCode(screen)
	if len(code) != 12 || !strings.Contains(got, "activationCode="+code) {
		t.Fatalf("the QR code over SSH reads %q; the screen's code is %q\n%s", got, code, screen)
	}
	hd.keys("Enter")
	hd.wait("Carol Müller (cmueller)")

	viewer := run(t, 80, 24, []string{"TERM=xterm-256color"}, strings.Join(s.sshCommand("bob", "bob", "-tt"), " "))
	viewer.wait("VIEWER", screentest.PeopleFound)
	viewer.keys("/cmueller")
	viewer.wait("1 found")
	viewer.keys("Enter")
	viewer.wait("Carol Müller (cmueller)")
	viewer.keys("I")
	viewer.wait("read-only session: changes are disabled")

	audit, _ := os.ReadFile(s.audit)
	if !strings.Contains(string(audit), `"token.issue-software"`) || !strings.Contains(string(audit), `"ssh_user":"carol`) || strings.Contains(string(audit), code) {
		t.Errorf("the audit should hold carol's issue and not the code:\n%s", audit)
	}
}
