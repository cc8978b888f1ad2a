package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/spf13/cobra"
)

func auditCommand() *cobra.Command {
	a := group("audit", "The audit log of changes")
	var n int
	tail := &cobra.Command{Use: "tail", Short: "Print the last entries of the audit log", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("audit-log")
			if path == "" {
				path = os.Getenv("RSATUI_AUDIT_LOG")
			}
			if path == "" {
				path = audit.DefaultPath()
			}
			entries, err := audit.Tail(path, n)
			if errors.Is(err, os.ErrNotExist) {
				return &exitError{code: exitNotFound, err: fmt.Errorf("no audit log at %s yet: nothing was changed through rsatui", path)}
			}
			var skipped *audit.Skipped
			if errors.As(err, &skipped) {
				// the entries it could read, and a word on the lines it could not
				fmt.Fprintln(cmd.ErrOrStderr(), "rsatui: note:", skipped)
			} else if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			o := &opened{out: cmd.OutOrStdout()}
			o.json, _ = cmd.Flags().GetBool("json")
			return o.emit(entries, func(w *tabwriter.Writer) {
				fmt.Fprintln(w, "TIME\tWHO\tAM ADMIN\tOPERATION\tTARGET\tOUTCOME\tDETAIL")
				for _, e := range entries {
					who := e.OSUser
					if e.SSHUser != "" {
						who = e.SSHUser
					}
					detail := e.Error
					if detail == "" {
						var kv []string
						for k, v := range e.Params {
							kv = append(kv, k+"="+v)
						}
						sort.Strings(kv)
						detail = strings.Join(kv, " ")
					}
					op := e.Operation
					if e.Demo {
						op += " (demo)"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05 MST"), textsafe.Line(who),
						textsafe.Line(e.Admin), op, textsafe.Line(e.Target), e.Outcome, textsafe.Line(detail))
				}
			})
		}}
	tail.Flags().IntVarP(&n, "lines", "n", 20, "how many entries (0 = all)")
	a.AddCommand(tail)
	return a
}
