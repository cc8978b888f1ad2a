package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/rsatui/rsatui/internal/verify"
)

// exitCode maps an error to the stable exit codes: 1 usage, 2 not found,
// 3 refused by a rule, 4 server or network, 5 outcome unknown.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, rsa.ErrInvalidInput), errors.Is(err, ad.ErrQueryTooLong), errors.Is(err, ad.ErrInvalidQuery):
		return exitUsage
	case errors.Is(err, rsa.ErrNotInAM), errors.Is(err, rsa.ErrNotFound), errors.Is(err, ad.ErrNotFound):
		return exitNotFound
	case errors.Is(err, rsa.ErrRule), errors.Is(err, rsa.ErrTokenNotReady), errors.Is(err, rsa.ErrReadOnly), errors.Is(err, rsa.ErrNotPermitted),
		errors.Is(err, rsa.ErrInvalidArgument), errors.Is(err, rsa.ErrInsufficientPrivilege), errors.Is(err, rsa.ErrAmbiguous),
		errors.Is(err, rsa.ErrConcurrentUpdate), errors.Is(err, rsa.ErrNotVerified), errors.Is(err, rsa.ErrNeedsApproval), errors.Is(err, rsa.ErrFlood):
		return exitRefused
	case errors.Is(err, rsa.ErrOutcomeUnknown):
		return exitUnknown
	}
	return exitServer
}

// verbErr wraps an operation error with its exit code and plain words.
func verbErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	msg := rsa.Explain(err)
	if ad.IsDirectoryError(err) {
		msg = ad.Explain(err)
	}
	if msg != err.Error() && !strings.Contains(err.Error(), msg) {
		msg = err.Error() + "\n  " + msg
	}
	return &exitError{code: exitCode(err), err: errors.New(msg)}
}

// opened is the backend of one verb run.
type opened struct {
	*backend
	json bool
	out  io.Writer
}

// open builds the backend a verb needs (demo or real), with the audit log.
func open(cmd *cobra.Command, needDir bool) (*opened, error) {
	if err := verbZone(cmd); err != nil {
		return nil, err
	}
	// before any secret is read, as serve and the console: activity
	// --follow runs for hours with the passwords in its environment
	if err := harden(); err != nil {
		return nil, &exitError{code: exitServer, err: fmt.Errorf("switching core dumps off: %w", err)}
	}
	demoMode, _ := cmd.Flags().GetBool("demo")
	readOnly, _ := cmd.Flags().GetBool("read-only")
	asJSON, _ := cmd.Flags().GetBool("json")
	var b *backend
	var err error
	if demoMode {
		b, err = demoBackend(1, 200, readOnly, 0)
		if err != nil {
			return nil, &exitError{code: exitServer, err: err}
		}
		// each --demo verb starts its own simulator: say so, or "ea set"
		// followed by "ea show" looks like a change that did not hold
		fmt.Fprintln(cmd.ErrOrStderr(), "rsatui: --demo: a fresh simulator for this one command; what it changes is gone when it ends (rsatui sim keeps one running for several commands)")
	} else if b, err = connect(cmd, readOnly, needDir); err != nil {
		return nil, err
	}
	if err := attachAudit(cmd, b); err != nil {
		b.close()
		return nil, err
	}
	if err := attachPolicy(cmd, b); err != nil {
		b.close()
		return nil, err
	}
	return &opened{backend: b, json: asJSON, out: cmd.OutOrStdout()}, nil
}

// attachAudit opens the audit log (--audit-log, RSATUI_AUDIT_LOG, or the XDG
// default) and names who is acting.
func attachAudit(cmd *cobra.Command, b *backend) error {
	path, _ := cmd.Flags().GetString("audit-log")
	if path == "" {
		path = os.Getenv("RSATUI_AUDIT_LOG")
	}
	if path == "" {
		path = audit.DefaultPath()
	}
	log, err := audit.Open(path)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	// every line names the AM (host and port only) and marks --demo
	log.Endpoint, log.Demo = b.info.Server, b.info.Demo
	c, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if target := c["audit-syslog"]; target != "" {
		fwd, err := audit.NewForwarder(log.Path(), target)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		// a failure is said, never in the way: the lines stay in the file
		// and the next forward sends them
		stderr := cmd.ErrOrStderr()
		var held atomic.Value
		fwd.OnError = func(err error) {
			if cmd == cmd.Root() { // the console draws on the terminal: said when it ends
				held.Store(err)
				return
			}
			fmt.Fprintln(textsafe.Writer{W: stderr}, "rsatui:", err)
		}
		log.Forward = fwd
		b.cleanup = append(b.cleanup, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := fwd.Close(ctx)
			if e, _ := held.Load().(error); e != nil && err == nil {
				err = fmt.Errorf("%w (sent since)", e)
			}
			if err != nil {
				fmt.Fprintln(textsafe.Writer{W: stderr}, "rsatui:", err)
			}
		})
	}
	b.ops.Audit = log
	b.ops.Actor = rsa.Actor{OSUser: audit.CurrentUser()}
	if c := os.Getenv("SSH_CONNECTION"); c != "" {
		b.ops.Actor.SSHUser = audit.CurrentUser() + " from " + strings.Fields(c)[0]
	}
	return nil
}

func (o *opened) emit(v any, table func(w *tabwriter.Writer)) error {
	if o.json {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := o.out.Write(textsafe.EscapeJSON(buf.Bytes()))
		return err
	}
	// fields are made safe where they are printed (textsafe.Line); the
	// writer neutralises anything that slipped through
	w := tabwriter.NewWriter(textsafe.Writer{W: o.out}, 0, 2, 2, ' ', 0)
	table(w)
	return w.Flush()
}

// emitLine prints v as one line of JSON (a stream of records).
func (o *opened) emitLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = o.out.Write(append(textsafe.EscapeJSON(b), '\n'))
	return err
}

// session runs fn with an opened backend and a bounded context, and closes
// the backend (logging out of AM) afterwards.
func session(cmd *cobra.Command, needDir bool, fn func(ctx context.Context, o *opened) error) error {
	reason, _ := cmd.Flags().GetString("reason")
	if err := rsa.CheckReason(reason); err != nil {
		return verbErr(err)
	}
	o, err := open(cmd, needDir)
	if err != nil {
		return err
	}
	defer o.close()
	verified, _ := cmd.Flags().GetString("verified")
	done, err := verify.ParseDone(verified, o.ops.CallerPolicy())
	if err != nil {
		return usageErr("--verified: %v", err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	// the checks are of the person this one command changes
	return fn(rsa.WithCaller(rsa.WithReason(ctx, reason), "", done), o)
}

// group is a verb with sub-verbs. An unknown sub-verb is a usage error
// (exit 1), and so is none: cobra would otherwise print help and exit 0,
// which a script takes for success.
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return usageErr("%s needs one of: %s (see %s --help)", cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
		}}
}

func addVerbs(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.Bool("json", false, "print JSON for scripts")
	pf.String("audit-log", "", "audit log file (default $XDG_STATE_HOME/rsatui/audit.jsonl) [env RSATUI_AUDIT_LOG]")
	pf.String("reason", "", "the ticket or reason for a change, kept in its audit lines (INC0012345 lost token); never a code")
	pf.String("verified", "", "the checks of the caller you did, as the site's policy asks for them: callback,employee-id,manager,passcode,ticket=INC123 (kept in the audit)")

	root.AddCommand(usersCommand(), tokensCommand(), tokenCommand(), userCommand(), eaCommand(), auditCommand(), batchCommand(), reportCommand())
	authCommands(root)
}

// readTokencodes reads the two tokencodes of a resync: a line each from
// standard input, or from prompts without echo on a terminal.
func readTokencodes(cmd *cobra.Command) ([2]secret.Secret, error) {
	var codes [2]secret.Secret
	in := newSecretInput(cmd)
	for i, what := range []string{"first tokencode (as shown now)", "next tokencode (once the display changes)"} {
		code, ok, err := in.read(what)
		if err != nil {
			return codes, err
		}
		if !ok {
			return codes, usageErr("resync: give two tokencodes on standard input, one a line (%d read)", i)
		}
		codes[i] = code
	}
	return codes, nil
}
