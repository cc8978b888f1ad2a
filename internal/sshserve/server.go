// Package sshserve serves the rsatui console over SSH (rsatui serve), so
// helpdesk staff need no shell account on the jump host. It is wish (charm's
// SSH server) with bubbletea middleware, plus what an admin console needs:
// roles per key enforced in the operation layer, one shared AM client and
// directory connection for every session, idle and maximum session lengths
// that tell the person why their session ended, and a shutdown that lets
// changes in flight finish before the sessions close.
package sshserve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/rsatui/rsatui/internal/ui"
	"github.com/rsatui/rsatui/internal/verify"
)

// Config is one SSH server.
type Config struct {
	// Listen is host:port (rsatui serve refuses to guess a public address).
	Listen string
	// HostKeyPath is the server's private key; an ed25519 key is created
	// there (0600) when the file does not exist.
	HostKeyPath string
	// AuthorizedKeysPath lists the keys that may connect, each with its role.
	AuthorizedKeysPath string

	// Ops are the server's AM operations (its one client and audit log); each
	// session gets Ops.For(its person, its role).
	Ops *rsa.Ops
	// Dir is the shared directory connection.
	Dir ui.Directory
	// Info is the header every session starts from.
	Info ui.Info
	// Console is every session's console settings (zone, keys); each
	// session's NO_COLOR is its own.
	Console ui.Options

	// IdleTimeout closes a session after this long without a key press
	// (default 15 min); MaxSession closes it after this long in all
	// (default 8 h). Both say so on screen first.
	IdleTimeout, MaxSession time.Duration
	// ShutdownNotice is how long sessions are told before a shutdown closes
	// them (default 10 s); changes in flight are waited for beyond it.
	ShutdownNotice time.Duration
	// MaxSessions caps concurrent sessions (default 100).
	MaxSessions int
	// Approvals is the board of requests for a second admin every session
	// shares ([approve]); nil: New makes one from the policy's expiry,
	// recording each request in Ops' audit log.
	Approvals *approval.Board
	// Logf receives connection events (who, which key, which role, why a
	// session ended) — never keystrokes, which carry tokencodes.
	Logf func(format string, args ...any)
}

// Limits of the window a session may claim: a client saying 10,000×10,000
// must not make the server allocate and render a hundred million cells.
const (
	maxCols = 1000
	maxRows = 400
)

// ErrClosing is what a change started during a shutdown gets: nothing was sent.
var ErrClosing = fmt.Errorf("%w: not sent: rsatui serve is shutting down and takes no new changes; nothing was changed — reconnect when it is back", rsa.ErrRule)

// Server is a running rsatui SSH server.
type Server struct {
	cfg    Config
	keys   *keyring
	ssh    *ssh.Server
	osUser string

	mu       sync.Mutex
	sessions map[*session]struct{}
	closing  bool
	writes   sync.WaitGroup
	inFlight atomic.Int64

	stop chan struct{} // ends the janitor
	done sync.Once
}

// session is one connected person.
type session struct {
	user, remote string
	key          Key
	started      time.Time
	lastInput    atomic.Int64 // unix nanoseconds of the last key press
	program      atomic.Pointer[tea.Program]
	warned       atomic.Bool   // told the maximum session length is near
	reason       atomic.Value  // string: why the server ended it
	ended        chan struct{} // closed when the handler returns
}

// New checks the configuration, reads the authorized keys and the host key,
// and builds the server; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Ops == nil || cfg.Dir == nil {
		return nil, errors.New("sshserve: Ops and Dir are required")
	}
	if cfg.HostKeyPath == "" {
		return nil, errors.New("--host-key is required: the file holding (or to hold) the server's private key")
	}
	if cfg.AuthorizedKeysPath == "" {
		return nil, errors.New("--authorized-keys is required: the keys that may connect, each with role=admin, role=helpdesk or role=viewer")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.MaxSession <= 0 {
		cfg.MaxSession = 8 * time.Hour
	}
	if cfg.ShutdownNotice <= 0 {
		cfg.ShutdownNotice = 10 * time.Second
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 100
	}
	if cfg.Console.Activity == nil {
		// one poller for every session: fifty dashboards, one poll an interval
		cfg.Console.Activity = activity.New(cfg.Ops, activity.DefaultInterval, cfg.Console.Now)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Approvals == nil {
		// one board: a request asked in one session is decided in another
		cfg.Approvals = approval.New(cmp.Or(cfg.Ops.CallerPolicy().Approve.Expires, verify.DefaultExpiry), time.Now, approval.AuditTo(cfg.Ops))
	}
	keys, err := loadKeyring(cfg.AuthorizedKeysPath, cfg.Logf)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, keys: keys, sessions: map[*session]struct{}{}, stop: make(chan struct{}), osUser: audit.CurrentUser()}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Listen),
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, k ssh.PublicKey) bool {
			_, ok := s.keys.lookup(k)
			if !ok {
				cfg.Logf("refused key %s for %q from %s: not in %s", gossh.FingerprintSHA256(k), ctx.User(), ctx.RemoteAddr(), cfg.AuthorizedKeysPath)
			}
			return ok
		}),
		wish.WithMiddleware(recover.MiddlewareWithLogger(logger{cfg.Logf},
			bm.MiddlewareWithProgramHandler(s.program),
			s.admit, // runs first: refuses what is not an interactive console session
		)),
	)
	if err != nil {
		return nil, fmt.Errorf("SSH server (host key %s): %w", cfg.HostKeyPath, err)
	}
	// Network-level backstops; the session-level limits above come first and
	// explain themselves. A client that sends nothing may not hold a
	// connection before authenticating.
	srv.HandshakeTimeout = 15 * time.Second
	srv.MaxTimeout = cfg.MaxSession + cfg.ShutdownNotice + time.Minute
	failures := &failureLog{logf: cfg.Logf, every: 10 * time.Second, now: time.Now}
	srv.ConnectionFailedCallback = func(conn net.Conn, err error) {
		failures.log(conn.RemoteAddr().String(), err)
	}
	// sessions only (no port forwarding, no other channel types), and
	// within them only the requests the console uses
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": func(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
		ssh.DefaultSessionHandler(srv, conn, filteredChannel{nc}, ctx)
	}}
	s.ssh = srv
	return s, nil
}

// consoleEnv are the environment variables a client may send (SendEnv):
// those the console reads for colours and the character set. Others are
// refused: nothing would use them.
var consoleEnv = map[string]bool{"NO_COLOR": true, "COLORTERM": true, "CLICOLOR": true, "CLICOLOR_FORCE": true,
	"LANG": true, "LC_ALL": true, "LC_CTYPE": true}

// filteredChannel is a session channel whose requests pass through
// allowedRequest first: agent forwarding and environment variables the
// console does not use are refused here, before the library's session
// handler (which accepts them all) sees them.
type filteredChannel struct{ gossh.NewChannel }

func (f filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		for req := range reqs {
			if !allowedRequest(req) {
				if req.WantReply {
					_ = req.Reply(false, nil)
				}
				continue
			}
			out <- req
		}
	}()
	return ch, out, nil
}

func allowedRequest(req *gossh.Request) bool {
	switch req.Type {
	case "auth-agent-req@openssh.com", "x11-req":
		return false
	case "env":
		var kv struct{ Key, Value string }
		if gossh.Unmarshal(req.Payload, &kv) != nil {
			return false
		}
		return consoleEnv[kv.Key]
	}
	return true
}

// HostKeyFingerprint is the server key's SHA256 fingerprint, for people to
// check on their first connection.
func (s *Server) HostKeyFingerprint() string {
	data, err := os.ReadFile(s.cfg.HostKeyPath)
	if err != nil {
		return "unknown"
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return "unknown"
	}
	return gossh.FingerprintSHA256(signer.PublicKey())
}

// Keys is the number of authorized keys per role.
func (s *Server) Keys() map[rsa.Role]int { return s.keys.count() }

// Sessions is the number of connected sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	go s.janitor()
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server at once, ending every session without notice (use
// Shutdown for people).
func (s *Server) Close() error {
	s.done.Do(func() { close(s.stop) })
	return s.ssh.Close()
}

// admit turns away what rsatui serve does not offer, each with one line
// that says why, and records the session.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		key, ok := s.keys.lookup(sess.PublicKey()) // the key that authenticated, looked up again
		if !ok {
			wish.Fatalln(sess, "rsatui serve: your key is no longer authorized.")
			return
		}
		if _, _, pty := sess.Pty(); !pty {
			wish.Fatalln(sess, "rsatui serve: this is an interactive console and needs a terminal: connect with ssh -t (scripts: run the rsatui verbs on a host instead).")
			return
		}
		if len(sess.Command()) > 0 || sess.Subsystem() != "" {
			wish.Fatalln(sess, "rsatui serve: runs only the console, no commands: connect without one.")
			return
		}
		se := &session{user: sess.User(), remote: sess.RemoteAddr().String(), key: key, started: time.Now(), ended: make(chan struct{})}
		se.lastInput.Store(se.started.UnixNano())
		s.mu.Lock()
		switch {
		case s.closing:
			s.mu.Unlock()
			wish.Fatalln(sess, "rsatui serve is shutting down; try again in a minute.")
			return
		case len(s.sessions) >= s.cfg.MaxSessions:
			s.mu.Unlock()
			s.cfg.Logf("refused %s (%s): %d sessions already open", textsafe.Line(se.user), key.Fingerprint, s.cfg.MaxSessions)
			wish.Fatalln(sess, fmt.Sprintf("rsatui serve: all %d sessions are in use; try again shortly.", s.cfg.MaxSessions))
			return
		}
		s.sessions[se] = struct{}{}
		s.mu.Unlock()
		// the user name is the client's: one line of the log, whatever it holds
		s.cfg.Logf("session start: %s key %s role %s (may: %s) from %s", textsafe.Line(se.user), key.Fingerprint, key.Role, grantWords(key.Grant), se.remote)

		// Deferred, so a panic in the console (recovered below us) still
		// frees the slot and tells the person.
		defer func() {
			s.mu.Lock()
			delete(s.sessions, se)
			s.mu.Unlock()
			close(se.ended)
			reason, _ := se.reason.Load().(string)
			if reason == "" {
				reason = "the person quit"
			} else {
				// The console has left the alternate screen: this line stays
				// in the person's terminal.
				wish.Println(sess, "rsatui serve: "+reason)
			}
			s.cfg.Logf("session end: %s key %s after %s: %s", textsafe.Line(se.user), key.Fingerprint, time.Since(se.started).Round(time.Second), reason)
			_ = sess.Exit(0)
		}()
		sess.Context().SetValue(sessionKey{}, se)
		next(sess)
	}
}

type sessionKey struct{}

// program builds the console for one session: its own model over shared
// clients, its role's operations, its window size (clamped) and colours.
func (s *Server) program(sess ssh.Session) *tea.Program {
	se, _ := sess.Context().Value(sessionKey{}).(*session)
	if se == nil {
		return nil
	}
	actor := rsa.Actor{OSUser: s.osUser, SSHUser: se.user, KeyFP: se.key.Fingerprint}
	ops := s.cfg.Ops.For(actor, se.key.Grant)
	ops.Writes = writeGate{srv: s}
	info := s.cfg.Info
	info.Role, info.User, info.ReadOnly = string(se.key.Role), se.user, ops.ReadOnly
	env := sess.Environ()
	opt := s.cfg.Console
	opt.NoColor = hasEnv(env, "NO_COLOR")
	opt.Context = sess.Context() // the session's screens stop watching when it ends (and its requests are withdrawn)
	opt.Approvals = s.cfg.Approvals
	m := ui.New(s.cfg.Dir, ops, info, opt)
	pty, _, _ := sess.Pty()
	w, h := clamp(pty.Window.Width, pty.Window.Height)
	opts := append(bm.MakeOptions(sess),
		// The server's SIGTERM is Shutdown's to handle, not every console's.
		tea.WithoutSignalHandler(),
		tea.WithWindowSize(w, h),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			switch msg := msg.(type) {
			case tea.SuspendMsg: // there is no shell to suspend to
				return tea.ResumeMsg{}
			case tea.WindowSizeMsg:
				msg.Width, msg.Height = clamp(msg.Width, msg.Height)
				return msg
			case tea.KeyPressMsg, tea.PasteMsg, tea.MouseClickMsg:
				se.lastInput.Store(time.Now().UnixNano())
			}
			return msg
		}))
	p := tea.NewProgram(m, opts...)
	se.program.Store(p)
	return p
}

func clamp(w, h int) (int, int) {
	return min(max(w, 1), maxCols), min(max(h, 1), maxRows)
}

func hasEnv(env []string, name string) bool {
	for _, e := range env {
		if k, v, _ := strings.Cut(e, "="); k == name && v != "" {
			return true
		}
	}
	return false
}

// writeGate puts the server's shutdown in front of every change of every
// session (rsa.Ops.Writes): none starts once a shutdown began, and the
// shutdown waits for the ones under way, their outcome lines included. It
// was in front of emergency access alone: a PIN clear in flight landed in
// AM with only its intent in the audit, while the screen said confirmed
// changes were done.
type writeGate struct{ srv *Server }

func (g writeGate) Begin() (func(), error) { return g.srv.beginWrite() }

func (s *Server) beginWrite() (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrClosing
	}
	s.writes.Add(1)
	s.inFlight.Add(1)
	return func() { s.inFlight.Add(-1); s.writes.Done() }, nil
}

// end asks a session's console to quit and says why once it has.
func (se *session) end(reason string) {
	se.reason.CompareAndSwap(nil, reason)
	if p := se.program.Load(); p != nil {
		p.Quit()
	}
}

// notify shows a notice in a session's console without blocking the caller
// (Send waits for a program that has not started yet).
func (se *session) notify(n ui.Notice) {
	if p := se.program.Load(); p != nil {
		go func() {
			select {
			case <-se.ended:
			default:
				p.Send(n)
			}
		}()
	}
}

// asks reports whether one of the waiting requests is this session's
// person's (their key and SSH user).
func (se *session) asks(waiting []approval.Request) bool {
	for _, r := range waiting {
		if r.By.KeyFP == se.key.Fingerprint && r.By.SSHUser == se.user {
			return true
		}
	}
	return false
}

// janitor ends idle and overlong sessions, each with a notice first.
func (s *Server) janitor() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			s.mu.Lock()
			all := make([]*session, 0, len(s.sessions))
			for se := range s.sessions {
				all = append(all, se)
			}
			s.mu.Unlock()
			waiting := s.cfg.Approvals.Waiting()
			for _, se := range all {
				if se.asks(waiting) {
					// waiting for a second admin is not idleness: the
					// request's own expiry bounds it, and the idle clock
					// starts again once it is decided
					se.lastInput.Store(now.UnixNano())
				}
				idle := now.Sub(time.Unix(0, se.lastInput.Load()))
				age := now.Sub(se.started)
				switch {
				case idle >= s.cfg.IdleTimeout:
					se.end(fmt.Sprintf("session closed after %s without a key press; connect again to continue.", s.cfg.IdleTimeout))
				case age >= s.cfg.MaxSession:
					se.end(fmt.Sprintf("session closed: it reached the maximum length of %s; connect again to continue.", s.cfg.MaxSession))
				case age >= s.cfg.MaxSession-time.Minute && se.warned.CompareAndSwap(false, true):
					se.notify(ui.Notice{Text: "This session reaches its maximum length in a minute: finish what you are doing."})
				}
			}
		}
	}
}

// Shutdown stops accepting connections, tells every session, refuses new
// changes, waits for the changes already sent (they finish and their result
// shows), gives people ShutdownNotice to read it, then closes the sessions.
// When ctx ends first, the sessions are closed anyway and the error says how
// many changes were still in flight (the audit log has their outcome).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	all := make([]*session, 0, len(s.sessions))
	for se := range s.sessions {
		all = append(all, se)
	}
	s.mu.Unlock()
	s.done.Do(func() { close(s.stop) })

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- s.ssh.Shutdown(ctx) }() // closes the listener, waits for connections

	deadline := time.Now().Add(s.cfg.ShutdownNotice)
	text := fmt.Sprintf("rsatui serve is shutting down: changes already sent finish; this session closes at %s.", deadline.Format("15:04:05"))
	for _, se := range all {
		se.notify(ui.Notice{Text: text, Closing: true})
	}
	writesDone := make(chan struct{})
	hadWrites := s.inFlight.Load() > 0
	go func() { s.writes.Wait(); close(writesDone) }()
	var err error
	select {
	case <-writesDone:
		if len(all) == 0 {
			break // nobody to tell
		}
		if hadWrites {
			// a change finished just now: its result gets the full notice time on screen
			deadline = time.Now().Add(s.cfg.ShutdownNotice)
		}
		select {
		case <-time.After(time.Until(deadline)):
		case <-ctx.Done():
		}
	case <-ctx.Done():
		if n := s.inFlight.Load(); n > 0 {
			err = fmt.Errorf("shut down with %d change(s) still in flight: their outcome is in the audit log", n)
		}
	}
	for _, se := range all {
		se.end("the server was shut down (maintenance); your session ended. Changes you saw confirmed are done.")
	}
	// Every session has ended; a client that keeps its connection open with
	// nothing on it gets a moment, then is cut.
	select {
	case e := <-shutdownDone:
		if err == nil && e != nil && !errors.Is(e, ssh.ErrServerClosed) {
			err = e
		}
	case <-time.After(3 * time.Second):
		_ = s.ssh.Close()
	case <-ctx.Done():
		_ = s.ssh.Close()
	}
	return err
}

// logger adapts Logf for wish's recover middleware.
type logger struct{ logf func(string, ...any) }

func (l logger) Printf(format string, args ...any) { l.logf(format, args...) }

// failureLog logs failed connections (port scans, half handshakes, garbage)
// at most once an interval, saying how many it left out since: a flood of
// them must not flood the log or the disk.
type failureLog struct {
	logf   func(format string, args ...any)
	every  time.Duration
	now    func() time.Time
	mu     sync.Mutex
	last   time.Time
	hidden int
}

func (f *failureLog) log(remote string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if !f.last.IsZero() && now.Sub(f.last) < f.every {
		f.hidden++
		return
	}
	more := ""
	if f.hidden > 0 {
		more = fmt.Sprintf(" (and %d more failed connections in the last %s)", f.hidden, now.Sub(f.last).Round(time.Second))
	}
	f.last, f.hidden = now, 0
	f.logf("connection from %s failed: %v%s", remote, err, more)
}

// grantWords lists what a key may do, for the log.
func grantWords(g rsa.Grant) string {
	if g.None() {
		return "look only"
	}
	ps := g.List()
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}
