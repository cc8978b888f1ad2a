package ui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/verify"
)

// Who is calling? Before an action the site's policy guards (#31), the
// console asks for the checks of the caller: each row shows what the
// directory holds for it (the number to call back, the manager, the
// employee ID masked) and the admin ticks it once done; an ID the caller
// says is compared, never shown. The action's own form opens only when
// every check is ticked; the operations refuse without them anyway.

// callerFor is how long the checks of one caller hold (one call).
const callerFor = 30 * time.Minute

// verifiedCaller is the person on the phone and the checks of them done.
type verifiedCaller struct {
	login string
	done  verify.Done
	at    time.Time
}

// covers reports whether the checks done of login cover req now.
func (v verifiedCaller) covers(login string, req []verify.Check, now time.Time) bool {
	return strings.EqualFold(v.login, login) && now.Sub(v.at) < callerFor && len(v.done.Missing(req)) == 0
}

// guardedOpen opens a on t, through the checks of the caller when the
// site's policy asks for some the console does not hold yet.
func guardedOpen(c *common, a *actionDef, t target) reqs {
	login := t.who()
	if !slices.Contains(verify.Guarded, a.name) || login == "the person" {
		return a.open(c, t)
	}
	if most := c.am.CallerPolicy().Required(a.name, true); len(most) == 0 || c.caller.covers(login, most, c.now()) {
		return a.open(c, t)
	}
	return do(push(&verifyPane{a: a, t: t, login: login}))
}

// open reads the policy's list for the person and what the directory
// holds of them (the call's answer comes back to this pane).
func (p *verifyPane) open(c *common) reqs {
	return do(call("Reading what the directory holds of "+p.login, func(ctx context.Context) tea.Msg { return p.load(ctx, c) }))
}

// verifyRow is one check on screen.
type verifyRow struct {
	check  verify.Check
	ticked bool
	// held is what the directory holds for it, as shown; compare (the
	// employee ID, a site's attribute) is the value typed words are
	// compared with, never shown
	held    string
	compare string
	input   *textinput.Model // the ticket, or what the caller says
	cannot  string           // why it cannot be done here ("" : it can)
}

type verifyPane struct {
	askingBase
	a     *actionDef
	t     target
	login string

	loaded     bool
	err        string
	privileged bool
	person     ad.User
	rows       []verifyRow
	at         int
}

type verifyLoaded struct {
	req        []verify.Check
	privileged bool
	person     ad.User
	manager    ad.User
	err        error
}

func (p *verifyPane) load(ctx context.Context, c *common) tea.Msg {
	req, privileged, err := c.am.RequiredChecks(ctx, p.a.name, p.login)
	if err != nil {
		return verifyLoaded{err: err}
	}
	l := verifyLoaded{req: req, privileged: privileged}
	if l.person, err = c.dir.Lookup(ctx, p.login); err != nil {
		l.err = err
		return l
	}
	if slices.Contains(req, verify.Manager) && l.person.ManagerDN != "" {
		l.manager, _ = c.dir.ByDN(ctx, l.person.ManagerDN) // shown by DN when it cannot be read
	}
	return l
}

func (p *verifyPane) update(c *common, msg tea.Msg) reqs {
	l, ok := msg.(verifyLoaded)
	if !ok {
		return nil
	}
	p.loaded = true
	if l.err != nil && len(l.req) == 0 {
		p.err = explain(l.err)
		return do(fail("The checks of the caller could not be prepared: " + p.err))
	}
	p.privileged, p.person = l.privileged, l.person
	if c.caller.covers(p.login, l.req, c.now()) {
		// checked already in this call (the stricter list was not theirs)
		return append(do(back()), p.a.open(c, p.t)...)
	}
	policy := c.am.CallerPolicy()
	for _, ck := range l.req {
		r := verifyRow{check: ck}
		switch ck {
		case verify.Callback:
			var nums []string
			if n := verify.Phone(l.person.Mobile); n != "" {
				nums = append(nums, "mobile "+n)
			}
			if n := verify.Phone(l.person.Phone); n != "" {
				nums = append(nums, "desk   "+n)
			}
			r.held = strings.Join(append(nums, "hang up and call them back"), "\n")
			if len(nums) == 0 {
				r.cannot = "the directory holds no number for " + p.login + ": no call back from here"
			}
		case verify.Manager:
			switch {
			case l.person.ManagerDN == "":
				r.cannot = "the directory names no manager of " + p.login
			case l.manager.Login != "":
				r.held = printable(l.manager.DisplayName) + " (" + l.manager.Login + ")"
				if n := verify.Phone(cmp.Or(l.manager.Mobile, l.manager.Phone)); n != "" {
					r.held += ", " + n
				}
				r.held += ": they confirm the call"
			default:
				r.held = printable(l.person.ManagerDN) + ": they confirm the call"
			}
		case verify.Passcode:
			r.held = "PIN + tokencode, tested: esc, then " + keyOf(c, action.TestPasscode) + " on their tokens"
			if at, ok := c.passcodeOK[strings.ToLower(p.login)]; ok && c.now().Sub(at) < 15*time.Minute {
				r.ticked, r.held = true, "AM accepted their passcode at "+at.In(c.loc).Format("15:04")
			}
		case verify.Ticket:
			in := newVerifyInput("INC0012345", verify.MaxTicketLen)
			in.SetValue(c.ticket)
			r.input = &in
		default: // the employee ID, a site's own: the caller says it, rsatui compares
			r.compare = l.person.EmployeeID
			if cs, ok := policy.Custom[ck]; ok {
				r.compare = l.person.Extra[cs.Attribute]
				for k, v := range l.person.Extra {
					if strings.EqualFold(k, cs.Attribute) {
						r.compare = v
					}
				}
			}
			if r.compare == "" {
				r.cannot = "the directory holds none for " + p.login
				break
			}
			r.held = verify.MaskID(r.compare)
			in := newVerifyInput("what the caller says", 64)
			r.input = &in
		}
		p.rows = append(p.rows, r)
	}
	if len(p.rows) == 0 || p.complete() {
		return p.proceed(c)
	}
	return p.focus(0)
}

func newVerifyInput(placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Placeholder, in.CharLimit, in.Prompt = placeholder, limit, ""
	in.SetWidth(24)
	return in
}

// done is the checks ticked, with the ticket's number.
func (p *verifyPane) done() verify.Done {
	d := verify.Done{}
	for _, r := range p.rows {
		if p.ok(r) {
			v := ""
			if r.check == verify.Ticket {
				v = strings.TrimSpace(r.input.Value())
			}
			d[r.check] = v
		}
	}
	return d
}

// ok reports whether a row's check is done: ticked, a valid ticket, or
// what the caller said matches.
func (p *verifyPane) ok(r verifyRow) bool {
	switch {
	case r.cannot != "":
		return false
	case r.check == verify.Ticket:
		v := strings.TrimSpace(r.input.Value())
		return v != "" && verify.CheckTicket(v) == nil
	case r.input != nil:
		return verify.SameID(r.input.Value(), r.compare)
	}
	return r.ticked
}

func (p *verifyPane) complete() bool {
	for _, r := range p.rows {
		if !p.ok(r) {
			return false
		}
	}
	return true
}

func (p *verifyPane) focus(i int) reqs {
	p.at = (i + len(p.rows)) % max(len(p.rows), 1)
	var cmds []tea.Cmd
	for j := range p.rows {
		if in := p.rows[j].input; in != nil {
			if j == p.at {
				cmds = append(cmds, in.Focus())
			} else {
				in.Blur()
			}
		}
	}
	return do(run(tea.Batch(cmds...)))
}

// proceed keeps the checks for this caller and opens the action's form.
func (p *verifyPane) proceed(c *common) reqs {
	d := p.done()
	c.caller = verifiedCaller{login: p.login, done: d, at: c.now()}
	if t, ok := d[verify.Ticket]; ok && t != "" {
		c.ticket = t
	}
	return append(do(back()), p.a.open(c, p.t)...)
}

// backsItself: esc goes back (the bar says so).
func (p *verifyPane) backsItself() {}

// typing: only on the ticket's or an ID's box; on a box to tick, q quits
// and ? helps as everywhere.
func (p *verifyPane) typing() bool {
	return p.loaded && len(p.rows) > 0 && p.rows[p.at].input != nil
}

func (p *verifyPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if k.String() == "esc" {
		return do(back(), say("Nothing sent: the checks of the caller were not finished.")), true
	}
	if !p.loaded || len(p.rows) == 0 {
		return nil, false
	}
	switch k.String() {
	case "up", "shift+tab":
		return p.focus(p.at - 1), true
	case "down", "tab":
		return p.focus(p.at + 1), true
	case "enter":
		if !p.complete() {
			var left []string
			for _, r := range p.rows {
				if !p.ok(r) {
					left = append(left, c.am.CallerPolicy().Label(r.check))
				}
			}
			return do(fail("Still to do before " + string(p.a.name) + ": " + strings.Join(left, ", ") + ".")), true
		}
		return p.proceed(c), true
	}
	r := &p.rows[p.at]
	if r.input != nil {
		in, cmd := r.input.Update(k)
		*r.input = in
		return do(run(cmd)), true
	}
	if k.String() == "space" || k.String() == "x" {
		if r.cannot != "" {
			return do(fail(r.cannot + ".")), true
		}
		if r.check == verify.Passcode {
			return do(fail("A passcode test ticks this one: esc, then " + keyOf(c, action.TestPasscode) + " on " + p.login + "'s tokens.")), true
		}
		r.ticked = !r.ticked
		return nil, true
	}
	return nil, false
}

func (p *verifyPane) view(c *common, w, h int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Who is calling?") + "\n")
	if !p.loaded {
		b.WriteString("Reading what the directory holds of " + p.login + "…\n")
		return b.String()
	}
	if p.err != "" {
		b.WriteString(st.Err.Render(wrap(p.err, w)) + "\n")
		return b.String()
	}
	who := p.login
	if p.person.DisplayName != "" {
		who = printable(p.person.DisplayName) + " (" + p.login + ")"
	}
	// "Issue a software token (QR code) for …": every action's words read
	// as a heading (after "Before" most did not)
	desc := strings.ToUpper(p.a.desc[:1]) + p.a.desc[1:]
	b.WriteString(wrap(fmt.Sprintf("%s for %s: the site's policy asks for these checks of the caller first.", desc, who), w) + "\n")
	if p.privileged {
		b.WriteString(st.Warn.Render("A privileged person (a group the policy names): the stricter list.") + "\n")
	}
	b.WriteString("\n")
	policy := c.am.CallerPolicy()
	for i, r := range p.rows {
		mark := "[ ]"
		if p.ok(r) {
			mark = "[x]"
		}
		cursor := "  "
		if i == p.at {
			cursor = st.Key.Render("> ")
		}
		prefix := cursor + mark + " " + fmt.Sprintf("%-16.16s ", policy.Label(r.check))
		line := ""
		switch {
		case r.cannot != "":
			line += st.Err.Render(r.cannot)
		case r.check == verify.Ticket:
			line += r.input.View()
		case r.input != nil:
			line += r.held + "  says: " + r.input.View()
			if v := strings.TrimSpace(r.input.Value()); v != "" {
				if verify.SameID(v, r.compare) {
					line += " " + st.OK.Render("match")
				} else {
					line += " " + st.Err.Render("no match")
				}
			}
		default:
			line += r.held
		}
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top, prefix, lipgloss.NewStyle().Width(max(w-lipgloss.Width(prefix), 20)).Render(line)) + "\n")
	}
	b.WriteString("\n" + st.Dim.Render(wrap("Tick a check only once it is done. The audit keeps which checks were done, by whom; the ticket goes into every change of this call.", w)) + "\n")
	return b.String()
}

func wrap(s string, w int) string { return lipgloss.NewStyle().Width(w).Render(s) }

func (p *verifyPane) crumbs() []string { return []string{"who is calling"} }

func (p *verifyPane) keys(c *common) []keyGroup {
	return []keyGroup{{title: "Checks of the caller", keys: []key.Binding{
		fixed("↑/↓", "move"), fixed("space", "tick"), fixed("enter", "go on"), fixed("esc", "back, nothing sent")}}}
}
