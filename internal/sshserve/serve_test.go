package sshserve_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/screentest"

	gossh "golang.org/x/crypto/ssh"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/sshserve"
)

func TestParseAuthorizedKeys(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	keys, err := sshserve.ParseAuthorizedKeys([]byte("# comment\n\n" + authorizedLine("admin", a, "alice") +
		authorizedLine("", b, "bob")))
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %+v", err, keys)
	}
	if keys[0].Role != rsa.RoleAdmin || !keys[0].Grant.Has(rsa.PermAssign) || keys[0].Comment != "alice" || keys[0].Line != 3 ||
		keys[0].Fingerprint != gossh.FingerprintSHA256(a.PublicKey()) {
		t.Errorf("admin key: %+v", keys[0])
	}
	if keys[1].Role != rsa.RoleViewer || !keys[1].Grant.None() {
		t.Errorf("a key without a role must be a viewer (changes nothing): %+v", keys[1])
	}
	// perms= narrows or widens a role, as the Help Desk portal's claims do
	keys, err = sshserve.ParseAuthorizedKeys([]byte(`perms="+token:assign,-token:lost-emergency-ott",` + authorizedLine("helpdesk", a, "h") +
		`perms="token:lost-emergency-end",` + authorizedLine("viewer", b, "v")))
	if err != nil {
		t.Fatal(err)
	}
	if g := keys[0].Grant; !g.Has(rsa.PermAssign) || g.Has(rsa.PermEmergencyOTT) || !g.Has(rsa.PermEmergencyTFT) || g.Has(rsa.PermDisable) {
		t.Errorf("helpdesk +assign -ott: %v", g.List())
	}
	if g := keys[1].Grant; len(g.List()) != 1 || !g.Has(rsa.PermEmergencyEnd) {
		t.Errorf("viewer with one permission: %v", g.List())
	}
	bad := map[string]string{
		"":                   "no keys",
		"# only a comment\n": "no keys",
		"not a key at all\n": "line 1: not a public key",
		strings.Replace(authorizedLine("root", a, "x"), "", "", 1):           `role "root"`,
		`from="10.0.0.0/8",` + authorizedLine("admin", a, "x"):               `option "from"`,
		authorizedLine("admin", a, "x") + authorizedLine("helpdesk", a, "y"): "already on line 1",
		// the last of two roles used to win: helpdesk,admin gave admin
		`role=helpdesk,` + authorizedLine("admin", a, "x"):                  "more than one role",
		`perms="token:fly",` + authorizedLine("helpdesk", a, "x"):           `permission "token:fly": want one of`,
		`perms="token:assign",perms="x",` + authorizedLine("admin", a, "x"): "more than one perms=",
	}
	for in, want := range bad {
		if _, err := sshserve.ParseAuthorizedKeys([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", in, err, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	f := start(t)
	for name, cfg := range map[string]sshserve.Config{
		"host-key":        {AuthorizedKeysPath: f.keysPath, Ops: f.st.Ops, Dir: f.st.Dir},
		"authorized-keys": {HostKeyPath: t.TempDir() + "/hk", Ops: f.st.Ops, Dir: f.st.Dir},
		"no such file":    {HostKeyPath: t.TempDir() + "/hk", AuthorizedKeysPath: t.TempDir() + "/missing", Ops: f.st.Ops, Dir: f.st.Dir},
	} {
		if _, err := sshserve.New(cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An admin key finds a person, sets a 14-day fixed code and ends it again;
// AM's state follows and the audit log names the SSH user and key.
func TestAdminSetsAndClearsEmergencyAccess(t *testing.T) {
	f := start(t)
	c := f.console(t, f.admin, "alice", 100, 30)
	c.wait("ADMIN", "ssh alice")
	c.toConfirm("jdoe", "John Doe")
	c.keys("y")
	c.wait("Emergency access is on for token")
	serial := f.st.DS.TokensOf("jdoe")[0]
	if st, _ := f.st.Sim.Token(serial); !st.Lost || st.EAMode != rsa.EAFixedCode {
		t.Fatalf("AM state after set: %+v", st)
	}
	c.keys("\x1b")
	c.wait("John Doe (jdoe)")
	c.keys("x")
	c.wait("Please confirm")
	c.keys("y")
	c.wait("Emergency access ended for token")
	if st, _ := f.st.Sim.Token(serial); st.Lost {
		t.Fatalf("AM state after clear: %+v", st)
	}
	entries, err := audit.Tail(f.auditPath, 10)
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit: %v %+v", err, entries)
	}
	fp := gossh.FingerprintSHA256(f.admin.PublicKey())
	for _, e := range entries {
		if e.SSHUser != "alice" || e.KeyFP != fp || e.Outcome != audit.OK {
			t.Errorf("audit line does not name the session: %+v", e)
		}
	}
}

// A viewer's key sees everything and changes nothing: the keys are refused
// on screen, and even a write that reached the operation layer would be.
func TestViewerCannotChange(t *testing.T) {
	f := start(t)
	c := f.console(t, f.viewer, "vera", 100, 30)
	c.wait("READ-ONLY", "VIEWER", "ssh vera")
	c.openTokens("jdoe", "John Doe")
	c.keys("e")
	c.wait("read-only session: changes are disabled")
	c.keys("\r")
	c.wait("serialNumber", "pinIsSet") // the detail pane still opens
	serial := f.st.DS.TokensOf("jdoe")[0]
	if st, _ := f.st.Sim.Token(serial); st.Lost {
		t.Fatal("a viewer's session changed a token")
	}
	if n := f.st.Sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"]; n != 0 {
		t.Fatalf("%d EA updates reached AM from a viewer's session", n)
	}
}

// A help-desk key does the help desk's work (emergency access) and not an
// admin's; the header names the role, with no READ-ONLY badge.
func TestHelpdeskGivesEmergencyAccess(t *testing.T) {
	f := start(t)
	c := f.console(t, f.helpdesk, "bob", 100, 30)
	c.wait("HELPDESK", "ssh bob")
	if strings.Contains(c.screen(), "READ-ONLY") {
		t.Fatal("a help-desk session is marked read-only")
	}
	c.openTokens("jdoe", "John Doe")
	c.wait("p clear the PIN")
	if strings.Contains(c.screen(), "disable / enable") || strings.Contains(c.screen(), "unassign") {
		t.Fatalf("a help-desk session is offered an admin's keys:\n%s", c.screen())
	}
	c.keys("d")
	c.wait("your rsatui role (helpdesk) may not disable tokens")
	c.keys("e")
	c.checkCaller()
	c.wait("Online emergency access for token")
	c.keys("\r")
	c.wait("Please confirm")
	c.keys("y")
	c.wait("Emergency access is on for token")
	if st, _ := f.st.Sim.Token(f.st.DS.TokensOf("jdoe")[0]); !st.Lost {
		t.Fatal("the help desk's emergency access did not reach AM")
	}
}

func TestUnknownKeyIsRejected(t *testing.T) {
	f := start(t)
	if _, err := f.dial(f.stranger, "eve"); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("stranger's key: %v", err)
	}
	if !strings.Contains(f.log.String(), "refused key "+gossh.FingerprintSHA256(f.stranger.PublicKey())) {
		t.Errorf("the refusal is not logged:\n%s", f.log)
	}
	// Removing a key from the file takes effect for the next connection.
	if err := os.WriteFile(f.keysPath, []byte(authorizedLine("helpdesk", f.helpdesk, "bob")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dial(f.admin, "alice"); err == nil {
		t.Fatal("a key removed from the file still gets in")
	}
	// A broken file lets no key in until it is fixed, and says so: it kept
	// the last good set, so a key removed in the same edit still got in.
	if err := os.WriteFile(f.keysPath, []byte("role=root garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dial(f.helpdesk, "bob"); err == nil {
		t.Fatal("a key got in on a broken keys file")
	}
	if !strings.Contains(f.log.String(), "no key is accepted until the file is fixed") {
		t.Errorf("the broken file is not reported:\n%s", f.log)
	}
	if err := os.WriteFile(f.keysPath, []byte(authorizedLine("helpdesk", f.helpdesk, "bob")), 0o600); err != nil {
		t.Fatal(err)
	}
	cl, err := f.dial(f.helpdesk, "bob")
	if err != nil {
		t.Fatalf("the fixed file does not let bob in: %v", err)
	}
	cl.Close()
}

// Without a terminal, or with a command, the session gets one line saying why.
func TestNonInteractiveSessionsAreRefused(t *testing.T) {
	f := start(t)
	for name, run := range map[string]func(*gossh.Session) ([]byte, error){
		"needs a terminal": func(s *gossh.Session) ([]byte, error) { return s.CombinedOutput("") },
		"no commands": func(s *gossh.Session) ([]byte, error) {
			if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
				return nil, err
			}
			return s.CombinedOutput("cat /etc/passwd")
		},
	} {
		cl, err := f.dial(f.admin, "alice")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := cl.NewSession()
		out, err := run(s)
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(string(out), name) {
			t.Errorf("%s: exit %v, output %q", name, err, out)
		}
		cl.Close()
	}
	if f.srv.Sessions() != 0 {
		t.Errorf("%d sessions left open", f.srv.Sessions())
	}
}

// Garbage on the port, absurd window sizes and a person who disconnects in
// the middle of a change leave the server running and other sessions
// untouched; the change is completed and audited.
func TestBadClientsLeaveOthersUntouched(t *testing.T) {
	f := start(t)
	f.st.Sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Delay, Delay: 400 * time.Millisecond})
	witness := f.console(t, f.helpdesk, "bob", 80, 24)
	witness.wait(screentest.PeopleFound)

	// garbage: not SSH at all, then a half handshake left hanging
	for _, junk := range []string{"GET / HTTP/1.1\r\n\r\n", "SSH-2.0-x\r\n\x00\x00\x00\xff\xff", strings.Repeat("\xff", 70000)} {
		conn, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte(junk))
		_ = conn.Close()
	}

	// windows of 1×1 and 10,000×10,000, and resizes to both
	tiny := f.console(t, f.admin, "alice", 1, 1)
	huge := f.console(t, f.admin, "alice", 10000, 10000)
	huge.waitOutput(" found") // drawn, clamped to 1000×400 (more than the test's terminal shows)
	tiny.wait("…")            // one cell: the header's first character cut
	// Resize only once the console is up: charm.land/ssh reads and writes the
	// session's window without a lock (charmbracelet/ssh#58, open), which
	// -race reports when a resize lands while the handler starts.
	for _, c := range []*console{tiny, huge} {
		if err := c.sess.WindowChange(10000, 10000); err != nil {
			t.Fatal(err)
		}
		if err := c.sess.WindowChange(1, 1); err != nil {
			t.Fatal(err)
		}
		if err := c.sess.WindowChange(0, 0); err != nil {
			t.Fatal(err)
		}
	}
	// each console has taken every resize in when it answers a key sent
	// after them: a window big enough to show the help, then ?
	for _, c := range []*console{tiny, huge} {
		if err := c.sess.WindowChange(80, 24); err != nil {
			t.Fatal(err)
		}
		c.keys("?")
	}
	tiny.waitOutput("Keys on this screen") // in what was sent: the test's terminal for tiny is 1×1
	huge.waitOutput("Keys on this screen")
	if n := f.srv.Sessions(); n != 3 {
		t.Fatalf("%d sessions after the bad window sizes, want 3", n)
	}

	// disconnect while a change is being sent
	leaver := f.console(t, f.admin, "carol", 100, 30)
	leaver.toConfirm("jdoe", "John Doe")
	leaver.keys("y")
	leaver.wait("a change, not cancellable")
	leaver.close()
	serial := f.st.DS.TokensOf("jdoe")[0]
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _ := audit.Tail(f.auditPath, 5)
		// until the outcome line is written, the intent reads as an unknown outcome
		if len(entries) == 1 && entries[0].Error != audit.NoOutcome {
			if st, _ := f.st.Sim.Token(serial); entries[0].Outcome != audit.OK || !st.Lost || entries[0].SSHUser != "carol" {
				t.Fatalf("the change of a person who left: audit %+v, AM %+v", entries[0], st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change of a person who left was never completed and audited")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// the witness still works
	witness.keys("/asmith")
	witness.wait("1 found", "Alice Smith")
	select {
	case err := <-f.served:
		t.Fatalf("the server stopped: %v", err)
	default:
	}
}

// Idle sessions end after the idle timeout, saying why; typing keeps a
// session open.
func TestIdleTimeout(t *testing.T) {
	f := start(t, func(c *sshserve.Config) { c.IdleTimeout = 1500 * time.Millisecond })
	idle := f.console(t, f.helpdesk, "bob", 80, 24)
	busy := f.console(t, f.helpdesk, "dave", 80, 24)
	idle.wait(screentest.PeopleFound)
	busy.wait(screentest.PeopleFound)
	// type for twice the idle timeout, each key once the last one shows
	busy.keys("/")
	stopTyping := time.Now().Add(3 * time.Second)
	for time.Now().Before(stopTyping) {
		busy.keys("a")
		busy.wait("/ a")
		busy.keys("\x7f")
		busy.wait("/ login, name, mail or token serial")
	}
	out, ok := idle.ended(2 * time.Second)
	if !ok || !strings.Contains(out, "session closed after 1.5s without a key press") {
		t.Fatalf("idle session: ended=%v, last output %q", ok, tail(out))
	}
	if _, ok := busy.ended(0); ok {
		t.Fatal("a session with key presses was closed as idle")
	}
}

// SIGTERM's Shutdown: people are told, no new change starts, a change already
// sent finishes and shows its result, then sessions close with a line saying
// why, and Shutdown returns.
func TestGracefulShutdown(t *testing.T) {
	f := start(t, func(c *sshserve.Config) { c.ShutdownNotice = time.Second })
	f.st.Sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Delay, Delay: 1500 * time.Millisecond})
	writer := f.console(t, f.admin, "alice", 100, 30)
	other := f.console(t, f.admin, "carol", 100, 30)
	for _, c := range []*console{writer, other} {
		c.toConfirm("jdoe", "John Doe")
	}
	writer.keys("y")
	writer.wait("a change, not cancellable")

	done := make(chan error, 1)
	begun := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- f.srv.Shutdown(ctx)
	}()
	other.wait("rsatui serve is shutting down")
	other.keys("y")
	other.wait("Not sent, nothing was changed")
	writer.wait("Emergency access is on for token") // the change in flight finished and shows
	if _, err := f.dial(f.helpdesk, "bob"); err == nil {
		t.Error("a new connection was accepted during the shutdown")
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(begun); d < time.Second {
		t.Errorf("sessions closed after %s, before the notice time", d)
	}
	for _, c := range []*console{writer, other} {
		out, ok := c.ended(2 * time.Second)
		if !ok || !strings.Contains(out, "the server was shut down") {
			t.Errorf("session end: ended=%v, output %q", ok, tail(out))
		}
	}
	entries, _ := audit.Tail(f.auditPath, 10)
	if len(entries) != 1 || entries[0].Outcome != audit.OK || entries[0].SSHUser != "alice" {
		t.Fatalf("audit after shutdown: %+v", entries)
	}
}

// Every change is in front of the shutdown, not emergency access alone
// (#29 item 5): a PIN clear sent before SIGTERM finishes, its outcome line
// is in the audit beside its intent, and only then does Shutdown return.
func TestShutdownWaitsForEveryWrite(t *testing.T) {
	f := start(t, func(c *sshserve.Config) { c.ShutdownNotice = 100 * time.Millisecond })
	f.st.Sim.Inject(amsim.Rule{Command: amproto.UpdateTokenCommand, Action: amsim.Delay, Delay: 1500 * time.Millisecond})
	w := f.console(t, f.admin, "alice", 100, 30)
	w.openTokens("jdoe", "John Doe")
	w.keys("p")
	w.wait("Please confirm: clear the PIN")
	sent := f.st.Sim.Arrived()
	w.keys("y")
	// the token read (two lookups), then the update: AM has the change
	if err := f.st.Sim.WaitArrived(context.Background(), sent+3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	entries, _ := audit.Tail(f.auditPath, 10)
	var outcomes []string
	for _, e := range entries {
		outcomes = append(outcomes, e.Operation+":"+e.Outcome)
	}
	if len(entries) != 1 || entries[0].Operation != "token.clear_pin" || entries[0].Outcome != audit.OK {
		t.Fatalf("after Shutdown returned, the audit holds %v: the PIN clear's outcome should be there", outcomes)
	}
	if st, _ := f.st.Sim.Token(f.st.DS.TokensOf("jdoe")[0]); st.PinSet {
		t.Fatal("the PIN clear did not land")
	}
}

// The server caps its sessions and says so to the one over the cap.
func TestMaxSessions(t *testing.T) {
	f := start(t, func(c *sshserve.Config) { c.MaxSessions = 2 })
	a := f.console(t, f.helpdesk, "a", 80, 24)
	b := f.console(t, f.helpdesk, "b", 80, 24)
	a.wait(screentest.PeopleFound)
	b.wait(screentest.PeopleFound)
	c := f.console(t, f.helpdesk, "c", 80, 24)
	out, ok := c.ended(5 * time.Second)
	if !ok || !strings.Contains(out, "all 2 sessions are in use") {
		t.Fatalf("third session: ended=%v %q", ok, tail(out))
	}
}

// Fifty people at once, each searching and opening a token, on one AM login
// and one directory connection. Under -race, ten (still concurrent, for the
// race detector); .ci/run runs the fifty without it.
func TestConcurrentSessionsLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	n := 50
	if raceEnabled {
		n = 10
	}
	f := start(t)
	logins := []string{"jdoe", "asmith", "cmueller", "eolsen"}
	names := []string{"John Doe", "Alice Smith", "Carol Müller", "Erik Olsen"}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	began := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			signer := f.helpdesk
			if i%2 == 0 {
				signer = f.admin
			}
			c, err := f.open(signer, "u"+string(rune('a'+i%26)), 90, 26)
			if err != nil {
				errs <- err
				return
			}
			defer c.close()
			login, name := logins[i%len(logins)], names[i%len(names)]
			steps := []struct {
				keys string
				want any
			}{{"", screentest.PeopleFound}, {"/" + login, "1 found"}, {"\r", name + " (" + login + ")"}, {"\r", "serialNumber"}}
			for _, s := range steps {
				c.keys(s.keys)
				if err := c.waitErr(30*time.Second, s.want); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d sessions searched and opened a token in %s", n, time.Since(began).Round(time.Millisecond))
	if logins := f.st.AM.Stats().Logins; logins != 1 {
		t.Errorf("%d AM logins for %d sessions, want 1", logins, n)
	}
	if n := f.st.Sim.Stats().Commands["GetIdentitySourcesCommand"]; n != 1 {
		t.Errorf("identity sources looked up %d times, want once", n)
	}
}

func tail(s string) string {
	if len(s) > 600 {
		return s[len(s)-600:]
	}
	return s
}

// A session reaching the maximum length is warned, then closed with the
// reason, even while its person keeps typing.
func TestMaxSessionLength(t *testing.T) {
	f := start(t, func(c *sshserve.Config) { c.MaxSession = 2 * time.Second })
	c := f.console(t, f.helpdesk, "bob", 100, 24)
	c.wait("This session reaches its maximum length in a minute")
	// keep typing (each key once the last one shows) until the session ends
	c.keys("/")
	deadline := time.Now().Add(5 * time.Second)
	for _, ok := c.ended(0); !ok && time.Now().Before(deadline); _, ok = c.ended(0) {
		// the session may end at any key: a write after it is refused
		_, _ = c.stdin.Write([]byte("a"))
		_ = c.waitErr(time.Second, "/ a")
		_, _ = c.stdin.Write([]byte("\x7f"))
		_ = c.waitErr(time.Second, "/ login, name, mail or token serial")
	}
	out, ok := c.ended(3 * time.Second)
	if !ok || !strings.Contains(out, "it reached the maximum length of 2s") {
		t.Fatalf("ended=%v, output %q", ok, tail(out))
	}
	if !strings.Contains(f.log.String(), "session end: bob") {
		t.Errorf("the end is not logged:\n%s", f.log)
	}
}

// TestUnusedRequestsAreRefused: agent forwarding and environment variables
// the console does not read are refused; NO_COLOR, which it reads, is not.
func TestUnusedRequestsAreRefused(t *testing.T) {
	f := start(t)
	client, err := f.dial(f.admin, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Setenv("LD_PRELOAD", "/tmp/x.so"); err == nil {
		t.Error("an unused environment variable was accepted")
	}
	if err := sess.Setenv("NO_COLOR", "1"); err != nil {
		t.Errorf("NO_COLOR refused: %v", err)
	}
	if ok, err := sess.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("agent forwarding: accepted=%v err=%v", ok, err)
	}
}

// The SSH user name is the client's: it is one line of serve's log,
// whatever it holds (a line feed in it forged a log line).
func TestUserNameCannotForgeLogLines(t *testing.T) {
	f := start(t)
	c := f.console(t, f.admin, "bob\nrsatui serve: session start: root key FAKE role admin", 80, 24)
	c.wait("people")
	for _, line := range strings.Split(f.log.String(), "\n") {
		if strings.HasPrefix(line, "rsatui serve: session start: root") {
			t.Fatalf("a forged line in the log:\n%s", f.log)
		}
	}
	if !strings.Contains(f.log.String(), "session start: bob\uFFFDrsatui serve") {
		t.Fatalf("the name is not in the log, escaped:\n%s", f.log)
	}
}
