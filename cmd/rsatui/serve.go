package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rsatui/rsatui/internal/textsafe"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/sshserve"
)

func newServeCmd() *cobra.Command {
	var (
		listen, hostKey, authKeys string
		idle, maxSession, notice  time.Duration
		maxSessions, demoUsers    int
		demoSeed                  uint64
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the console over SSH (public keys only, a role per key)",
		Long: `serve makes rsatui an SSH server: each connection gets its own console, so helpdesk
staff need no shell account on the jump host. Only public keys listed in the
authorized-keys file may connect; each key has a role option, and perms= may
narrow or widen it:

  role=admin ssh-ed25519 AAAA… alice@corp        everything
  role=helpdesk ssh-ed25519 AAAA… bob@corp       emergency access; not assign, unassign, enable/disable
  ssh-ed25519 AAAA… carol@corp                   no role: viewer, looks only
  role=helpdesk,perms="+token:disable" ssh-ed25519 AAAA… dan@corp

Roles are enforced in the operation layer, not only on screen. All sessions
share one AM login and one directory connection; the audit log names each
session's SSH user and key fingerprint. The file is read again when it changes.

Sessions close after --idle-timeout without a key press and after --max-session,
each saying so. On SIGTERM or Ctrl-C, sessions are told, no new change starts,
changes already sent finish and show their result, then the sessions close.`,
		Example: `  rsatui serve --listen 127.0.0.1:2222 --host-key /var/lib/rsatui/host_ed25519 --authorized-keys /etc/rsatui/authorized_keys
  ssh -t -p 2222 alice@jumphost`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			demoMode, _ := cmd.Flags().GetBool("demo")
			readOnly, _ := cmd.Flags().GetBool("read-only")
			if idle < time.Second || maxSession < time.Minute || notice < 0 || maxSessions < 1 {
				return usageErr("--idle-timeout ≥ 1s, --max-session ≥ 1m, --shutdown-notice ≥ 0 and --max-sessions ≥ 1, please")
			}
			// before any secret is read: no core dumps, not dumpable
			if err := harden(); err != nil {
				return &exitError{code: exitServer, err: fmt.Errorf("switching core dumps off: %w", err)}
			}
			console, err := consoleOptions(cmd)
			if err != nil {
				return err
			}
			// the keys first: a missing or broken keys file is said before
			// AM and the directory are connected to (or the demo started)
			if err := checkAuthorizedKeys(authKeys); err != nil {
				return err
			}
			b, err := openBackend(cmd, demoMode, demoSeed, demoUsers, readOnly)
			if err != nil {
				return err
			}
			defer b.close()
			console.PlanDir = planDir(b)
			// SSH user names and key comments come from clients: logged safely
			logger := log.New(textsafe.Writer{W: cmd.ErrOrStderr()}, "rsatui serve: ", log.LstdFlags)
			srv, err := sshserve.New(sshserve.Config{Listen: listen, HostKeyPath: hostKey, AuthorizedKeysPath: authKeys,
				Ops: b.ops, Dir: b.dir, Info: b.info, Console: console, IdleTimeout: idle, MaxSession: maxSession, ShutdownNotice: notice,
				MaxSessions: maxSessions, Logf: logger.Printf})
			if err != nil {
				return usageErr("%v", err)
			}
			perRole := srv.Keys()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &exitError{code: exitServer, err: fmt.Errorf("listen on %s: %w", listen, err)}
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "rsatui serve: listening on %s (ssh -t -p PORT user@host)\n", ln.Addr())
			fmt.Fprintf(out, "host key %s  %s\n", srv.HostKeyFingerprint(), hostKey)
			fmt.Fprintf(out, "authorized keys: %d admin, %d helpdesk, %d viewer (%s)\n",
				perRole[rsa.RoleAdmin], perRole[rsa.RoleHelpdesk], perRole[rsa.RoleViewer], authKeys)
			fmt.Fprintf(out, "AM %s · directory %s · audit %s\n", b.info.Server, b.info.Directory, b.ops.Audit.Path())
			select {
			case err := <-errc:
				if err != nil {
					return &exitError{code: exitServer, err: err}
				}
				return nil
			case <-ctx.Done():
			}
			stop() // a second Ctrl-C kills at once
			logger.Printf("shutting down: telling %d session(s); changes in flight finish first", srv.Sessions())
			// Writes have their own timeouts (a minute or two at worst); this
			// bounds the whole shutdown above that.
			sctx, cancel := context.WithTimeout(context.Background(), notice+3*time.Minute)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
				return &exitError{code: exitServer, err: err}
			}
			logger.Printf("stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2222", "address to listen on")
	f.StringVar(&hostKey, "host-key", "", "server private key (an ed25519 key is created there if missing)")
	f.StringVar(&authKeys, "authorized-keys", "", "authorized_keys file: role=admin|helpdesk|viewer (and perms=) before each key")
	f.DurationVar(&idle, "idle-timeout", 15*time.Minute, "close a session after this long without a key press")
	f.DurationVar(&maxSession, "max-session", 8*time.Hour, "close a session after this long in all")
	f.DurationVar(&notice, "shutdown-notice", 10*time.Second, "on SIGTERM, how long sessions are told before they close")
	f.IntVar(&maxSessions, "max-sessions", 100, "concurrent sessions at most")
	f.IntVar(&demoUsers, "demo-users", 200, "generated people in the demo data set (with --demo)")
	f.Uint64Var(&demoSeed, "demo-seed", 1, "seed of the demo data set (with --demo)")
	addTrafficFlag(cmd)
	return cmd
}

// checkAuthorizedKeys reads and parses the keys file as the server will.
func checkAuthorizedKeys(path string) error {
	if path == "" {
		return usageErr("--authorized-keys is required: the keys that may connect, each with role=admin, role=helpdesk or role=viewer")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErr("--authorized-keys %s: %v", path, err)
	}
	if _, err := sshserve.ParseAuthorizedKeys(data); err != nil {
		return usageErr("--authorized-keys %s: %v", path, err)
	}
	return nil
}
