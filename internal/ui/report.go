package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa"
)

// reportPane is a report of the week (:report expiring | leavers |
// unused): the tokens it finds, rows selected with space, and one change
// planned for the selection (the plan shown, then run, as batch plan and
// batch apply do). Enter opens the holder.
type reportPane struct {
	paneBase
	q      report.Query
	rows   []report.Row
	sel    map[string]bool // by serial
	stats  report.Stats
	loaded bool
	table  grid
}

// reportLoaded is a report's read.
type reportLoaded struct {
	rows  []report.Row
	stats report.Stats
	err   error
}

// openReport opens :report KIND [TIME] (expiring 90d; leavers 60d: and
// those idle that long).
func openReport(c *common, arg string) reqs {
	kind, t, _ := strings.Cut(strings.TrimSpace(arg), " ")
	q := report.Query{Kind: report.Kind(kind)}
	if !slices.Contains(report.Kinds, q.Kind) {
		return do(fail("Which report? :report expiring [90d], :report leavers [90d idle], :report unused."))
	}
	if t = strings.TrimSpace(t); t == "" && q.Kind == report.Expiring {
		t = "90d"
	}
	if t != "" {
		now := c.now()
		until, err := rsa.ParseExpiry(t, now)
		if err != nil || until.IsZero() || !until.After(now) || q.Kind == report.Unused {
			return do(fail(fmt.Sprintf("%q: give a time such as 90d (:report expiring 90d, :report leavers 90d).", printable(t))))
		}
		q.Within, q.Idle = until.Sub(now), until.Sub(now)
	}
	return do(push(&reportPane{q: q, sel: map[string]bool{}, table: newGrid()}))
}

func (p *reportPane) title() string {
	switch p.q.Kind {
	case report.Expiring:
		return fmt.Sprintf("Tokens that expire within %d days, or have", int(p.q.Within/(24*time.Hour)))
	case report.Leavers:
		if p.q.Idle > 0 {
			return fmt.Sprintf("Tokens of people who left (AD), or idle %d days", int(p.q.Idle/(24*time.Hour)))
		}
		return "Tokens of people who left (AD: disabled, expired, gone)"
	}
	return "Tokens assigned and never used"
}

func (p *reportPane) open(c *common) reqs {
	q := p.q
	q.Now = c.now()
	am, dir := c.am, c.dir
	return do(call("Reading "+strings.ToLower(p.title()[:1])+p.title()[1:], func(ctx context.Context) tea.Msg {
		rows, st, err := report.Run(ctx, am, dir, q)
		return reportLoaded{rows: rows, stats: st, err: err}
	}))
}

func (p *reportPane) crumbs() []string { return []string{"report " + string(p.q.Kind)} }

func (p *reportPane) target() target {
	t := target{parent: "the report"}
	for _, r := range p.rows {
		if p.sel[r.Serial] {
			t.selected = append(t.selected, r)
		}
	}
	return t
}

func (p *reportPane) keys(c *common) []keyGroup {
	own := []key.Binding{c.km[action.Select], c.km[action.SelectAll], withHelp(c.km[action.Open], "open the holder"), c.km[action.Refresh]}
	own = append(own, bindingsOf(offered(c, onReport, p.target()))...)
	// space selects here: page down is its other keys
	moving := c.km.listKeys()
	for i, b := range moving {
		if slices.Equal(b.Keys(), c.km[action.PageDown].Keys()) {
			var ks []string
			for _, k := range b.Keys() {
				if !slices.Contains(c.km[action.Select].Keys(), k) {
					ks = append(ks, k)
				}
			}
			moving[i] = bind(b.Help().Desc, ks...)
		}
	}
	return []keyGroup{{"report", own}, {"moving", moving}}
}

func (p *reportPane) resize(c *common, w, h int) {
	p.table.SetHeight(max(h-4, 2))
	p.table.SetColumns([]column{{Title: " ", Width: 3}, {Title: "Serial", Width: 12}, {Title: "Holder", Width: 12}, {Title: "Expires", Width: 10},
		{Title: "Why", Width: max(w-3-12-12-10-10, 10)}})
	p.setRows(c)
}

func (p *reportPane) setRows(c *common) {
	rows := make([]row, len(p.rows))
	for i, r := range p.rows {
		mark := "[ ]"
		if p.sel[r.Serial] {
			mark = "[x]"
		}
		exp := "-"
		if !r.Expires.IsZero() {
			exp = r.Expires.Local().Format("2006-01-02")
		}
		why := r.Why
		if !r.ADExpires.IsZero() {
			why += " " + r.ADExpires.In(c.loc).Format("2006-01-02")
		}
		rows[i] = row{mark, r.Serial, printable(r.Holder), exp, printable(why)}
	}
	cur := p.table.Cursor()
	p.table.SetRows(rows)
	p.table.SetCursor(cur)
}

func (p *reportPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case reportLoaded:
		if msg.err != nil && len(msg.rows) == 0 {
			return do(fail(explain(msg.err)))
		}
		p.rows, p.stats, p.loaded = msg.rows, msg.stats, true
		clear(p.sel)
		p.setRows(c)
		if msg.err != nil {
			return do(fail("Part of the report: " + explain(msg.err)))
		}
		return do(say(fmt.Sprintf("%d of %d assigned tokens. space selects, %s all; then a plan for them (%s).",
			len(p.rows), p.stats.Tokens, keyOf(c, action.SelectAll), planKeys(c))))
	case tokensLoaded:
		return openPerson(c, msg)
	}
	return nil
}

// planKeys names the plan actions' keys: "R replace, d disable, …".
func planKeys(c *common) string {
	var out []string
	for _, n := range []action.Name{action.PlanReplace, action.PlanExtend, action.PlanDisable, action.PlanUnassign} {
		if a := actionOf(n); c.permitted(a, target{}) == nil {
			d := strings.TrimPrefix(a.desc, "plan: ")
			out = append(out, keyOf(c, n)+" "+strings.Fields(d)[0])
		}
	}
	if len(out) == 0 {
		return "your role plans none"
	}
	return strings.Join(out, ", ")
}

func (p *reportPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	i := p.table.Cursor()
	switch {
	case key.Matches(k, c.km[action.Select]):
		if i < len(p.rows) {
			s := p.rows[i].Serial
			p.sel[s] = !p.sel[s]
			p.setRows(c)
			p.table.Move(1)
		}
		return nil, true
	case key.Matches(k, c.km[action.SelectAll]):
		all := len(p.target().selected) < len(p.rows)
		for _, r := range p.rows {
			p.sel[r.Serial] = all
		}
		p.setRows(c)
		return do(say(fmt.Sprintf("%d selected.", len(p.target().selected)))), true
	case key.Matches(k, c.km[action.Refresh]):
		return p.open(c), true
	case key.Matches(k, c.km[action.Open]):
		if i < len(p.rows) && p.rows[i].Holder != "" {
			return do(readTokens(c, ad.User{Login: p.rows[i].Holder})), true
		}
		return nil, true
	}
	if r, ok := dispatch(c, onReport, k, p.target()); ok {
		return r, true
	}
	return nil, p.table.Update(c.km, k)
}

func (p *reportPane) view(c *common, _, _ int) string {
	head := c.st.Title.Render(p.title())
	if !p.loaded {
		return head + "\n\n  Reading AM's assigned tokens…"
	}
	if len(p.rows) == 0 {
		return head + "\n\n  None."
	}
	n := len(p.target().selected)
	return head + c.st.Dim.Render(fmt.Sprintf("  %d tokens, %d selected", len(p.rows), n)) + "\n\n" + p.table.View()
}

// noSelection says why a plan action cannot run: nothing selected.
func noSelection(c *common, t target) string {
	if len(t.selected) == 0 {
		return "Select rows first (" + keyOf(c, action.Select) + " one, " + keyOf(c, action.SelectAll) + " all)."
	}
	return ""
}
