package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa"
)

// planPane is one change planned for a report's selected rows: what AM
// will get for each, or why not (batch.Planner, read-only), then — on y —
// its run with the progress and each row's outcome (batch.Runner, the
// journal and plan kept beside the audit log, so that `rsatui batch apply`
// goes on with a run the console did not finish).
type planPane struct {
	paneBase
	op      batch.Operation
	rows    []report.Row
	plan    batch.Plan
	planned bool
	path    string // the plan file, once the run starts
	// the run
	started, finished bool
	events            chan batch.Result
	outcome           map[int]batch.Result // by the plan's row index
	done, total       int
	sum               batch.Summary
	runErr            error
	bar               progress.Model
	table             grid
}

type planMade struct {
	plan batch.Plan
	err  error
}

// planRow is one row's end, during the run.
type planRow struct {
	res batch.Result
	ok  bool // false: the run is over (no more rows)
}

// planApplied is the run's end.
type planApplied struct {
	sum  batch.Summary
	err  error
	path string
}

func (d planApplied) outcome() error {
	if d.err == nil && d.sum[batch.OutUnknown]+d.sum[batch.OutLook] > 0 {
		return fmt.Errorf("%d rows' outcome is not known", d.sum[batch.OutUnknown]+d.sum[batch.OutLook])
	}
	return d.err
}

func (d planApplied) unseen() string {
	return "the plan's run may not be over: rsatui batch apply " + d.path + " goes on where it stopped (it reads an unfinished row back first)"
}

// openPlanFor plans op for the selected rows of a report.
func openPlanFor(op batch.Operation) func(c *common, t target) reqs {
	return func(c *common, t target) reqs {
		return do(push(&planPane{op: op, rows: t.selected, table: newGrid(), outcome: map[int]batch.Result{},
			bar: progress.New(progress.WithWidth(30), progress.WithoutPercentage())}))
	}
}

func (p *planPane) open(c *common) reqs {
	rows := make([]batch.Row, len(p.rows))
	for i, r := range p.rows {
		rows[i] = batch.Row{Line: i + 1, Operation: p.op, Serial: r.Serial, Login: r.Holder}
	}
	pl := batch.Planner{Ops: c.am, Lanes: 4, DefaultLifetime: c.eaLifetime}
	return do(call(fmt.Sprintf("Planning %s for %d tokens (nothing is changed)", p.op, len(rows)), func(ctx context.Context) tea.Msg {
		plan, err := pl.Make(ctx, rows, "console report")
		return planMade{plan: plan, err: err}
	}))
}

func (p *planPane) crumbs() []string { return []string{"plan " + string(p.op)} }

func (p *planPane) keys(c *common) []keyGroup {
	var own []key.Binding
	if p.planned && !p.started && p.plan.Count(batch.Change) > 0 {
		own = append(own, withHelp(c.km[action.Yes], "run it ("+changes(p.plan.Count(batch.Change))+")"))
	}
	return []keyGroup{{"plan", own}, {"moving", c.km.listKeys()}}
}

func (p *planPane) resize(c *common, w, h int) {
	p.table.SetHeight(max(h-6, 2))
	p.table.SetColumns([]column{{Title: "Serial", Width: 12}, {Title: "Holder", Width: 12}, {Title: "State", Width: 9},
		{Title: "What AM gets, or why not", Width: max(w-12-12-9-8, 10)}})
	p.setRows()
}

func (p *planPane) setRows() {
	rows := make([]row, len(p.plan.Steps))
	for i, s := range p.plan.Steps {
		state, what := s.Status, s.Will
		if s.Status != batch.Change {
			what = s.Why
		}
		if r, ok := p.outcome[i]; ok {
			state = r.Outcome
			if r.Note != "" {
				what = r.Note
			}
		} else if p.started && s.Status == batch.Change {
			state = "waiting"
			if p.finished {
				state = "not run"
			}
		}
		serial := s.Token
		if serial == "" {
			serial = s.Serial
		}
		rows[i] = row{serial, printable(s.Holder), state, printable(what)}
	}
	cur := p.table.Cursor()
	p.table.SetRows(rows)
	p.table.SetCursor(cur)
}

func (p *planPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case planMade:
		if msg.err != nil {
			return do(fail("No plan: " + explain(msg.err)))
		}
		p.plan, p.planned = msg.plan, true
		p.setRows()
		n := p.plan.Count(batch.Change)
		if n == 0 {
			return do(say("Nothing to run: every row is refused or changes nothing (see why). Nothing was changed."))
		}
		return do(say(fmt.Sprintf("%s, %d nothing to do, %d refused: %s runs it, %s goes back (nothing sent).",
			changes(n), p.plan.Count(batch.Nothing), p.plan.Count(batch.Refused), keyOf(c, action.Yes), keyOf(c, action.Back))))
	case planRow:
		if !msg.ok {
			return nil
		}
		p.outcome[msg.res.Index] = msg.res
		p.done++
		p.setRows()
		return do(run(p.next()))
	case planApplied:
		if errors.Is(msg.err, rsa.ErrNeedsApproval) {
			close(p.events) // never run: the wait for rows ends
			p.finished, p.runErr = true, msg.err
			p.setRows()
			return do(fail("Not run, nothing was changed: " + explain(msg.err) + "."))
		}
		p.finished, p.sum, p.runErr = true, msg.sum, msg.err
		p.setRows()
		text := fmt.Sprintf("Done: %d ok, %d refused, %d failed, %d unknown; each in the audit.",
			msg.sum[batch.OutOK], msg.sum[batch.OutRefused]-p.plan.Count(batch.Refused), msg.sum[batch.OutFailed], msg.sum[batch.OutUnknown]+msg.sum[batch.OutLook])
		if msg.err != nil {
			return do(fail("The run stopped: " + explain(msg.err) + " — rsatui batch apply " + msg.path + " goes on."))
		}
		if msg.sum[batch.OutFailed]+msg.sum[batch.OutUnknown]+msg.sum[batch.OutLook] > 0 {
			return do(fail(text + " Run rsatui batch apply " + msg.path + " to retry and read back."))
		}
		return do(say(text))
	}
	return nil
}

// next waits for the run's next row.
func (p *planPane) next() tea.Cmd {
	ch := p.events
	return func() tea.Msg {
		r, ok := <-ch
		return planRow{res: r, ok: ok}
	}
}

func (p *planPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if key.Matches(k, c.km[action.Yes]) && p.planned && !p.started {
		if p.plan.Count(batch.Change) == 0 {
			return do(say("Nothing to run.")), true
		}
		return p.start(c), true
	}
	return nil, p.table.Update(c.km, k)
}

// start runs the plan: it is written beside the audit log first, so that
// a run the console does not see end can be finished from a shell.
func (p *planPane) start(c *common) reqs {
	dir := c.planDir
	p.path = filepath.Join(dir, p.plan.ID+".plan")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return do(fail("Not run, nothing was changed: " + err.Error()))
	}
	if err := p.plan.Write(p.path); err != nil && !errors.Is(err, os.ErrExist) {
		return do(fail("Not run, nothing was changed: " + explain(err)))
	}
	p.started, p.total = true, p.plan.Count(batch.Change)
	p.events = make(chan batch.Result, len(p.plan.Steps)+1)
	events, plan, path := p.events, p.plan, p.path
	r := &batch.Runner{Ops: c.am, Lanes: 4, Journal: path + ".journal", Codes: path + ".codes.csv",
		OnRow: func(res batch.Result) {
			if res.Outcome != batch.OutNothing && !(res.Outcome == batch.OutRefused && strings.HasPrefix(res.Note, "refused by the plan")) {
				events <- res
			}
		}}
	p.setRows()
	var detail []string // a second admin reads these before approving the run
	for _, s := range plan.Steps {
		if s.Status == batch.Change {
			detail = append(detail, s.Will)
		}
	}
	return do(callReq{label: "Running the plan: " + changes(p.total), write: true, detail: detail, fn: func(ctx context.Context) tea.Msg {
		// each AM call has its own bound; the run is not cut at the
		// console's call timeout
		sum, err := r.Apply(context.WithoutCancel(ctx), plan)
		if !errors.Is(err, rsa.ErrNeedsApproval) {
			close(events)
		} // else it waits for a second admin, and may run again (approvals.go)
		return planApplied{sum: sum, err: err, path: path}
	}}, run(p.next()))
}

func (p *planPane) view(c *common, _, _ int) string {
	title := fmt.Sprintf("Plan: %s for %d tokens", p.op, len(p.rows))
	head := c.st.Title.Render(title)
	if !p.planned {
		return head + "\n\n  Reading each token and checking the rules (nothing is changed)…"
	}
	var sub string
	switch {
	case p.finished:
		sub = fmt.Sprintf("run: %d ok · %d failed · %d unknown", p.sum[batch.OutOK], p.sum[batch.OutFailed], p.sum[batch.OutUnknown]+p.sum[batch.OutLook])
	case p.started:
		sub = fmt.Sprintf("running %s %d/%d", p.bar.ViewAs(float64(p.done)/float64(max(p.total, 1))), p.done, p.total)
	default:
		sub = fmt.Sprintf("%s · %d nothing · %d refused — nothing is sent before %s",
			changes(p.plan.Count(batch.Change)), p.plan.Count(batch.Nothing), p.plan.Count(batch.Refused), keyOf(c, action.Yes))
	}
	return head + "\n" + c.st.Dim.Render("  "+sub) + "\n\n" + p.table.View()
}

// changes is "1 change", "3 changes".
func changes(n int) string {
	if n == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", n)
}
