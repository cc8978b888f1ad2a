package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/textsafe"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/approval"
	"github.com/rsatui/rsatui/internal/rsa"
)

// callTimeout bounds every AM call started from the console.
const callTimeout = 60 * time.Second

// Model is the root of the console: navigation and wiring only. It holds
// the panes as a stack (the breadcrumb is drawn from it), the one AM call
// in flight, the status line, the command line and the frame; what each
// screen shows and does is its pane's (pane.go).
type Model struct {
	c      *common
	stack  []pane
	people *peoplePane // the bottom of the stack, always there

	paletteOn bool
	palette   textinput.Model

	// the one in-flight AM call: its label, owner, cancel function and
	// sequence number
	busy    string
	owner   pane
	cancel  context.CancelFunc
	callSeq int
	writing bool // the call in flight changes AM: it is neither cancelled nor superseded
	spin    spinner.Model
	// quitAsked: the person asked to quit while something would be lost
	// (a change being sent, codes shown only now); the next quit key quits
	quitAsked bool
	// sent is the change last sent; pending is one waiting on rsatui
	// serve's board for a second admin (approvals.go)
	sent    sentWrite
	pending *pendingChange

	status     string
	statusErr  bool
	notice     Notice
	frameH     int  // the terminal's height
	background bool // the message being routed is no answer to the person (a search page, a tick)
}

// Options configure a console.
type Options struct {
	NoColor bool
	Now     func() time.Time
	// Location is the zone times are shown in (nil: the machine's, which
	// honours TZ); the confirm also shows UTC.
	Location *time.Location
	// Keys are the key bindings (nil: DefaultKeys); see WithKeys.
	Keys *KeyMap
	// EALifetime is the lifetime the emergency-access form starts with
	// ("" : rsa.DefaultEALifetime).
	EALifetime string
	// Activity follows AM's authentication activity for the person
	// screens (nil: the console polls AM itself). rsatui serve hands every
	// session the same one, so fifty dashboards cost one poll.
	Activity *activity.Poller
	// Context is the console's life: when it ends (an SSH session closes)
	// the person screens stop watching (nil: the program's).
	Context context.Context
	// PlanDir is where a plan run from a report is kept with its journal
	// (rsatui batch apply goes on with it); "" : plans beside the default
	// audit log.
	PlanDir string
	// Approvals is rsatui serve's board of requests for a second admin
	// (nil: there is none, and a change that needs one is refused).
	Approvals *approval.Board
}

// New builds the console.
func New(dir Directory, am AM, info Info, opt Options) Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	km := DefaultKeys()
	if opt.Keys != nil {
		km = *opt.Keys
	}
	if opt.EALifetime == "" {
		opt.EALifetime = rsa.DefaultEALifetime
	}
	if opt.Activity == nil {
		opt.Activity = activity.New(am, activity.DefaultInterval, opt.Now)
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	if opt.PlanDir == "" {
		opt.PlanDir = filepath.Join(filepath.Dir(audit.DefaultPath()), "plans")
	}
	c := &common{dir: dir, am: am, info: info, st: newStyles(opt.NoColor), km: km, now: opt.Now, loc: opt.Location, eaLifetime: opt.EALifetime, planDir: opt.PlanDir,
		feed: opt.Activity, ctx: opt.Context, passcodeOK: map[string]time.Time{}, approvals: opt.Approvals, boardRedraw: boardRedraw}
	m := Model{c: c, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	m.palette = textinput.New()
	m.palette.Prompt = ":"
	m.palette.Placeholder = "user <text> · token <serial> · report expiring|leavers|unused · ticket <INC123> · quit"
	// bounded like every text box: a megabyte pasted by mistake froze the
	// console for minutes (every render drew all of it)
	m.palette.CharLimit = len("ticket ") + rsa.MaxReasonLen
	m.people = newPeoplePane()
	m.stack = []pane{m.people}
	c.top = m.people
	m.status = fmt.Sprintf("Press %s and type a login, name, mail or token serial to find a person; %s opens their tokens; %s shows every key.",
		km[action.Search].Help().Key, km[action.Open].Help().Key, km[action.Help].Help().Key)
	m.setSize(80, 24)
	return m
}

// startSearch asks Update to list everyone: Init works on a copy of the
// model, so state changes must happen in Update.
type startSearch struct{}

// Init lists everyone.
func (m Model) Init() tea.Cmd {
	return tea.Batch(func() tea.Msg { return startSearch{} }, m.watchBoard())
}

// callDone wraps the result of an AM call with the call's sequence number:
// results of cancelled or superseded calls are dropped.
type callDone struct {
	seq int
	msg tea.Msg
}

// writeStarted is told to every pane when a change is sent: a read made
// before it must not come back over what AM holds after it.
type writeStarted struct{}

func (m Model) top() pane { return m.stack[len(m.stack)-1] }

func (m *Model) setStatus(s string, isErr bool) { m.status, m.statusErr = printable(s), isErr }

// explain turns any error into one line with the next step.
func explain(err error) string {
	switch {
	case err == nil:
		return ""
	case ad.IsDirectoryError(err):
		return ad.Explain(err)
	}
	return rsa.Explain(err)
}

// --- requests ---

// apply acts on a pane's requests in order and returns the commands they
// start. A status is taken from the pane on screen, or from a pane that
// has just moved (its own words about where it went: "Cancelled").
func (m *Model) apply(from pane, rs reqs) tea.Cmd {
	var cmds []tea.Cmd
	moved := false
	for _, r := range rs {
		switch r := r.(type) {
		case pushReq:
			m.stack = append(m.stack, r.p)
			m.moved()
			moved = true
			r.p.resize(m.c, m.c.w, m.c.h)
			if o, ok := r.p.(interface{ open(*common) reqs }); ok {
				cmds = append(cmds, m.apply(r.p, o.open(m.c)))
			}
		case backReq:
			m.back(from, r.to)
			moved = true
		case resetReq:
			closePanes(m.stack[1:])
			m.stack = m.stack[:1]
			m.moved()
			moved = true
			if r.p != nil {
				cmds = append(cmds, m.apply(nil, do(push(r.p))))
			}
		case statusReq:
			if m.background && !r.isErr && m.statusErr && !moved {
				// a search ending behind the person's back does not wipe
				// the error they just caused (":token 12ab" while everyone
				// was still being listed)
				continue
			}
			if from == m.top() || moved || from == nil {
				m.setStatus(r.text, r.isErr)
			}
		case callReq:
			cmds = append(cmds, m.startCall(from, r))
		case cmdReq:
			cmds = append(cmds, r.cmd)
		case tellReq:
			cmds = append(cmds, m.tellAll(r.msg))
		case quitReq:
			cmds = append(cmds, m.quit())
		}
	}
	return tea.Batch(cmds...)
}

// back closes the pane that asked (from) and every pane above it — the
// pane on top when the console itself asks — or, with to, every pane
// above to. The bottom pane stays.
func (m *Model) back(from, to pane) {
	i := len(m.stack) - 1 // the index of the pane to close
	switch {
	case to != nil:
		for i > 0 && m.stack[i-1] != to {
			i--
		}
	case from != nil && m.onStack(from):
		for m.stack[i] != from {
			i--
		}
	}
	if i < 1 {
		return
	}
	overlay, isHelp := m.stack[i].(*helpPane)
	closePanes(m.stack[i:])
	m.stack = m.stack[:i]
	m.moved()
	if isHelp && i == len(m.stack) {
		// the help is looked at, not gone to: the screen under it keeps
		// what it said
		m.status, m.statusErr = overlay.under.text, overlay.under.isErr
	}
}

// moved: a status belongs to the screen that made it (
// "asmith holds 2 tokens…" followed one onto the form).
func (m *Model) moved() {
	m.c.top = m.top()
	m.status, m.statusErr = "", false
}

// tellAll hands msg to every pane, bottom first.
func (m *Model) tellAll(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range append([]pane(nil), m.stack...) {
		cmds = append(cmds, m.apply(p, p.update(m.c, msg)))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onStack(p pane) bool {
	for _, q := range m.stack {
		if q == p {
			return true
		}
	}
	return false
}

// startCall runs r.fn in a tea.Cmd with a cancellable, bounded context; a
// new call cancels the previous one, unless that one is a change.
func (m *Model) startCall(from pane, r callReq) tea.Cmd {
	if m.writing {
		m.setStatus("A change is being sent to AM; wait for its result first.", true)
		return nil
	}
	var told tea.Cmd
	if r.write {
		if m.notice.Closing {
			m.setStatus("Not sent, nothing was changed: "+m.notice.Text, true)
			return nil
		}
		told = m.tellAll(writeStarted{})
	}
	if m.cancel != nil {
		m.cancel()
	}
	// a read ends with the console (rsatui serve: the SSH session); a
	// write once sent is seen through to its read-back and its audit
	// outcome even when the session closes meanwhile
	base := m.c.ctx
	if r.write {
		base = rsa.WithReason(context.WithoutCancel(base), m.c.ticket)
		if v := m.c.caller; v.login != "" && m.c.now().Sub(v.at) < callerFor {
			base = rsa.WithCaller(base, v.login, v.done)
		}
	}
	ctx, cancel := context.WithTimeout(base, callTimeout)
	m.cancel, m.owner, m.writing = cancel, from, r.write
	m.callSeq++
	seq := m.callSeq
	m.busy = r.label
	m.c.busy = true
	fn := r.fn
	var w *Unfinished
	if r.write {
		m.sent = sentWrite{owner: from, r: r, caller: m.c.caller, ticket: m.c.ticket}
		// kept beyond the console's life: quitting while it is sent leaves
		// its outcome to the host to say (Model.Unfinished)
		w = &Unfinished{Label: r.label, done: make(chan struct{})}
		m.c.inflight = w
	}
	return tea.Batch(told, m.spin.Tick, func() tea.Msg {
		defer cancel()
		msg := fn(ctx)
		if w != nil {
			w.finish(msg)
		}
		return callDone{seq: seq, msg: msg}
	})
}

func (m *Model) cancelCall() bool {
	if m.cancel == nil || m.busy == "" {
		return false
	}
	if m.owner != nil && m.owner != m.top() {
		// a screen below is reading (the token list after a change): esc is
		// for the screen on top, which is not waiting on that read
		return false
	}
	if m.writing {
		return true // cancelling now could leave the admin not knowing what AM did; the spinner line says so
	}
	m.cancel()
	m.cancel, m.busy, m.owner, m.c.busy = nil, "", nil, false
	m.callSeq++ // drop whatever the cancelled call still returns
	m.setStatus("Cancelled. Nothing was sent after the cancel; refresh (r) to see the current state.", false)
	return true
}

func (m *Model) quit() tea.Cmd {
	if m.cancel != nil && !m.writing {
		m.cancel() // a read; a change once sent is seen through (the host says its outcome)
	}
	m.people.stop()
	closePanes(m.stack)
	return tea.Quit
}

// closer is a pane that holds something while on the stack (a live watch
// of AM's activity): it lets go when the pane is closed.
type closer interface{ close() }

func closePanes(ps []pane) {
	for _, p := range ps {
		if c, ok := p.(closer); ok {
			c.close()
		}
	}
}

// deliverWrite hands a change's result to the screen that sent it, or
// when that one is closed to the nearest screen that takes it (the help
// may have been opened over the form meanwhile): it is always shown.
func (m *Model) deliverWrite(owner pane, msg tea.Msg) tea.Cmd {
	if m.onStack(owner) {
		return m.apply(owner, owner.update(m.c, msg))
	}
	for i := len(m.stack) - 1; i >= 0; i-- {
		if rs := m.stack[i].update(m.c, msg); len(rs) > 0 {
			return m.apply(m.stack[i], rs)
		}
	}
	return nil
}

// --- update ---

// Update routes a message: keys to the pane on screen (then to the global
// keys), a call's result to the pane that asked, anything else to every
// pane.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case spinner.TickMsg:
		if msg.ID != m.spin.ID() {
			break // a pane's own
		}
		if m.busy == "" {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case callDone:
		if msg.seq != m.callSeq {
			return m, nil // cancelled or superseded
		}
		owner, wrote := m.owner, m.writing
		m.busy, m.cancel, m.writing, m.owner, m.c.busy = "", nil, false, nil, false
		if wrote {
			m.c.inflight = nil
			m.quitAsked = false // what was asked about has come
		}
		if tf, ok := msg.msg.(tokenFound); ok {
			return m, m.tokenFound(tf)
		}
		if ae := needsApproval(msg.msg); wrote && ae != nil && m.c.approvals != nil {
			return m, m.askApproval(ae, msg.msg)
		}
		if wrote {
			return m, m.deliverWrite(owner, msg.msg)
		}
		if m.onStack(owner) {
			return m, m.apply(owner, owner.update(m.c, msg.msg))
		}
		return m, nil // a read whose screen was closed
	case boardChanged:
		return m, m.boardMoved(msg)
	case startSearch:
		return m, m.apply(m.people, m.people.searchNow(m.c))
	case Notice:
		m.notice = msg
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		if m.paletteOn { // a paste into the command line (bounded like typing)
			var cmd tea.Cmd
			m.palette, cmd = m.palette.Update(msg)
			return m, cmd
		}
	}
	m.background = true
	cmd := m.tellAll(msg)
	m.background = false
	return m, cmd
}

func (m Model) handleKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	quitKey := k.String() == "ctrl+c" || (!m.paletteOn && !m.top().typing() && key.Matches(k, m.c.km[action.Quit]))
	if quitKey {
		if why := m.loses(); why != "" && !m.quitAsked {
			m.quitAsked = true
			m.setStatus(why+": "+k.String()+" again quits anyway.", true)
			return m, nil
		}
		return m, m.quit()
	}
	if m.quitAsked {
		// any other key is the answer "stay": the question goes with it
		m.quitAsked = false
		m.setStatus("", false)
	}
	if m.paletteOn {
		return m.paletteKey(k)
	}
	if k.String() == "esc" && m.cancelCall() {
		return m, nil
	}
	top := m.top()
	if rs, ok := top.key(m.c, k); ok {
		return m, m.apply(top, rs)
	}
	if top.typing() {
		return m, nil // a text box takes its keys; esc leaves it
	}
	km := m.c.km
	switch {
	case key.Matches(k, km[action.Help]):
		whole := ""
		if m.statusCut() {
			whole = m.status
		}
		h := newHelpPane(m.keyGroups(), whole)
		h.under = statusReq{m.status, m.statusErr}
		return m, m.apply(nil, do(push(h)))
	case key.Matches(k, km[action.Command]):
		m.paletteOn = true
		m.palette.SetValue("")
		return m, m.palette.Focus()
	case key.Matches(k, km[action.Search]):
		return m, m.searchPeople("", false)
	case key.Matches(k, km[action.Requests]):
		return m, m.apply(nil, openRequests(m.c))
	case key.Matches(k, km[action.Back]) && len(m.stack) > 1:
		return m, m.apply(nil, do(back()))
	case key.Matches(k, km[action.Quit]):
		return m, m.quit()
	}
	return m, nil
}

// searchPeople goes back to the people search with the cursor in its box;
// with set, the box takes text and searches for it.
func (m *Model) searchPeople(text string, set bool) tea.Cmd {
	cmd := m.apply(nil, do(resetReq{}))
	return tea.Batch(cmd, m.apply(m.people, m.people.focusBox(m.c, text, set)))
}

func (m Model) paletteKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc":
		m.paletteOn = false
		m.palette.Blur()
		return m, nil
	case "enter":
		m.paletteOn = false
		m.palette.Blur()
		verb, arg, _ := strings.Cut(strings.TrimSpace(m.palette.Value()), " ")
		arg = strings.TrimSpace(arg)
		switch verb {
		case "q", "quit":
			return m, m.quit()
		case "u", "user", "users":
			return m, m.searchPeople(arg, true)
		case "ea", "next", "locked":
			return m, m.apply(nil, append(do(resetReq{}), openHolders(m.c, verb)...))
		case "report":
			return m, m.apply(nil, append(do(resetReq{}), openReport(m.c, arg)...))
		case "expiring", "leavers", "unused":
			return m, m.apply(nil, append(do(resetReq{}), openReport(m.c, verb+" "+arg)...))
		case "requests", "approvals":
			return m, m.apply(nil, openRequests(m.c))
		case "ticket":
			if err := rsa.CheckReason(arg); err != nil {
				m.setStatus(trimKind(err), true)
				return m, nil
			}
			m.c.ticket = arg
			if arg == "" {
				m.setStatus("No ticket: the changes from now on are audited without one.", false)
			} else {
				m.setStatus("Ticket "+printable(arg)+": kept in the audit of every change from now on (:ticket alone clears it).", false)
			}
			return m, nil
		case "t", "token":
			if err := rsa.ValidateSerial(arg); err != nil {
				m.setStatus(explain(err), true)
				return m, nil
			}
			return m, m.openToken(arg)
		case "":
			return m, nil
		}
		m.setStatus(fmt.Sprintf("Unknown command %q: try user <text>, token <serial>, report expiring|leavers|unused, ticket <text> or quit.", verb), true)
		return m, nil
	}
	var cmd tea.Cmd
	m.palette, cmd = m.palette.Update(k)
	return m, cmd
}

// openToken opens a token by its serial: above the token list it is on,
// if one is open, else straight above the people search — never under a
// person it does not belong to.
func (m *Model) openToken(serial string) tea.Cmd {
	for i := len(m.stack) - 1; i > 0; i-- {
		if t, ok := m.stack[i].(*tokensPane); ok && t.holds(serial) {
			m.apply(nil, do(backReq{to: t}))
			return m.apply(t, do(push(newDetailPane(t.state(serial), t.user))))
		}
	}
	// read first: a serial AM does not know opens no screen (it opened a
	// made-up record, with actions, under the person shown before)
	am := m.c.am
	return m.apply(nil, do(call("Reading token "+serial, func(ctx context.Context) tea.Msg {
		st, err := am.Token(ctx, serial)
		return tokenFound{serial: serial, state: st, err: err}
	})))
}

// tokenFound opens the token :token read, or says on the screen it was
// asked from why there is none.
func (m *Model) tokenFound(r tokenFound) tea.Cmd {
	switch {
	case errors.Is(r.err, rsa.ErrNotFound):
		m.setStatus("AM has no token "+r.serial+": check the serial on the back of the token (12 digits).", true)
		return nil
	case r.err != nil:
		m.setStatus(explain(r.err), true)
		return nil
	}
	d := newDetailPane(r.state, ad.User{Login: r.state.Token.AssignedUserID})
	d.fresh = true
	return m.apply(d, do(resetReq{p: d}, say("Token "+r.serial+" read from AM at "+m.c.now().In(m.c.loc).Format("15:04:05")+".")))
}

// tokenFound is a token read for :token, before its screen opens.
type tokenFound struct {
	serial string
	state  rsa.TokenState
	err    error
}

// --- layout and view ---

// bodyHeight is what the header and breadcrumb (2 lines) and the key bar
// and status (2) leave.
func bodyHeight(h int) int { return max(h-4, 3) }

func (m *Model) setSize(w, h int) {
	m.c.w, m.c.h = w, bodyHeight(h)
	m.frameH = h
	for _, p := range m.stack {
		p.resize(m.c, m.c.w, m.c.h)
	}
	m.palette.SetWidth(max(w-4, 10))
}

// keyGroups are the bindings that work now: the pane's, then the global
// ones it leaves.
func (m Model) keyGroups() []keyGroup {
	top := m.top()
	groups := top.keys(m.c)
	if top.typing() {
		return append(groups, keyGroup{"everywhere", []key.Binding{fixed("ctrl+c", "quit")}})
	}
	if _, isHelp := top.(*helpPane); isHelp {
		return groups
	}
	if _, holds := top.(interface{ holdsConsole() }); holds {
		// nothing else opens meanwhile (a request waiting): help and quit only
		return append(groups, keyGroup{"everywhere", []key.Binding{m.c.km[action.Help], m.c.km[action.Quit]}})
	}
	_, own := top.(interface{ backsItself() })
	return append(groups, m.c.km.globalKeys(len(m.stack) > 1 && !own))
}

// View renders the frame.
func (m Model) View() tea.View {
	// the last net: a value from the directory or AM that a pane put on
	// screen as it came cannot act on the terminal (textsafe.Frame)
	v := tea.NewView(textsafe.Frame(m.Render()))
	v.AltScreen = true
	return v
}

// Render is the frame as a string (tests golden-file it with ANSI stripped).
func (m Model) Render() string {
	w, bh := m.c.w, m.c.h
	if p, ok := m.top().(interface{ wholeScreen() bool }); ok && p.wholeScreen() && m.frameH > 0 {
		// a QR code needs every line a small terminal has but one: the
		// pane draws its own title and keys beside it; the status line
		// stays (a quit question must be seen)
		bh := max(m.frameH-1, 1)
		return lipgloss.JoinVertical(lipgloss.Left, fit(p.(pane).view(m.c, w, bh), w, bh), fit(m.statusView(), w, 1))
	}
	body := fit(m.top().view(m.c, w, bh), w, bh)
	frame := lipgloss.JoinVertical(lipgloss.Left,
		fit(m.headerView(), w, 1),
		fit(m.crumbView(), w, 1),
		body,
		fit(m.noticeOrHelp(), w, 1),
		fit(m.statusView(), w, 1),
	)
	if m.frameH < 7 { // smaller than header + crumbs + 3 body lines + 2: show what fits
		frame = fit(frame, w, max(m.frameH, 1))
	}
	return frame
}

// headerView puts the badges first, so that a narrow window cuts the server
// name, never the READ-ONLY or TLS warning.
func (m Model) headerView() string {
	st, info := m.c.st, m.c.info
	head := st.Title.Render("rsatui")
	if info.PlainHTTP {
		head += " " + st.badge("PLAIN HTTP", true)
	}
	if info.Insecure {
		head += " " + st.badge("TLS VERIFY OFF", true)
	}
	if info.ReadOnly {
		head += " " + st.badge("READ-ONLY", false)
	}
	if info.Role != "" {
		head += " " + st.badge(strings.ToUpper(info.Role), false)
	}
	if info.Demo {
		head += " " + st.badge("DEMO", false)
	}
	if n := m.othersWaiting(); n > 0 {
		// another admin waits for a second one: seen from every screen
		head += " " + st.badge(fmt.Sprintf("%d REQUEST%s %s", n, map[bool]string{true: "S", false: ""}[n > 1], keyOf(m.c, action.Requests)), true)
	}
	parts := []string{head}
	if info.User != "" {
		parts = append(parts, "ssh "+info.User)
	}
	// "AM account": the AM administrator rsatui logs in as — not a role of
	// the person (over SSH "· admin admin" read like one)
	parts = append(parts, "AM account "+info.Admin, "source "+info.IdentitySource, "AM "+info.Server)
	return strings.Join(parts, " · ")
}

// crumbView is the stack, each pane's part in turn (a serial named by the
// token, the form on it and the confirm, once).
func (m Model) crumbView() string {
	var crumbs []string
	for _, p := range m.stack {
		for _, c := range p.crumbs() {
			if c != "" && !slices.Contains(crumbs, c) {
				crumbs = append(crumbs, c)
			}
		}
	}
	return m.c.st.Crumb.Render(strings.Join(crumbs, " › "))
}

// noticeOrHelp is the line above the status: the host's notice when there is
// one (it matters more than the key hints), else the key bar.
func (m Model) noticeOrHelp() string {
	if m.notice.Text != "" {
		return m.c.st.Err.Render("⚠ " + m.notice.Text)
	}
	// the bar: the screen's essential keys, then the global ones, then the
	// rest (the moving keys) as far as they fit
	groups := m.keyGroups()
	if len(groups) > 2 {
		last := len(groups) - 1
		groups = append([]keyGroup{groups[0], groups[last]}, groups[1:last]...)
	}
	return helpBar(m.c.st, groups, m.c.w)
}

func (m Model) statusView() string {
	st := m.c.st
	if m.paletteOn {
		return m.palette.View()
	}
	if m.busy != "" && m.writing && !m.quitAsked { // (asked to quit: the question shows)
		return m.spin.View() + " a change, not cancellable · " + m.busy + "… (its result will show here)"
	}
	if m.busy != "" && !m.quitAsked {
		return m.spin.View() + " " + m.busy + "… (esc cancels)"
	}
	text := m.status
	if m.statusErr {
		text = "✗ " + text
	}
	if m.statusCut() {
		// a long fault is not lost at the edge: the help shows it whole
		const more = "… (? shows it whole)"
		text = ansi.Truncate(text, max(m.c.w-ansi.StringWidth(more), 0), "") + more
	}
	if m.statusErr {
		return st.Err.Render(text)
	}
	return st.Dim.Render(text)
}

// statusCut reports whether the status is wider than its line.
func (m Model) statusCut() bool {
	w := ansi.StringWidth(m.status)
	if m.statusErr {
		w += 2
	}
	return w > m.c.w
}

// fit cuts s to exactly h lines of at most w columns (with an ellipsis where a
// line is cut), padding short ones: nothing ever wraps or overflows.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			l = ansi.Truncate(l, w, "…")
		}
		lines[i] = l + strings.Repeat(" ", max(w-ansi.StringWidth(l), 0))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

// loses says what quitting now would lose ("" when nothing): a change
// being sent (its result, and any code it brings, would not be seen), or
// a screen that holds what cannot be shown again.
func (m Model) loses() string {
	if m.writing {
		return "A change is being sent; its result shows here"
	}
	for i := len(m.stack) - 1; i >= 0; i-- {
		if p, ok := m.stack[i].(interface{ precious() string }); ok {
			if why := p.precious(); why != "" {
				return why
			}
		}
	}
	return ""
}

// Unfinished is a change that was being sent when the console quit: the
// host waits a little for it and says its outcome on the terminal left
// behind, so that nobody leaves not knowing what AM did.
type Unfinished struct {
	Label string // "Putting token 000100001007 into emergency access"
	done  chan struct{}
	err   error
	known bool // the change's result says applied or failed
	// Unseen is what the change brought that nobody saw, and how to get
	// it anew ("" when nothing): emergency codes are shown only once
	Unseen string
}

func (w *Unfinished) finish(msg tea.Msg) {
	if r, ok := msg.(interface{ outcome() error }); ok {
		w.err, w.known = r.outcome(), true
	}
	if r, ok := msg.(interface{ unseen() string }); ok {
		w.Unseen = r.unseen()
	}
	close(w.done)
}

// Wait waits up to d for the change's result: done false when it did not
// come; err is what AM answered (nil: applied).
func (w *Unfinished) Wait(d time.Duration) (done bool, err error) {
	select {
	case <-w.done:
		return w.known, w.err
	case <-time.After(d):
		return false, nil
	}
}

// Unfinished is the change being sent when the console quit, if any.
func (m Model) Unfinished() *Unfinished { return m.c.inflight }
