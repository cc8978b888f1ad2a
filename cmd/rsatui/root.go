package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/textsafe"

	"github.com/spf13/cobra"
)

// Exit codes are stable for scripts.
const (
	exitOK       = 0
	exitUsage    = 1
	exitNotFound = 2
	exitRefused  = 3
	exitServer   = 4
	// exitUnknown: a change whose reply was lost and that AM does not show
	// (yet): it may still be applied — look before doing anything else
	exitUnknown = 5
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
	// printed: the verb has already printed its JSON result (which says
	// what happened); no error object follows it on standard output
	printed bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func newRoot() *cobra.Command {
	var demoMode, readOnly bool
	var demoUsers int
	var demoSeed uint64
	root := &cobra.Command{
		Use:   "rsatui",
		Short: "Terminal admin console for RSA Authentication Manager",
		Long: `rsatui finds people in Active Directory, shows their SecurID tokens in RSA
Authentication Manager, and puts tokens into (and out of) online emergency access.

rsatui --demo runs the console against an embedded AM simulator and directory.`,
		Version:       fmt.Sprintf("%s (commit %s, built %s)", version, commit, date),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := consoleOptions(cmd) // checked before anything starts
			if err != nil {
				return err
			}
			// before any secret is read: the console runs for hours with the
			// passwords in its environment and codes in its memory
			if err := harden(); err != nil {
				return &exitError{code: exitServer, err: fmt.Errorf("switching core dumps off: %w", err)}
			}
			b, err := openBackend(cmd, demoMode, demoSeed, demoUsers, readOnly)
			if err != nil {
				return err
			}
			return runTUI(cmd, b, opt)
		},
	}
	root.PersistentFlags().BoolVar(&demoMode, "demo", false, "run against an embedded AM simulator and directory (no servers, no config)")
	root.Flags().IntVar(&demoUsers, "demo-users", 200, "generated people in the demo data set")
	root.Flags().Uint64Var(&demoSeed, "demo-seed", 1, "seed of the demo data set")
	addTrafficFlag(root)
	root.PersistentFlags().BoolVar(&readOnly, "read-only", false, "refuse every change (enforced in the operation layer)")
	addConnFlags(root)
	addVerbs(root)
	root.AddCommand(newSimCmd(), newServeCmd(), newManCmd())
	return root
}

// openBackend connects to the configured servers, or starts the demo ones,
// and opens the audit log: what the console and rsatui serve run on.
func openBackend(cmd *cobra.Command, demoMode bool, seed uint64, users int, readOnly bool) (*backend, error) {
	var b *backend
	var err error
	traffic, _ := cmd.Flags().GetDuration("traffic") // the console's and serve's flag
	if err := checkTraffic(traffic); err != nil {
		return nil, err
	}
	if traffic > 0 && !demoMode {
		return nil, usageErr("--traffic makes demo people log in: it needs --demo (or use rsatui sim --traffic)")
	}
	if demoMode {
		// a big data set takes a while to generate and load (20,000 people:
		// ~30 s): say what is happening instead of a blank terminal
		fmt.Fprintf(cmd.ErrOrStderr(), "rsatui: starting the demo AM simulator and directory with %d generated people…\n", users)
		start := time.Now()
		if b, err = demoBackend(seed, users, readOnly, traffic); err != nil {
			return nil, &exitError{code: exitServer, err: fmt.Errorf("starting the demo servers: %w", err)}
		}
		if took := time.Since(start); took > time.Second {
			fmt.Fprintf(cmd.ErrOrStderr(), "rsatui: demo ready in %.1f s\n", took.Seconds())
		}
	} else if b, err = connect(cmd, readOnly, true); err != nil {
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
	return b, nil
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	code := exitUsage // cobra's own errors are flag and argument problems
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	// errors quote AM's fault texts and directory values: made safe, lines kept
	fmt.Fprintln(textsafe.Writer{W: os.Stderr}, "rsatui:", err)
	if ee == nil && cmd != nil {
		// a wrong flag or argument: how the verb is called, not its whole help
		fmt.Fprintln(textsafe.Writer{W: os.Stderr}, "usage:", cmd.UseLine())
	}
	if asJSON, _ := root.PersistentFlags().GetBool("json"); asJSON && (ee == nil || !ee.printed) {
		// and for scripts, on standard output: {"error", "code", "hint"}
		msg, hint, _ := strings.Cut(err.Error(), "\n  ")
		b, _ := json.Marshal(struct {
			Error string `json:"error"`
			Code  int    `json:"code"`
			Hint  string `json:"hint,omitempty"`
		}{msg, code, strings.TrimSpace(hint)})
		_, _ = os.Stdout.Write(append(textsafe.EscapeJSON(b), '\n'))
	}
	return code
}
