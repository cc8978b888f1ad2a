package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

type screen int

const (
	scrUsers screen = iota
	scrTokens
	scrDetail
	scrForm
	scrConfirm
	scrResult
)

// callTimeout bounds every AM call started from the console.
const callTimeout = 60 * time.Second

// Model is the root of the console: it owns the screens, the in-flight call
// and the status line, routes messages and lays out the frame.
type Model struct {
	dir  Directory
	am   AM
	info Info
	st   Styles
	now  func() time.Time

	w, h   int
	screen screen
	back   []screen

	showHelp  bool
	helpRoll  scroller // the help, when taller than the window
	paletteOn bool
	palette   textinput.Model

	// the one in-flight AM call: its label, cancel function and sequence number
	busy    string
	cancel  context.CancelFunc
	callSeq int
	writing bool // the call in flight changes AM: it is neither cancelled nor superseded
	spin    spinner.Model

	status    string
	statusErr bool
	notice    Notice

	users   usersPane
	tokens  tokensPane
	detail  detailPane
	form    formPane
	confirm confirmPane
	ahead   readAhead // the token read while a change to it is prepared
	result  resultPane
}

// Options configure a console.
type Options struct {
	NoColor bool
	Now     func() time.Time
}

// New builds the console.
func New(dir Directory, am AM, info Info, opt Options) Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if info.MaxEADays <= 0 {
		info.MaxEADays = 14
	}
	m := Model{dir: dir, am: am, info: info, st: newStyles(opt.NoColor), now: opt.Now, w: 80, h: 24,
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	m.palette = textinput.New()
	m.palette.Prompt = ":"
	m.palette.Placeholder = "user <text> · token <serial> · quit"
	m.users = newUsersPane()
	m.tokens = newTokensPane(opt.Now)
	m.detail.scroll = newScroller()
	m.status = "Type to search people in the directory; enter opens their tokens; ? shows every key."
	m.users.input.Focus()
	m.layout()
	return m
}

// startSearch asks Update to list everyone: Init works on a copy of the
// model, so state changes must happen in Update.
type startSearch struct{}

// Init lists everyone.
func (m Model) Init() tea.Cmd {
	return func() tea.Msg { return startSearch{} }
}

// --- messages ---

// callDone wraps the result of an AM call with the call's sequence number:
// results of cancelled or superseded calls are dropped.
type callDone struct {
	seq int
	msg tea.Msg
}

type tokensLoaded struct {
	user      ad.User
	principal rsa.Principal
	states    []rsa.TokenState
	err       error
}

type tokenLoaded struct {
	state rsa.TokenState
	err   error
}

type eaDone struct {
	req   rsa.EARequest
	clear bool
	res   rsa.EAResult
	err   error
}

// startCall runs fn in a tea.Cmd with a cancellable, bounded context; a new
// call cancels the previous one.
func (m *Model) startCall(label string, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	if m.writing {
		m.setStatus("A change is being sent to AM; wait for its result first.", true)
		return nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	m.cancel = cancel
	m.callSeq++
	seq := m.callSeq
	m.busy = label
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		defer cancel()
		return callDone{seq: seq, msg: fn(ctx)}
	})
}

// startWrite is startCall for a change: once sent, its result is always shown.
func (m *Model) startWrite(label string, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	if m.notice.Closing {
		m.setStatus("Not sent, nothing was changed: "+m.notice.Text, true)
		return nil
	}
	cmd := m.startCall(label, fn)
	if cmd != nil {
		m.writing = true
		m.ahead.forget() // a read made before the change must not come back over what AM holds after it
	}
	return cmd
}

func (m *Model) cancelCall() bool {
	if m.cancel == nil || m.busy == "" {
		return false
	}
	if m.writing {
		return true // cancelling now could leave the admin not knowing what AM did; the spinner line says so
	}
	m.cancel()
	m.cancel, m.busy = nil, ""
	m.callSeq++ // drop whatever the cancelled call still returns
	m.setStatus("Cancelled. Nothing was sent after the cancel; refresh (r) to see the current state.", false)
	return true
}

// setStatus shows s, made printable: errors carry AM's and the directory's
// own messages.
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

// push and pop move between screens. A status belongs to the screen that
// made it (#14 defect 5: "asmith holds 2 tokens…" followed one onto the
// form): moving clears it, and what the new screen has to say is set after.
func (m *Model) push(s screen) {
	m.back = append(m.back, m.screen)
	m.screen = s
	m.status, m.statusErr = "", false
	m.layout()
}

func (m *Model) pop() {
	if len(m.back) == 0 {
		return
	}
	m.screen = m.back[len(m.back)-1]
	m.back = m.back[:len(m.back)-1]
	m.status, m.statusErr = "", false
	m.layout()
}

// inputFocused reports whether typed letters belong to a text field (then q,
// ?, / and : are text, not commands).
func (m Model) inputFocused() bool {
	return m.paletteOn || (m.screen == scrUsers && m.users.input.Focused()) || (m.screen == scrForm && m.form.textFocused())
}

// --- update ---

// Update routes a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return m, nil
	case spinner.TickMsg:
		if m.busy == "" && !m.users.searching {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case callDone:
		if msg.seq != m.callSeq {
			return m, nil // cancelled or superseded
		}
		m.busy, m.cancel, m.writing = "", nil, false
		return m.handleResult(msg.msg)
	case startSearch:
		return m, m.users.searchNow(&m)
	case searchTick, searchPage, searchDone:
		cmd := m.users.handle(&m, msg)
		return m, cmd
	case autoRefresh:
		return m, m.tokens.autoRefresh(&m, msg)
	case readAheadDone:
		m.aheadDone(msg)
		return m, nil
	case Notice:
		m.notice = msg
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) handleResult(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch r := msg.(type) {
	case tokensLoaded:
		return m, m.tokens.loaded(&m, r)
	case tokenLoaded:
		if r.err != nil {
			m.setStatus(explain(r.err), true)
			return m, nil
		}
		m.detail.state = r.state
		m.tokens.replace(r.state)
		if m.screen == scrDetail { // the detail's own word; elsewhere the rows say it
			m.setStatus("Token "+r.state.Token.Serial+" read from AM at "+m.now().Format("15:04:05")+".", false)
		}
		return m, nil
	case eaDone:
		return m, m.result.done(&m, r)
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	key := k.String()
	if key == "ctrl+c" {
		if m.writing {
			m.setStatus("A change is being sent to AM; quit when its result shows (ctrl+c again to quit anyway).", true)
			m.writing = false // a second ctrl+c quits
			return m, nil
		}
		if m.cancel != nil {
			m.cancel()
		}
		m.users.stop()
		return m, tea.Quit
	}
	if m.paletteOn {
		return m.paletteKey(k)
	}
	if m.showHelp {
		if m.helpRoll.key(m.helpView(), m.w, m.bodyHeight(), k) {
			return m, nil
		}
		m.showHelp = false // any other key closes it
		return m, nil
	}
	if key == "esc" && m.cancelCall() {
		return m, nil
	}
	if !m.inputFocused() {
		switch key {
		case "q":
			if m.screen == scrConfirm {
				break // q cancels the confirm like any key but y
			}
			m.users.stop()
			return m, tea.Quit
		case "?":
			m.showHelp, m.helpRoll = true, newScroller()
			return m, nil
		case ":":
			m.paletteOn = true
			m.palette.SetValue("")
			return m, m.palette.Focus()
		}
	}
	// views taller than the window take the scroll keys first
	switch {
	case m.screen == scrDetail && m.detail.scroll.key(m.detail.content(&m), m.w, m.bodyHeight(), k),
		m.screen == scrResult && m.result.scroll.key(m.result.content(&m), m.w, m.bodyHeight(), k):
		return m, nil
	}
	var cmd tea.Cmd
	switch m.screen {
	case scrUsers:
		cmd = m.users.key(&m, k)
	case scrTokens:
		cmd = m.tokens.key(&m, k)
	case scrDetail:
		cmd = m.detail.key(&m, k)
	case scrForm:
		cmd = m.form.key(&m, k)
	case scrConfirm:
		cmd = m.confirm.key(&m, k)
	case scrResult:
		cmd = m.result.key(&m, k)
	}
	return m, cmd
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
			m.users.stop()
			return m, tea.Quit
		case "u", "user", "users":
			m.back, m.screen = nil, scrUsers
			m.users.input.SetValue(arg)
			m.layout()
			return m, tea.Batch(m.users.input.Focus(), m.users.searchNow(&m))
		case "t", "token":
			if err := rsa.ValidateSerial(arg); err != nil {
				m.setStatus(explain(err), true)
				return m, nil
			}
			return m, m.detail.open(&m, arg)
		case "":
			return m, nil
		}
		m.setStatus(fmt.Sprintf("Unknown command %q: try user <text>, token <serial> or quit.", verb), true)
		return m, nil
	}
	var cmd tea.Cmd
	m.palette, cmd = m.palette.Update(k)
	return m, cmd
}

// --- layout and view ---

// bodyHeight is what the header (2 lines) and footer (help + status) leave.
func (m Model) bodyHeight() int { return max(m.h-4, 3) }

func (m *Model) layout() {
	m.users.resize(m.w, m.bodyHeight())
	m.tokens.resize(m.w, m.bodyHeight())
	m.palette.SetWidth(max(m.w-4, 10))
}

// View renders the frame.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	return v
}

// Render is the frame as a string (tests golden-file it with ANSI stripped).
func (m Model) Render() string {
	bh := m.bodyHeight()
	var body string
	switch {
	case m.showHelp:
		body = m.helpRoll.view(m.st, m.helpView(), m.w, bh)
	default:
		switch m.screen {
		case scrUsers:
			body = m.users.view(&m)
		case scrTokens:
			body = m.tokens.view(&m)
		case scrDetail:
			body = m.detail.view(&m, bh)
		case scrForm:
			body = m.form.view(&m)
		case scrConfirm:
			body = m.confirm.view(&m)
		case scrResult:
			body = m.result.view(&m, bh)
		}
	}
	if !m.showHelp && (m.screen == scrForm || m.screen == scrConfirm) {
		// prose wraps; tables are sized already, and the scrolled views
		// (help, detail, result) were wrapped by their scroller
		body = lipgloss.NewStyle().Width(m.w).Render(body)
	}
	body = fit(body, m.w, bh)
	frame := lipgloss.JoinVertical(lipgloss.Left,
		fit(m.headerView(), m.w, 1),
		fit(m.crumbView(), m.w, 1),
		body,
		fit(m.noticeOrHelp(), m.w, 1),
		fit(m.statusView(), m.w, 1),
	)
	if m.h < 7 { // smaller than header + crumbs + 3 body lines + 2: show what fits
		frame = fit(frame, m.w, max(m.h, 1))
	}
	return frame
}

// headerView puts the badges first, so that a narrow window cuts the server
// name, never the READ-ONLY or TLS warning.
func (m Model) headerView() string {
	head := m.st.Title.Render("rsatui")
	if m.info.PlainHTTP {
		head += " " + m.st.badge("PLAIN HTTP", true)
	}
	if m.info.Insecure {
		head += " " + m.st.badge("TLS VERIFY OFF", true)
	}
	if m.info.ReadOnly {
		head += " " + m.st.badge("READ-ONLY", false)
	}
	if m.info.Role != "" {
		head += " " + m.st.badge(strings.ToUpper(m.info.Role), false)
	}
	if m.info.Demo {
		head += " " + m.st.badge("DEMO", false)
	}
	parts := []string{head}
	if m.info.User != "" {
		parts = append(parts, "ssh "+m.info.User)
	}
	// "AM account": the AM administrator rsatui logs in as — not a role of
	// the person (over SSH "· admin admin" read like one)
	parts = append(parts, "AM account "+m.info.Admin, "source "+m.info.IdentitySource, "AM "+m.info.Server)
	return strings.Join(parts, " · ")
}

func (m Model) crumbView() string {
	crumbs := []string{"users"}
	if q := m.users.input.Value(); q != "" {
		crumbs[0] = "users “" + q + "”"
	}
	if m.screen >= scrTokens && m.tokens.user.Login != "" {
		crumbs = append(crumbs, m.tokens.user.Login)
	}
	if m.screen >= scrDetail && m.detail.state.Token.Serial != "" {
		crumbs = append(crumbs, m.detail.state.Token.Serial)
	}
	switch m.screen {
	case scrForm:
		crumbs = append(crumbs, "emergency access")
	case scrConfirm:
		crumbs = append(crumbs, "confirm")
	case scrResult:
		crumbs = append(crumbs, "result")
	}
	return m.st.Crumb.Render(strings.Join(crumbs, " › "))
}

// noticeOrHelp is the line above the status: the host's notice when there is
// one (it matters more than the key hints), else the key hints.
func (m Model) noticeOrHelp() string {
	if m.notice.Text != "" {
		return m.st.Err.Render("⚠ " + m.notice.Text)
	}
	return m.helpBar()
}

func (m Model) statusView() string {
	if m.paletteOn {
		return m.palette.View()
	}
	if m.busy != "" && m.writing {
		return m.spin.View() + " a change, not cancellable · " + m.busy + "… (its result will show here)"
	}
	if m.busy != "" {
		return m.spin.View() + " " + m.busy + "… (esc cancels)"
	}
	if m.statusErr {
		return m.st.Err.Render("✗ " + m.status)
	}
	return m.st.Dim.Render(m.status)
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
