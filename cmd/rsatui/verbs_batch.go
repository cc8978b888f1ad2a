package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"charm.land/bubbles/v2/progress"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// batchCommand is batch plan and batch apply: changes in bulk, planned
// before they run.
func batchCommand() *cobra.Command {
	b := group("batch", "Changes in bulk from a CSV file: plan (nothing changes), then apply")
	var out string
	var lanes int
	plan := &cobra.Command{Use: "plan FILE.csv --out PLAN", Short: "Check every row against AM and the rules without changing anything, print what AM will get, write the plan",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("batch plan: give --out PLAN, the file the plan is written to (batch apply runs it)")
			}
			if _, err := os.Stat(out); err == nil {
				return usageErr("batch plan: %s exists: a plan is not written over (its journal would no longer match); give another --out", out)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("batch plan: %v", err)
			}
			rows, err := batch.ReadCSV(f)
			f.Close()
			if err != nil {
				return verbErr(err)
			}
			c, _, err := loadConfigFile(cmd)
			if err != nil {
				return err
			}
			life, err := eaLifetime(c)
			if err != nil {
				return err
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				src, _ := filepath.Abs(args[0])
				return writePlan(ctx, cmd, o, rows, src, out, life, lanes)
			})
		}}
	plan.Flags().StringVar(&out, "out", "", "where to write the plan (a new file)")
	plan.Flags().IntVar(&lanes, "lanes", 4, "rows read from AM at once")
	b.AddCommand(plan)

	var applyLanes int
	var codesPath string
	apply := &cobra.Command{Use: "apply PLAN", Short: "Run a plan: each row with AM's rules and audit; an interrupted run resumes where it stopped",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := batch.Read(args[0])
			if err != nil {
				return verbErr(err)
			}
			if applyLanes < 1 || applyLanes > batch.MaxLanes {
				return usageErr("--lanes %d: give 1 to %d", applyLanes, batch.MaxLanes)
			}
			if codesPath == "" {
				codesPath = args[0] + ".codes.csv"
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				return applyPlan(ctx, cmd, o, p, args[0], codesPath, applyLanes)
			})
		}}
	apply.Flags().IntVar(&applyLanes, "lanes", 4, fmt.Sprintf("rows sent to AM at once (1 to %d)", batch.MaxLanes))
	apply.Flags().StringVar(&codesPath, "codes", "", "where emergency codes are written, 0600 (default PLAN.codes.csv); never the terminal")
	b.AddCommand(apply)
	return b
}

// writePlan plans rows, prints the plan and writes it to out.
func writePlan(ctx context.Context, cmd *cobra.Command, o *opened, rows []batch.Row, source, out, lifetime string, lanes int) error {
	if lanes < 1 || lanes > batch.MaxLanes {
		return usageErr("--lanes %d: give 1 to %d", lanes, batch.MaxLanes)
	}
	bar := newBar(cmd, o, "reading")
	pl := batch.Planner{Ops: o.ops, Lanes: lanes, DefaultLifetime: lifetime, OnRow: bar.set}
	p, err := pl.Make(ctx, rows, source)
	bar.done()
	if err != nil {
		return verbErr(err)
	}
	if err := p.Write(out); err != nil {
		return verbErr(err)
	}
	return o.emit(p, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "LINE\tOPERATION\tTOKEN\tHOLDER\tWHAT AM WILL GET")
		for _, s := range p.Steps {
			what := s.Will
			switch s.Status {
			case batch.Refused:
				what = "REFUSED: " + s.Why
			case batch.Nothing:
				what = "nothing to change: " + s.Why
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", s.Line, s.Operation, textsafe.Line(orDash(s.Token)), textsafe.Line(orDash(s.Holder)), textsafe.Line(what))
		}
		fmt.Fprintf(w, "\n%d rows: %d will change, %d change nothing, %d refused. Nothing was changed.\n", len(p.Steps), p.Count(batch.Change), p.Count(batch.Nothing), p.Count(batch.Refused))
		fmt.Fprintf(w, "Plan %s written to %s. Run it with: rsatui batch apply %s\n", p.ID, textsafe.Line(out), textsafe.Line(out))
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// applyPlan runs p. The first Ctrl+C (or SIGTERM) starts no new row and
// lets those under way finish; the journal lets a later run go on.
func applyPlan(ctx context.Context, cmd *cobra.Command, o *opened, p batch.Plan, path, codes string, lanes int) error {
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var once sync.Once
	go func() {
		if _, ok := <-sigs; ok {
			once.Do(func() { close(stop) })
			fmt.Fprintln(cmd.ErrOrStderr(), "\nrsatui: stopping: no new row is started; the rows under way finish (run batch apply again to go on)")
		}
	}()
	// each AM call has its own bound: the run may take longer than a verb's
	ctx = context.WithoutCancel(ctx)
	bar := newBar(cmd, o, "applying")
	total := p.Count(batch.Change)
	done := 0
	r := &batch.Runner{Ops: o.ops, Lanes: lanes, Journal: path + ".journal", Codes: codes, Reason: rsa.ReasonOf(ctx), Stop: stop,
		OnRow: func(res batch.Result) {
			if res.Outcome == batch.OutRefused && strings.HasPrefix(res.Note, "refused by the plan") || res.Outcome == batch.OutNothing {
				return // said when the plan was made
			}
			done++
			bar.set(done, total)
			switch {
			case o.json:
				_ = o.emitLine(res)
			case !bar.on:
				line := fmt.Sprintf("line %-4d %-12s %-12s %-12s %s", res.Line, res.Op, res.Token, orDash(res.Holder), res.Outcome)
				if res.Resumed {
					line += " (resumed)"
				}
				if res.Codes > 0 {
					line += fmt.Sprintf(" — %d codes → %s", res.Codes, codes)
				}
				if res.Note != "" {
					line += " — " + res.Note
				}
				fmt.Fprintln(textsafe.Writer{W: o.out}, textsafe.Line(line))
			case res.Outcome != batch.OutOK && res.Outcome != batch.OutDone:
				bar.say(fmt.Sprintf("line %d %s %s: %s — %s", res.Line, res.Op, res.Token, res.Outcome, res.Note))
			}
		}}
	sum, err := r.Apply(ctx, p)
	bar.done()
	if err != nil {
		return verbErr(err)
	}
	w := cmd.ErrOrStderr()
	if !o.json {
		w = o.out
	}
	fmt.Fprintf(w, "%d rows of plan %s: %d ok, %d finished before, %d refused, %d failed, %d unknown, %d to look at.\n", len(p.Steps), p.ID,
		sum[batch.OutOK], sum[batch.OutDone], sum[batch.OutRefused]-p.Count(batch.Refused), sum[batch.OutFailed], sum[batch.OutUnknown], sum[batch.OutLook])
	if _, err := os.Stat(codes); err == nil {
		fmt.Fprintf(w, "Emergency codes are in %s (only you can read it): hand them over, then delete it.\n", codes)
	}
	select {
	case <-stop:
		return &exitError{code: exitUnknown, err: errors.New("stopped before the end: run `rsatui batch apply " + path + "` again to go on")}
	default:
	}
	switch {
	case sum[batch.OutUnknown]+sum[batch.OutLook] > 0:
		return &exitError{code: exitUnknown, err: fmt.Errorf("some rows' outcome is not known or needs a look: run batch apply again (it reads them back first), and look at the tokens it names")}
	case sum[batch.OutFailed] > 0:
		return &exitError{code: exitServer, err: fmt.Errorf("%d rows failed (nothing changed for them): run batch apply again to retry them", sum[batch.OutFailed])}
	case sum[batch.OutRefused] > p.Count(batch.Refused):
		return &exitError{code: exitRefused, err: fmt.Errorf("%d rows were refused when they ran (the token changed since the plan?): see above", sum[batch.OutRefused]-p.Count(batch.Refused))}
	}
	return nil
}

// bar is a progress bar on a terminal's standard error; nothing elsewhere
// (and nothing with --json).
type bar struct {
	on    bool
	w     io.Writer
	what  string
	model progress.Model
	mu    sync.Mutex
	last  time.Time
}

func newBar(cmd *cobra.Command, o *opened, what string) *bar {
	b := &bar{w: cmd.ErrOrStderr(), what: what}
	if f, ok := b.w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !o.json {
		b.on, b.model = true, progress.New(progress.WithWidth(40), progress.WithoutPercentage())
	}
	return b
}

func (b *bar) set(done, total int) {
	if !b.on || total == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if done < total && time.Since(b.last) < 50*time.Millisecond {
		return
	}
	b.last = time.Now()
	fmt.Fprintf(b.w, "\r%s %s %d/%d ", b.what, b.model.ViewAs(float64(done)/float64(total)), done, total)
}

// say prints a line above the bar.
func (b *bar) say(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\r\x1b[K%s\n", textsafe.Line(line))
}

func (b *bar) done() {
	if b.on {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}
