package ui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// maskedPair is two masked text boxes taken one after the other (a resync's
// two tokencodes; a passcode and the next tokencode): what is typed is
// never on screen, and tab moves between them.
type maskedPair struct {
	in    [2]textinput.Model
	focus int
}

func newMaskedPair(placeholders [2]string, limits [2]int) maskedPair {
	var m maskedPair
	for i := range m.in {
		m.in[i] = newInput(placeholders[i], limits[i])
		m.in[i].EchoMode = textinput.EchoPassword
	}
	m.in[0].Focus()
	return m
}

func (m *maskedPair) value(i int) string { return m.in[i].Value() }

// toggle moves the cursor to the other box.
func (m *maskedPair) toggle() tea.Cmd { return m.focusOn(1 - m.focus) }

// focusOn puts the cursor in box i.
func (m *maskedPair) focusOn(i int) tea.Cmd {
	m.in[m.focus].Blur()
	m.focus = i
	return m.in[i].Focus()
}

// clear empties both boxes (codes are good once) and goes back to the first.
// clearOne empties box i.
func (m *maskedPair) clearOne(i int) tea.Cmd {
	m.in[i].SetValue("")
	return nil
}

func (m *maskedPair) clear() tea.Cmd {
	for i := range m.in {
		m.in[i].SetValue("")
	}
	return m.focusOn(0)
}

// update types into the box with the cursor.
func (m *maskedPair) update(k tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	m.in[m.focus], cmd = m.in[m.focus].Update(k)
	return cmd
}

// line is box i with its label and the cursor mark.
func (m *maskedPair) line(c *common, i int, label string) string {
	cursor := "  "
	if m.focus == i {
		cursor = c.st.Selected.Render("› ")
	}
	return cursor + pad(label, 11) + m.in[i].View()
}
