package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/rsatui/rsatui/internal/action"
)

// helpPane lists every key of the screen it was opened on, grouped, made
// from the bindings themselves (so it cannot disagree with them), and the
// last status in full when the status line had to cut it.
type helpPane struct {
	paneBase
	groups []keyGroup
	status string    // the whole status, when it did not fit its line
	under  statusReq // the status of the screen under the help, shown again when it closes
	scroll scroller
}

func newHelpPane(groups []keyGroup, status string) *helpPane {
	return &helpPane{groups: groups, status: status, scroll: newScroller()}
}

func (p *helpPane) crumbs() []string { return []string{"help"} }

func (p *helpPane) keys(c *common) []keyGroup {
	return []keyGroup{{"help", []key.Binding{c.km[action.Down], c.km[action.PageDown], fixed("any other key", "close")}}}
}

func (p *helpPane) content(c *common) string {
	s := helpText(c.st, p.groups)
	if p.status != "" {
		s = c.st.Title.Render("The last message, whole") + "\n" + p.status + "\n\n" + s
	}
	return s
}

// key scrolls a long help; any other key closes it.
func (p *helpPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if p.scroll.key(c.km, p.content(c), c.w, c.h, k) {
		return nil, true
	}
	return do(back()), true
}

func (p *helpPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}
