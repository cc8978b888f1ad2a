package sshserve_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/screentest"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/sshserve"
	"github.com/rsatui/rsatui/internal/ui"
	"github.com/rsatui/rsatui/internal/verify"
)

// fixture is a running rsatui SSH server on the demo stack, with three client
// keys: an admin's, a help desk's, a viewer's and a stranger's.
type fixture struct {
	st                                *stack.Stack
	srv                               *sshserve.Server
	addr                              string
	admin, helpdesk, viewer, stranger gossh.Signer
	keysPath, auditPath               string
	log                               *syncBuffer
	served                            chan error
}

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorizedLine(role string, s gossh.Signer, comment string) string {
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment
	if role != "" {
		line = "role=" + role + " " + line
	}
	return line + "\n"
}

func start(t testing.TB, mutate ...func(*sshserve.Config)) *fixture {
	t.Helper()
	return startOn(t, stack.Options{Seed: 1, Users: 30}, mutate...)
}

// startOn is start on a data set of its own.
func startOn(t testing.TB, opt stack.Options, mutate ...func(*sshserve.Config)) *fixture {
	t.Helper()
	st := stacktest.Start(t, opt)
	dir := t.TempDir()
	f := &fixture{st: st, admin: newSigner(t), helpdesk: newSigner(t), viewer: newSigner(t), stranger: newSigner(t),
		keysPath: filepath.Join(dir, "authorized_keys"), auditPath: filepath.Join(dir, "audit.jsonl"), log: &syncBuffer{}}
	keys := "# rsatui serve keys\n" + authorizedLine("admin", f.admin, "alice@corp") + authorizedLine("helpdesk", f.helpdesk, "bob@corp") +
		authorizedLine("viewer", f.viewer, "vera@corp")
	if err := os.WriteFile(f.keysPath, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if st.Ops.Audit, err = audit.Open(f.auditPath); err != nil {
		t.Fatal(err)
	}
	// the default caller policy, as rsatui serve runs with: privileged
	// is the directory's groups
	def := verify.Default()
	st.Ops.Policy = &def
	st.Ops.Privileged = def.PrivilegedBy(st.Dir.Lookup)
	info := ui.Info{Server: strings.TrimPrefix(st.AMURL, "https://"), Directory: st.DirURL, IdentitySource: demo.IdentitySourceName, Admin: st.Admin}
	cfg := sshserve.Config{Info: info, HostKeyPath: filepath.Join(dir, "host_ed25519"), AuthorizedKeysPath: f.keysPath,
		Ops: st.Ops, Dir: st.Dir, ShutdownNotice: 300 * time.Millisecond,
		Logf: func(format string, args ...any) { fmt.Fprintf(f.log, format+"\n", args...) }}
	for _, m := range mutate {
		m(&cfg)
	}
	f.srv, err = sshserve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.served = make(chan error, 1)
	go func() { f.served <- f.srv.Serve(ln) }()
	t.Cleanup(func() { _ = f.srv.Close() })
	return f
}

func (f *fixture) dial(signer gossh.Signer, user string) (*gossh.Client, error) {
	return dial(f.addr, signer, user)
}

func dial(addr string, signer gossh.Signer, user string) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), //nolint:gosec // the test's own server on loopback
		Timeout:         5 * time.Second})
}

// console is one person's SSH session with a terminal emulator as the screen
// (at most 300×100: the emulator is the test's, not the server's, memory).
type console struct {
	t      testing.TB
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser
	termMu sync.Mutex // vt's SafeEmulator does not guard String
	term   *vt.Emulator
	out    *syncBuffer // everything the server sent, for the lines after the console ends
	done   chan struct{}
	got    chan struct{} // signalled on each chunk of output (benchmarks)
	raw    atomic.Bool   // skip the emulator (benchmarks)
}

func (f *fixture) console(t testing.TB, signer gossh.Signer, user string, w, h int) *console {
	t.Helper()
	c, err := f.open(signer, user, w, h)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(c.close)
	return c
}

func (f *fixture) open(signer gossh.Signer, user string, w, h int) (*console, error) {
	return open(f.addr, signer, user, w, h)
}

// open connects and starts a console session of w×h.
func open(addr string, signer gossh.Signer, user string, w, h int) (*console, error) {
	client, err := dial(addr, signer, user)
	if err != nil {
		return nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		client.Close()
		return nil, err
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		client.Close()
		return nil, err
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	stderr, _ := sess.StderrPipe()
	c := &console{client: client, sess: sess, stdin: stdin, term: vt.NewEmulator(min(max(w, 1), 300), min(max(h, 1), 100)), out: &syncBuffer{}, done: make(chan struct{}), got: make(chan struct{}, 1)}
	if err := sess.Shell(); err != nil {
		client.Close()
		return nil, err
	}
	var readers sync.WaitGroup // done closes when stdout and stderr both ended
	readers.Add(2)
	go func() { readers.Wait(); close(c.done) }()
	go func() { defer readers.Done(); _, _ = io.Copy(c.out, stderr) }() // refusals come on stderr, as OpenSSH shows them
	go func() {                                                         // the terminal's answers to the console's queries go back as input
		buf := make([]byte, 256)
		for {
			n, err := c.term.Read(buf)
			if err != nil {
				return
			}
			_, _ = stdin.Write(buf[:n])
		}
	}()
	go func() {
		defer readers.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				select { // first: the arrival is what benchmarks time
				case c.got <- struct{}{}:
				default:
				}
				if c.raw.Load() {
					continue // benchmark: no emulator work competing with the server for CPU
				}
				c.termMu.Lock()
				_, _ = c.term.Write(buf[:n])
				c.termMu.Unlock()
				_, _ = c.out.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

func (c *console) close() {
	_ = c.client.Close()
	// Ends the answer-forwarding goroutine's Read; Emulator.Close would race
	// with it on vt's unguarded closed flag.
	if pw, ok := c.term.InputPipe().(io.Closer); ok {
		_ = pw.Close()
	}
}

func (c *console) screen() string {
	c.termMu.Lock()
	defer c.termMu.Unlock()
	return c.term.String()
}

func (c *console) keys(s string) {
	if _, err := c.stdin.Write([]byte(s)); err != nil && c.t != nil {
		c.t.Errorf("typing %q: %v", s, err)
	}
}

// wait polls the screen until it shows every want.
func (c *console) wait(want ...any) {
	c.t.Helper()
	if err := c.waitErr(10*time.Second, want...); err != nil {
		c.t.Fatal(err)
	}
}

// waitOutput waits for want in what the server sent, not on the screen: for
// a window bigger than the test's terminal (300×100), whose lines wrap there
// and scramble the screen. It waits longer than wait: drawing a 1000×400
// window takes the server seconds under the race detector on a busy machine.
func (c *console) waitOutput(want string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.out.String(), want) {
		if time.Now().After(deadline) {
			c.t.Fatalf("the server never sent %q", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitErr waits until the screen shows every want exactly (screentest:
// "found" is not satisfied by "not found").
func (c *console) waitErr(d time.Duration, want ...any) error {
	deadline := time.Now().Add(d)
	for {
		scr := c.screen()
		missing := screentest.Missing(scr, want...)
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("screen never showed %s; it shows:\n%s", strings.Join(missing, ", "), scr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openTokens searches a login and opens the person's tokens.
func (c *console) openTokens(login, name string) {
	c.t.Helper()
	c.wait(screentest.PeopleFound)
	c.keys("/" + login) // the cursor into the search box, the login
	c.wait("1 found")
	c.keys("\r")
	c.wait(name + " (" + login + ")")
}

// toConfirm opens the emergency-access form on the person's first token and
// submits its defaults (a generated fixed code for 14 days), stopping at the
// confirm dialog.
func (c *console) toConfirm(login, name string) {
	c.t.Helper()
	c.openTokens(login, name)
	c.keys("e")
	c.checkCaller()
	c.wait("Online emergency access for token")
	c.keys("\r")
	c.wait("Please confirm")
}

// checkCaller passes the checks of the caller the default policy asks
// for before a code: the call back ticked (space), a ticket typed.
func (c *console) checkCaller() {
	c.t.Helper()
	c.wait("Who is calling?", "[ ] Call back")
	c.keys(" ")
	c.keys("\x1b[B")
	c.keys("INC4711")
	c.wait("[x] Call back", "[x] Ticket")
	c.keys("\r")
}

// ended waits for the server to end the session and returns all it sent.
func (c *console) ended(d time.Duration) (string, bool) {
	select {
	case <-c.done:
		return c.out.String(), true
	case <-time.After(d):
		return c.out.String(), false
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
