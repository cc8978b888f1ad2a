package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// reportCommand is report expiring, leavers and unused.
func reportCommand() *cobra.Command {
	r := group("report", "The week's reports: tokens that expire, tokens of people who left, tokens never used")
	for _, k := range report.Kinds {
		var within, idle, planOp, out string
		var asCSV bool
		short := map[report.Kind]string{
			report.Expiring: "Assigned tokens that expire within --within (and those that have), soonest first, with the holder's last login",
			report.Leavers:  "Assigned tokens whose holder AD says is disabled, expired or gone (--idle: or who has not logged in for that long)",
			report.Unused:   "Assigned tokens never used",
		}[k]
		c := &cobra.Command{Use: string(k), Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				q := report.Query{Kind: k, Now: time.Now()}
				if k == report.Expiring {
					until, err := rsa.ParseExpiry(within, q.Now)
					if err != nil || until.IsZero() || !until.After(q.Now) {
						return usageErr("--within %q: give how far ahead to look, e.g. 90d or 12w", within)
					}
					q.Within = until.Sub(q.Now)
				}
				if k == report.Leavers && idle != "" {
					until, err := rsa.ParseExpiry(idle, q.Now)
					if err != nil || until.IsZero() || !until.After(q.Now) {
						return usageErr("--idle %q: give a time such as 90d", idle)
					}
					q.Idle = until.Sub(q.Now)
				}
				asJSON, _ := cmd.Flags().GetBool("json")
				if asJSON && asCSV {
					return usageErr("--json and --csv exclude each other")
				}
				op := batch.Operation(planOp)
				if planOp != "" && !validPlanOp(op) {
					return usageErr("--plan %q: give the operation to plan for every row: %s", planOp, planOps())
				}
				if (planOp == "") != (out == "") {
					return usageErr("--plan OPERATION and --out PLAN go together: the report's rows become a plan written to PLAN")
				}
				var life string
				if op == batch.EASet {
					c, _, err := loadConfigFile(cmd)
					if err != nil {
						return err
					}
					if life, err = eaLifetime(c); err != nil {
						return err
					}
				}
				return session(cmd, k == report.Leavers, func(ctx context.Context, o *opened) error {
					b := newBar(cmd, o, "")
					if asCSV {
						b.on = false
					}
					if b.on {
						q.Progress = func(what string) { b.say(what + " …") }
					}
					var dir report.Directory
					if o.dir != nil {
						dir = o.dir
					}
					rows, st, err := report.Run(ctx, o.ops, dir, q)
					if err != nil && len(rows) == 0 {
						return verbErr(err)
					}
					if werr := printReport(o, k, rows, st, asCSV); werr != nil {
						return werr
					}
					if err != nil {
						return verbErr(err)
					}
					if planOp == "" {
						return nil
					}
					planRows := make([]batch.Row, len(rows))
					for i, row := range rows {
						planRows[i] = batch.Row{Line: i + 2, Operation: op, Serial: row.Serial, Login: row.Holder, Reason: rsa.ReasonOf(ctx)}
					}
					o.json = false // the plan's table follows the report
					return writePlan(ctx, cmd, o, planRows, "report "+string(k), out, life, 4)
				})
			}}
		switch k {
		case report.Expiring:
			c.Flags().StringVar(&within, "within", "90d", "how far ahead to look (90d, 12w)")
		case report.Leavers:
			c.Flags().StringVar(&idle, "idle", "", "list holders AM has not seen log in for this long too (90d)")
		}
		c.Flags().BoolVar(&asCSV, "csv", false, "print CSV (a spreadsheet's)")
		c.Flags().StringVar(&planOp, "plan", "", "plan this operation for every row listed ("+planOps()+"), written to --out")
		c.Flags().StringVar(&out, "out", "", "where --plan writes the plan (a new file)")
		r.AddCommand(c)
	}
	return r
}

func validPlanOp(op batch.Operation) bool {
	for _, o := range batch.Operations {
		if o == op {
			return true
		}
	}
	return false
}

func planOps() string {
	s := make([]string, len(batch.Operations))
	for i, o := range batch.Operations {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// printReport prints the rows as a table, JSON or CSV.
func printReport(o *opened, k report.Kind, rows []report.Row, st report.Stats, asCSV bool) error {
	if asCSV {
		w := csv.NewWriter(textsafe.Writer{W: o.out})
		_ = w.Write([]string{"serial", "type", "holder", "name", "enabled", "expires", "days_left", "last_login", "why"})
		for _, r := range rows {
			_ = w.Write([]string{r.Serial, r.Type, r.Holder, r.Name, fmt.Sprint(r.Enabled), dayOrEmpty(r.Expires), fmt.Sprint(r.DaysLeft), dayOrEmpty(r.LastLogin), whyWords(r)})
		}
		w.Flush()
		return w.Error()
	}
	type reportJSON struct {
		Report string       `json:"report"`
		Rows   []report.Row `json:"rows"`
		Stats  report.Stats `json:"stats"`
	}
	return o.emit(reportJSON{Report: string(k), Rows: rows, Stats: st}, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "SERIAL\tTYPE\tHOLDER\tNAME\tEXPIRES\tLAST LOGIN\tWHY")
		for _, r := range rows {
			used := "never"
			if !r.LastLogin.IsZero() {
				used = day(r.LastLogin)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Line(r.Serial), r.Type, textsafe.Line(r.Holder), textsafe.Line(orDash(r.Name)),
				day(r.Expires), used, textsafe.Line(whyWords(r)))
		}
		fmt.Fprintf(w, "\n%d tokens of %d assigned", len(rows), st.Tokens)
		if st.DirectoryQueries > 0 {
			fmt.Fprintf(w, " (the directory read in %d queries)", st.DirectoryQueries)
		}
		fmt.Fprintln(w, ".")
	})
}

func dayOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02")
}

// whyWords is a row's reason with the date it names, for a person.
func whyWords(r report.Row) string {
	if !r.ADExpires.IsZero() && r.Why == "AD account expired" {
		return r.Why + " " + r.ADExpires.Local().Format("2006-01-02")
	}
	return r.Why
}
