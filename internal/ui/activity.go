package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// activityPane is everything AM saw of a person in the dashboard's period,
// oldest first, scrolled — the dashboard shows only the newest that fit —
// with the failures alone on f.
type activityPane struct {
	paneBase
	user     ad.User
	evs      []rsa.AuthEvent
	failures bool
	scroll   scroller
}

func newActivityPane(u ad.User, evs []rsa.AuthEvent) *activityPane {
	return &activityPane{user: u, evs: evs, scroll: newScroller()}
}

func (p *activityPane) crumbs() []string { return []string{"what AM saw"} }

func (p *activityPane) keys(c *common) []keyGroup {
	f := "failures only"
	if p.failures {
		f = "every record"
	}
	return []keyGroup{{"activity", []key.Binding{withHelp(c.km[action.Failures], f)}}, {"scrolling", c.km.listKeys()}}
}

// shown are the records the filter lets through.
func (p *activityPane) shown() []rsa.AuthEvent {
	if !p.failures {
		return p.evs
	}
	var out []rsa.AuthEvent
	for _, e := range p.evs {
		if e.Failed() {
			out = append(out, e)
		}
	}
	return out
}

func (p *activityPane) content(c *common) string {
	evs := p.shown()
	head := fmt.Sprintf("What AM saw of %s: %d records in 7 days", p.user.Login, len(p.evs))
	if p.failures {
		head = fmt.Sprintf("What AM refused of %s: %d of %d records in 7 days", p.user.Login, len(evs), len(p.evs))
	}
	out := c.st.Title.Render(printable(head)) + "\n"
	if len(evs) == 0 {
		return out + "\n  None."
	}
	for _, l := range activityLines(c, evs, len(evs)) {
		out += "\n" + l
	}
	return out
}

func (p *activityPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if key.Matches(k, c.km[action.Failures]) {
		p.failures = !p.failures
		return nil, true
	}
	return nil, p.scroll.key(c.km, p.content(c), c.w, c.h, k)
}

func (p *activityPane) update(c *common, msg tea.Msg) reqs {
	if a, ok := msg.(activityArrived); ok && len(a.evs) > 0 {
		p.evs = mergeActivity(p.evs, a.evs) // live, as the dashboard
	}
	return nil
}

func (p *activityPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}
