package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// scroller shows a view taller than the window a window at a time (bubbles'
// viewport), with a line saying where one is: a hundred one-time codes, a
// token's fields with their explanations, the help. A view that fits is
// shown as it is, with no indicator and no scroll keys taken.
type scroller struct {
	vp viewport.Model
}

func newScroller() scroller {
	vp := viewport.New()
	// prose wraps to the window: nothing to scroll sideways, and ←/→ stay free
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	return scroller{vp: vp}
}

var (
	scrollHome = key.NewBinding(key.WithKeys("home", "g"))
	scrollEnd  = key.NewBinding(key.WithKeys("end", "G"))
)

// fit wraps content to w and, when it is taller than h, gives the viewport
// h-1 lines of it (the last is the indicator); it reports whether it scrolls.
func (s *scroller) fit(content string, w, h int) (wrapped string, scrolls bool) {
	wrapped = lipgloss.NewStyle().Width(w).Render(content)
	if lipgloss.Height(wrapped) <= h || h < 2 {
		return wrapped, false
	}
	s.vp.SetWidth(w)
	s.vp.SetHeight(h - 1)
	s.vp.SetContent(wrapped) // keeps the offset, clamped to the new length
	return wrapped, true
}

// key scrolls for a scroll key when content does not fit, and reports
// whether it took the key.
func (s *scroller) key(content string, w, h int, k tea.KeyPressMsg) bool {
	if _, scrolls := s.fit(content, w, h); !scrolls {
		return false
	}
	km := s.vp.KeyMap
	switch {
	case key.Matches(k, scrollHome):
		s.vp.GotoTop()
	case key.Matches(k, scrollEnd):
		s.vp.GotoBottom()
	case key.Matches(k, km.Up, km.Down, km.PageUp, km.PageDown, km.HalfPageUp, km.HalfPageDown):
		s.vp, _ = s.vp.Update(k)
	default:
		return false
	}
	return true
}

// view is content as it fits in w×h: whole, or the visible part and the
// line saying which part.
func (s scroller) view(st Styles, content string, w, h int) string {
	wrapped, scrolls := s.fit(content, w, h)
	if !scrolls {
		return wrapped
	}
	total := s.vp.TotalLineCount()
	top := s.vp.YOffset() + 1
	bottom := min(top+s.vp.Height()-1, total)
	more := "↓/pgdn more"
	if bottom >= total {
		more = "↑/pgup back"
	}
	return s.vp.View() + "\n" + st.Dim.Render(fmt.Sprintf("lines %d–%d of %d · %s · home/end", top, bottom, total, more))
}
