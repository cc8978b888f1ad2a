package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/rsatui/rsatui/internal/action"
)

// column of a grid: a title and a width in cells (each cell also gets one
// column of padding on either side).
type column struct {
	Title string
	Width int
}

// row is one line of cell values.
type row []string

// grid is the console's table. It replaces bubbles' table, which re-renders
// every visible cell through lipgloss on each cursor move: with 50 SSH
// sessions moving through lists that was ~2.5 ms of CPU a key and pushed the
// p95 key→frame past 50 ms. A grid renders a row once, when rows or columns
// change (appended pages render only the new rows), and a cursor move only
// restyles the selected line.
type grid struct {
	cols   []column
	rows   []row
	lines  []string // rows rendered, unstyled, each exactly the grid's width
	header string

	cursor int // index into rows; 0 when empty
	offset int // first visible row
	height int // visible rows, without the header

	headerStyle, selStyle lipgloss.Style
}

func newGrid() grid {
	return grid{height: 1, headerStyle: lipgloss.NewStyle().Bold(true),
		selStyle: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("212"))}
}

// SetColumns changes the layout; rows are rendered again for it.
func (g *grid) SetColumns(cols []column) {
	g.cols = cols
	titles := make(row, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	g.header = g.render(titles)
	g.lines = g.lines[:0]
	for _, r := range g.rows {
		g.lines = append(g.lines, g.render(r))
	}
}

// SetRows replaces the rows, keeping the cursor where it can be.
func (g *grid) SetRows(rows []row) {
	g.rows = g.rows[:0]
	g.lines = g.lines[:0]
	g.AppendRows(rows...)
	g.clamp()
}

// AppendRows adds rows at the end (a page of a streamed search).
func (g *grid) AppendRows(rows ...row) {
	for _, r := range rows {
		g.rows = append(g.rows, r)
		g.lines = append(g.lines, g.render(r))
	}
}

// Len is the number of rows.
func (g *grid) Len() int { return len(g.rows) }

// SetHeight sets the height, header included.
func (g *grid) SetHeight(h int) {
	g.height = max(h-1, 1)
	g.clamp()
}

// Cursor is the selected row (0 when there are none; check Len).
func (g *grid) Cursor() int { return g.cursor }

// SetCursor selects row i (clamped).
func (g *grid) SetCursor(i int) {
	g.cursor = i
	g.clamp()
}

// Move moves the cursor by n rows (negative: up).
func (g *grid) Move(n int) { g.SetCursor(g.cursor + n) }

func (g *grid) clamp() {
	g.cursor = max(min(g.cursor, len(g.rows)-1), 0)
	if g.cursor < g.offset {
		g.offset = g.cursor
	}
	if g.cursor >= g.offset+g.height {
		g.offset = g.cursor - g.height + 1
	}
	g.offset = max(min(g.offset, len(g.rows)-g.height), 0)
}

// Update moves the cursor for the list keys; it reports whether k was one.
func (g *grid) Update(km KeyMap, k tea.KeyPressMsg) bool {
	switch {
	case key.Matches(k, km[action.Up]):
		g.Move(-1)
	case key.Matches(k, km[action.Down]):
		g.Move(1)
	case key.Matches(k, km[action.PageUp]):
		g.Move(-g.height)
	case key.Matches(k, km[action.PageDown]):
		g.Move(g.height)
	case key.Matches(k, km[action.HalfPageUp]):
		g.Move(-g.height / 2)
	case key.Matches(k, km[action.HalfPageDown]):
		g.Move(g.height / 2)
	case key.Matches(k, km[action.Top]):
		g.SetCursor(0)
	case key.Matches(k, km[action.Bottom]):
		g.SetCursor(len(g.rows) - 1)
	default:
		return false
	}
	return true
}

// selMark marks the selected row, in the space before its first cell.
const selMark = "›"

// View is the header and the visible rows, the selected one highlighted,
// padded to the height.
func (g *grid) View() string {
	var b strings.Builder
	b.WriteString(g.headerStyle.Render(g.header))
	end := min(g.offset+g.height, len(g.lines))
	for i := g.offset; i < end; i++ {
		b.WriteByte('\n')
		if i == g.cursor {
			// a marker in the first cell's padding: without colour (NO_COLOR,
			// a monochrome terminal) bold alone would look like the header
			b.WriteString(g.selStyle.Render(selMark + g.lines[i][1:]))
		} else {
			b.WriteString(g.lines[i])
		}
	}
	for i := end - g.offset; i < g.height; i++ {
		b.WriteByte('\n')
	}
	return b.String()
}

// render lays out one row: each value cut to its column (with …) and padded,
// one space either side.
func (g *grid) render(r row) string {
	var b strings.Builder
	for i, c := range g.cols {
		if c.Width <= 0 {
			continue
		}
		v := ""
		if i < len(r) {
			v = printable(r[i])
		}
		if ansi.StringWidth(v) > c.Width {
			v = ansi.Truncate(v, c.Width, "…")
		}
		b.WriteByte(' ')
		b.WriteString(v)
		b.WriteString(strings.Repeat(" ", c.Width-ansi.StringWidth(v)+1))
	}
	return b.String()
}
