package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/rsatui/rsatui/internal/ui"
)

// unfinishedWait is how long a console that was quit while a change was
// being sent waits for AM's answer before it says the outcome is unknown.
const unfinishedWait = 20 * time.Second

// runTUI opens the console on a backend until the user quits.
func runTUI(cmd *cobra.Command, b *backend, opt ui.Options) error {
	defer b.close()
	opt.PlanDir = planDir(b)
	m := ui.New(b.dir, b.ops, b.info, opt)
	p := tea.NewProgram(m, tea.WithContext(cmd.Context()))
	final, err := p.Run()
	if fm, ok := final.(ui.Model); ok {
		if w := fm.Unfinished(); w != nil {
			return sayUnfinished(cmd, w)
		}
	}
	if err != nil {
		return &exitError{code: exitServer, err: fmt.Errorf("console: %w", err)}
	}
	return nil
}

// sayUnfinished tells, on the terminal the console left, what became of the
// change that was being sent when it was quit: never a clean exit (a
// script or a person must see that a change was left unseen).
func sayUnfinished(cmd *cobra.Command, w *ui.Unfinished) error {
	out := textsafe.Writer{W: cmd.ErrOrStderr()}
	fmt.Fprintf(out, "rsatui: quit while a change was being sent: %s.\n", w.Label)
	done, err := w.Wait(unfinishedWait)
	switch {
	case !done || errors.Is(err, rsa.ErrOutcomeUnknown):
		fmt.Fprintln(out, "rsatui: AM's answer was not seen, so whether it applied is UNKNOWN: look at the token or the person in rsatui (or rsatui ea show SERIAL) before doing it again.")
		if w.Unseen != "" {
			fmt.Fprintln(out, "rsatui: if it applied, "+w.Unseen+".")
		}
		return &exitError{code: exitUnknown, err: errors.New("the change's outcome is unknown"), printed: true}
	case err != nil:
		fmt.Fprintln(out, "rsatui: AM did not apply it: "+rsa.Explain(err))
		return &exitError{code: exitCode(err), err: err, printed: true}
	}
	fmt.Fprintln(out, "rsatui: AM applied it (the audit log has its outcome).")
	if w.Unseen != "" {
		fmt.Fprintln(out, "rsatui: "+w.Unseen+".")
	}
	return &exitError{code: exitUnknown, err: errors.New("the change's result was not seen"), printed: true}
}

// planDir is where the console keeps the plans it runs: beside the audit
// log (rsatui batch apply PATH goes on with one it did not finish).
func planDir(b *backend) string {
	return filepath.Join(filepath.Dir(b.ops.Audit.Path()), "plans")
}
