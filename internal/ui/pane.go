package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/approval"
)

// pane is one screen of the console. Each lives in its own file and knows
// nothing of the others' insides or of the root: what it needs is in the
// shared common value, and what it wants done (open a screen, go back, say
// something, call AM) it asks for in the requests it returns. The root holds
// the panes as a stack; the breadcrumb is drawn from it, so it shows what is
// on screen and nothing else.
type pane interface {
	// key handles a key press; handled=false leaves it to the console's
	// global keys (help, command, search, back, quit).
	key(c *common, k tea.KeyPressMsg) (r reqs, handled bool)
	// update takes every other message: a call's result (for the pane that
	// started it), a token read anew, a tick of its own. Each pane ignores
	// what is not its own.
	update(c *common, msg tea.Msg) reqs
	// view draws the pane in w×h (the root cuts what does not fit).
	view(c *common, w, h int) string
	// resize tells the pane the body's size (tables lay out their columns).
	resize(c *common, w, h int)
	// crumbs are the pane's part of the breadcrumb.
	crumbs() []string
	// keys are the bindings that work on the pane now, the essential ones
	// first (the key bar shows what fits), grouped for the help.
	keys(c *common) []keyGroup
	// typing reports whether a text box has the cursor: printable keys are
	// then text, and only ctrl+c and esc keep their meaning.
	typing() bool
}

// paneBase gives a pane the methods it has nothing to say in: no layout
// to redo on a resize, no messages of its own, and no text box (letters
// are commands). A pane embeds it and writes only what it needs.
type paneBase struct{}

func (paneBase) resize(*common, int, int)     {}
func (paneBase) update(*common, tea.Msg) reqs { return nil }
func (paneBase) typing() bool                 { return false }

// askingBase is paneBase for a pane that takes every key as text or as
// an answer (a form, a yes/no question).
type askingBase struct{ paneBase }

func (askingBase) typing() bool { return true }

// shownOnce is what a screen showing a secret once (a passcode, a QR
// code) has in common: done takes it off the screen, saying so. title
// names the key group, goes what goes ("the passcode"), gone the words
// after "Done:" ("the passcode is").
type shownOnce struct{ title, goes, gone string }

func (s shownOnce) keys(c *common) []keyGroup {
	return []keyGroup{{s.title, []key.Binding{withHelp(c.km[action.Done], "done ("+s.goes+" goes)")}}}
}

func (s shownOnce) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if key.Matches(k, c.km[action.Done]) {
		return do(back(), say("Done: "+s.gone+" gone from the screen.")), true
	}
	return nil, false
}

// keyGroup is a titled group of bindings in the help; the key bar takes the
// bindings of every group in order.
type keyGroup struct {
	title string
	keys  []key.Binding
}

// common is the one value every pane is handed: what the console is
// connected to, who uses it, how it draws, and the clock (one shared
// context instead of panes reaching into the root).
type common struct {
	dir  Directory
	am   AM
	info Info
	st   Styles
	km   KeyMap
	now  func() time.Time
	loc  *time.Location // the zone times are shown in (setting timezone, TZ)
	w, h int            // the body's size
	top  pane           // the pane on screen (a pane asks onTop before acting on a tick)
	busy bool           // an AM call is in flight (auto-refresh waits)
	feed *activity.Poller
	ctx  context.Context // the console's life (rsatui serve: the session's)
	// inflight is the change being sent, while it is (Model.Unfinished)
	inflight *Unfinished
	// eaLifetime is the lifetime the emergency-access form starts with
	eaLifetime string
	// ticket is the help desk's ticket or reason (:ticket), kept in the
	// audit of every change sent while it is set
	ticket string
	// planDir is where a report's plan is kept while it runs
	planDir string
	// caller is the person on the phone and the checks of them done
	// (verify.go); passcodeOK when AM last accepted a passcode test of a
	// person (login, lower case) in this console
	caller     verifiedCaller
	passcodeOK map[string]time.Time
	// approvals is rsatui serve's board of requests for a second admin
	// (nil outside it); boardRedraw how often the times its requests have
	// left are drawn anew
	approvals   *approval.Board
	boardRedraw time.Duration
}

// onTop reports whether p is the pane on screen.
func (c *common) onTop(p pane) bool { return c.top == p }

// reqs are what a pane asks of the console, acted on in order as soon as
// the pane returns: a key typed right after "/" must reach the search box,
// so opening a screen cannot wait for a command's round trip.
type reqs []request

type request interface{ isRequest() }

// pushReq opens a pane on top.
type pushReq struct{ p pane }

// backReq closes the pane that asked and any above it — or, with to set,
// every pane above to.
type backReq struct{ to pane }

// resetReq closes every pane but the bottom one (the people search), then
// opens p on it when p is set.
type resetReq struct{ p pane }

// statusReq sets the status line; it is shown only while the pane that set
// it is on screen (a status belongs to the screen that made it).
type statusReq struct {
	text  string
	isErr bool
}

// callReq runs an AM call in a tea.Cmd with a bounded context that esc
// cancels; its result comes back to the pane that asked (update). A write
// is neither cancelled nor superseded, and its result goes to the pane on
// screen if the one that asked has been closed.
type callReq struct {
	label string
	write bool
	fn    func(ctx context.Context) tea.Msg
	// detail is a write's every line where its label cannot say it all (a
	// plan's changes): what a second admin reads before approving it
	detail []string
}

// cmdReq is any other command of the pane's own (a tick, a read ahead).
type cmdReq struct{ cmd tea.Cmd }

// tellReq hands msg to every pane (a token read anew: every screen that
// shows it takes it in).
type tellReq struct{ msg tea.Msg }

// quitReq leaves the console.
type quitReq struct{}

func (pushReq) isRequest()   {}
func (backReq) isRequest()   {}
func (resetReq) isRequest()  {}
func (statusReq) isRequest() {}
func (callReq) isRequest()   {}
func (cmdReq) isRequest()    {}
func (tellReq) isRequest()   {}
func (quitReq) isRequest()   {}

func push(p pane) request      { return pushReq{p} }
func back() request            { return backReq{} }
func say(text string) request  { return statusReq{text: text} }
func fail(text string) request { return statusReq{text: text, isErr: true} }
func run(cmd tea.Cmd) request  { return cmdReq{cmd} }
func tell(msg tea.Msg) request { return tellReq{msg} }
func do(r ...request) reqs     { return r }

func call(label string, fn func(ctx context.Context) tea.Msg) request {
	return callReq{label: label, fn: fn}
}

func write(label string, fn func(ctx context.Context) tea.Msg) request {
	return callReq{label: label, write: true, fn: fn}
}
