package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/rsatui/rsatui/internal/action"
)

// scroller shows a view taller than the window a window at a time (bubbles'
// viewport), with a line saying where one is: a hundred one-time codes, a
// token's fields with their explanations, the help. A view that fits is
// shown as it is, with no indicator and no scroll keys taken.
type scroller struct {
	vp viewport.Model
	// pagesOnly: the arrows are the pane's own (they choose in a list),
	// so only the page keys and home/end scroll
	pagesOnly bool
}

func newScroller() scroller {
	return scroller{vp: viewport.New()} // prose wraps to the window: nothing to scroll sideways
}

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
// The console's list keys (KeyMap) move it, so a remapped key scrolls too.
func (s *scroller) key(km KeyMap, content string, w, h int, k tea.KeyPressMsg) bool {
	if _, scrolls := s.fit(content, w, h); !scrolls {
		return false
	}
	switch {
	case key.Matches(k, km[action.Top]):
		s.vp.GotoTop()
	case key.Matches(k, km[action.Bottom]):
		s.vp.GotoBottom()
	case s.pagesOnly && (key.Matches(k, km[action.Up]) || key.Matches(k, km[action.Down])):
		return false
	case key.Matches(k, km[action.Up]):
		s.vp.ScrollUp(1)
	case key.Matches(k, km[action.Down]):
		s.vp.ScrollDown(1)
	case key.Matches(k, km[action.PageUp]):
		s.vp.PageUp()
	case key.Matches(k, km[action.PageDown]):
		s.vp.PageDown()
	case key.Matches(k, km[action.HalfPageUp]):
		s.vp.HalfPageUp()
	case key.Matches(k, km[action.HalfPageDown]):
		s.vp.HalfPageDown()
	default:
		return false
	}
	return true
}

// reveal scrolls the least that brings content's line (counted from 0)
// into sight, when content does not fit w×h.
func (s *scroller) reveal(content string, w, h, line int) {
	if _, scrolls := s.fit(content, w, h); !scrolls {
		return
	}
	switch top, shown := s.vp.YOffset(), s.vp.Height(); {
	case line < top:
		s.vp.SetYOffset(line)
	case line >= top+shown:
		s.vp.SetYOffset(line - shown + 1)
	}
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
	more, back := "↓/pgdn more", "↑/pgup back"
	if s.pagesOnly {
		more, back = "pgdn more", "pgup back"
	}
	if bottom >= total {
		more = back
	}
	return s.vp.View() + "\n" + st.Dim.Render(fmt.Sprintf("lines %d–%d of %d · %s · home/end", top, bottom, total, more))
}
