package ui

import (
	"context"
	"strings"
	"sync"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
)

// detailPane is one token's whole record, every field with its AM name
// (and its meaning, with i), scrolled when taller than the window.
type detailPane struct {
	paneBase
	state   rsa.TokenState
	user    ad.User // the person whose list it was opened from (none from :token)
	explain bool
	fresh   bool // the record was read just before the screen opened
	scroll  scroller
	// changes are AM's administration records of the token in the last
	// days ("who changed it"), read with the record from its holder's
	changes    []rsa.AuthEvent
	changesErr error
	changesOf  string // the holder they were read for ("" : not read)
}

// tokenLoaded is a token read for the detail.
type tokenLoaded struct {
	state      rsa.TokenState
	err        error
	changes    []rsa.AuthEvent
	changesErr error
	changesOf  string
}

// newDetailPane shows what is known of s at once and reads the whole record
// on opening (one round trip when the GUID is known).
func newDetailPane(s rsa.TokenState, u ad.User) *detailPane {
	return &detailPane{state: s, user: u, scroll: newScroller()}
}

func (p *detailPane) open(c *common) reqs {
	if p.fresh {
		return nil // read just now (:token): a second read would only make esc cancel it
	}
	return do(p.read(c))
}

func (p *detailPane) read(c *common) request {
	am, st, since := c.am, p.state, c.now().Add(-diagnose.Window)
	owner := st.Token.AssignedUserID
	if owner == "" {
		owner = p.user.Login
	}
	return call("Reading token "+st.Token.Serial, func(ctx context.Context) tea.Msg {
		var r tokenLoaded
		var wg sync.WaitGroup
		wg.Go(func() { r.state, r.err = am.Reread(ctx, st) }) // by serial when the GUID is not known yet (:token)
		if owner != "" {
			// AM's administration log is searched by person: the holder's,
			// this token's kept
			r.changesOf = owner
			wg.Go(func() { r.changes, r.changesErr = am.AdminActivity(ctx, owner, since) })
		}
		wg.Wait()
		return r
	})
}

func (p *detailPane) crumbs() []string { return []string{p.state.Token.Serial} }

func (p *detailPane) keys(c *common) []keyGroup {
	km := c.km
	act := bindingsOf(offered(c, onToken, p.target()))
	explain := "explain fields"
	if p.explain {
		explain = "hide the explanations"
	}
	act = append(act, withHelp(km[action.Explain], explain), km[action.Refresh])
	return []keyGroup{{"token", act}, {"scrolling", km.listKeys()}}
}

func (p *detailPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case tokenLoaded:
		if msg.err != nil {
			return do(fail(explain(msg.err)))
		}
		p.state = msg.state
		if msg.changesOf != "" {
			p.changes, p.changesErr, p.changesOf = msg.changes, msg.changesErr, msg.changesOf
		}
		return do(tell(tokenNow{msg.state}), say("Token "+msg.state.Token.Serial+" read from AM at "+c.now().In(c.loc).Format("15:04:05")+"."))
	case tokenNow:
		if msg.state.Token.Serial == p.state.Token.Serial {
			p.state = msg.state
		}
	case eaDone:
		return eaFinished(c, msg, "the token")
	case changeDone:
		return changeFinished(c, msg, "the token")
	}
	return nil
}

func (p *detailPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	km := c.km
	if p.scroll.key(km, p.content(c), c.w, c.h, k) {
		return nil, true
	}
	switch {
	case key.Matches(k, km[action.Explain]):
		p.explain = !p.explain
	case key.Matches(k, km[action.Refresh]):
		return do(p.read(c)), true
	default:
		return dispatch(c, onToken, k, p.target())
	}
	return nil, true
}

// target is what the screen's actions act on: the token shown.
func (p *detailPane) target() target {
	return target{user: p.user, state: p.state, hasToken: true, parent: "the token"}
}

// content is every field (with its meaning when explain is on); the
// scroller shows what fits.
func (p *detailPane) content(c *common) string {
	out := strings.Join(fieldLines(c, p.state, rsa.TokenState{}, p.explain), "\n")
	if p.changesOf == "" {
		return out
	}
	out += "\n\n" + c.st.Title.Render("Who changed it (AM's administration log, 7 days)")
	if p.changesErr != nil {
		return out + "\n  " + c.st.Err.Render("not read: "+printable(explain(p.changesErr)))
	}
	lines := changeLines(c, p.changes, p.state.Token.Serial)
	if len(lines) == 0 {
		return out + "\n  No administrator changed it in 7 days."
	}
	return out + "\n" + strings.Join(lines, "\n")
}

func (p *detailPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}
