package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are built once per program: plain when NO_COLOR is set (or the
// terminal has no colours), so every screen stays readable without colour.
type Styles struct {
	Header, Crumb, Badge, BadBadge, Warn, Err, OK, Dim, Title, Selected, Changed, Key, Code, Box lipgloss.Style
	// QR paints a QR code's cells light on dark (its glyphs draw the
	// light modules): right way round on a light terminal too
	QR    lipgloss.Style
	plain bool
}

func newStyles(noColor bool) Styles {
	s := Styles{plain: noColor}
	c := func(code string) color.Color { return lipgloss.Color(code) }
	base := lipgloss.NewStyle()
	if noColor {
		s.Header, s.Crumb, s.Dim, s.Warn, s.OK, s.Err = base, base, base, base, base, base
		s.Badge, s.BadBadge = base, base
		s.Title, s.Selected, s.Changed, s.Key, s.Code = base.Bold(true), base.Reverse(true), base.Bold(true), base.Bold(true), base.Bold(true)
		s.Box = base.Border(lipgloss.NormalBorder()).Padding(0, 1)
		s.QR = base
		return s
	}
	s.Header = base.Bold(true).Foreground(c("252"))
	s.Crumb = base.Foreground(c("110"))
	s.Badge = base.Foreground(c("0")).Background(c("214")).Bold(true)
	s.BadBadge = base.Foreground(c("15")).Background(c("160")).Bold(true)
	s.Warn = base.Foreground(c("214"))
	s.Err = base.Foreground(c("203")).Bold(true)
	s.OK = base.Foreground(c("78"))
	s.Dim = base.Foreground(c("245"))
	s.Title = base.Bold(true).Foreground(c("153"))
	s.Selected = base.Bold(true).Foreground(c("212"))
	s.Changed = base.Bold(true).Foreground(c("214"))
	s.Key = base.Bold(true).Foreground(c("153"))
	s.Code = base.Bold(true).Foreground(c("15"))
	s.Box = base.Border(lipgloss.RoundedBorder()).BorderForeground(c("214")).Padding(0, 2)
	s.QR = base.Foreground(c("231")).Background(c("16"))
	return s
}

// badge renders a short marker; plain mode brackets it so it stays visible.
func (s Styles) badge(text string, bad bool) string {
	if s.plain {
		return "[" + text + "]"
	}
	if bad {
		return s.BadBadge.Render(" " + text + " ")
	}
	return s.Badge.Render(" " + text + " ")
}
