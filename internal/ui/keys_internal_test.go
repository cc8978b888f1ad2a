package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa"
)

// barOf is the key bar of a console with p on top, as wide as it needs.
func barOf(m Model, p pane) string {
	if p != m.top() {
		m.apply(nil, do(push(p)))
	}
	var s []string
	for _, g := range m.keyGroups() {
		for _, b := range enabled(g.keys) {
			s = append(s, b.Help().Key+" "+b.Help().Desc)
		}
	}
	return strings.Join(s, " · ")
}

func testModel() Model {
	return New(nil, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
}

// The key bar offers only keys that do what it says: the
// confirm does not offer q as quit (q cancels it), the result of ending
// emergency access offers no codes to copy, and "back" says where to.
func TestKeyBarTellsTheTruth(t *testing.T) {
	if bar := barOf(testModel(), &confirmPane{}); strings.Contains(bar, "q quit") || !strings.Contains(bar, "y yes, run it") {
		t.Errorf("confirm: %s", bar)
	}
	m := testModel()
	res := &resultPane{clear: true, parent: "the token list"}
	if bar := barOf(m, res); strings.Contains(bar, "copy codes") || !strings.Contains(bar, "enter back to the token list") {
		t.Errorf("result of ending emergency access, from the list: %s", bar)
	}
	rs, _ := res.key(m.c, tea.KeyPressMsg{Code: 'c', Text: "c"})
	if len(rs) != 1 || !strings.Contains(rs[0].(statusReq).text, "no codes to copy") {
		t.Errorf("c without codes asked for %#v", rs)
	}
	res = &resultPane{res: rsa.EAResult{Codes: []rsa.Secret{"abcd2345"}}, parent: "the token"}
	if bar := barOf(testModel(), res); !strings.Contains(bar, "c copy codes") || !strings.Contains(bar, "back to the token") ||
		strings.Contains(bar, "token list") {
		t.Errorf("result with codes, from the detail: %s", bar)
	}
	// typing in the search box: only what works while typing
	m = testModel()
	m.people.input.Focus()
	if bar := barOf(m, m.people); strings.Contains(bar, "? help") || strings.Contains(bar, "q quit") ||
		!strings.Contains(bar, "esc leave the box") || !strings.Contains(bar, "ctrl+c quit") {
		t.Errorf("search box: %s", bar)
	}
	m.people.input.Blur()
	if bar := barOf(m, m.people); !strings.Contains(bar, "? help") || !strings.Contains(bar, "/ search people") || strings.Contains(bar, "back") {
		t.Errorf("people list: %s", bar)
	}
}

// The bar keeps the screen's essential keys first and drops the rest when
// narrow (at 80×24 the form's bar lost "enter review").
func TestKeyBarKeepsEssentialsWhenNarrow(t *testing.T) {
	for _, w := range []int{80, 60, 40} {
		m := testModel()
		m.setSize(w, 20)
		m.apply(nil, do(push(&formPane{})))
		bar := ansi.Strip(m.noticeOrHelp())
		if !strings.HasPrefix(bar, "enter review") || ansi.StringWidth(bar) > w {
			t.Errorf("%d columns: form bar %q", w, bar)
		}
	}
}

// [keys] changes bindings; a clash on one screen, an unknown action and
// ctrl+c are refused with what to change.
func TestKeyConfig(t *testing.T) {
	km, err := WithKeys(map[string][]string{"emergency-access": {"E"}, "quit": {"Q", "ctrl+q"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := km[action.EmergencyAccess].Keys(); len(got) != 1 || got[0] != "E" || km[action.EmergencyAccess].Help().Key != "E" {
		t.Fatalf("emergency-access: %v %q", got, km[action.EmergencyAccess].Help().Key)
	}
	for changes, want := range map[*map[string][]string]string{
		{"emergency-access": {"x"}}:        `"x" is bound to both emergency-access and end-emergency-access, which both work on the token`,
		{"refresh": {"q"}}:                 `"q" is bound to both quit and refresh`,
		{"frobnicate": {"z"}}:              "[keys] frobnicate: no such action",
		{"quit": {}}:                       "[keys] quit: give at least one key",
		{"help": {"ctrl+c"}}:               "ctrl+c cannot be bound",
		{"help": {" "}}:                    `" " is not a key`,
		{"previous-choice": {"h"}}:         "",                                                                                    // the form's choices and back do not meet
		{"copy-codes": {"e"}}:              `"e" is bound to both copy-codes and emergency-access, which both work on the result`, // a replacement's result offers e
		{"copy-codes": {"p"}}:              "",                                                                                    // different screens
		{"explain": {"a"}}:                 "",                                                                                    // a is auto-refresh on the list, not on the token
		{"open": {"enter"}, "done": {"o"}}: "",
		{"review": {"d"}}:                  `"d" would be typed into the form's boxes`, // typing "14dd" pressed it
		{"next-field": {"space"}}:          `"space" would be typed into the form's boxes`,
		{"yes": {"enter"}}:                 `"enter" is bound to both review and yes`, // a double press would send unreviewed
		{"review": {"ctrl+d"}}:             "",
	} {
		_, err := WithKeys(*changes)
		switch {
		case want == "" && err != nil:
			t.Errorf("%v refused: %v", *changes, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%v: %v, want %q", *changes, err, want)
		}
	}
}

// A remapped key works and the help and bar say so.
func TestRemappedKeyWorks(t *testing.T) {
	km, err := WithKeys(map[string][]string{"help": {"f1"}})
	if err != nil {
		t.Fatal(err)
	}
	m := New(nil, nil, Info{}, Options{NoColor: true, Keys: &km})
	mm, _ := m.Update(tea.KeyPressMsg{Code: '?', Text: "?"})
	if _, isHelp := mm.(Model).top().(*helpPane); isHelp {
		t.Fatal("? still opens the help")
	}
	mm, _ = mm.Update(tea.KeyPressMsg{Code: tea.KeyF1})
	if _, isHelp := mm.(Model).top().(*helpPane); !isHelp {
		t.Fatal("f1 does not open the help")
	}
	if h := mm.(Model).top().(*helpPane); !regexp.MustCompile(`f1 +help`).MatchString(ansi.Strip(h.content(mm.(Model).c))) {
		t.Fatal("the help does not name f1")
	}
}

// The "if the token becomes available" policy is worded one way in the
// form, the confirm and the result (three ways before).
func TestPolicyWordedOneWay(t *testing.T) {
	for _, c := range availableChoices {
		words := c.mode.String()
		confirm := rsa.EARequest{Serial: "000100001007", Mode: 1, IfAvailable: c.mode}.Describe(time.Now(), time.UTC)
		var result string
		for _, f := range fields(rsa.TokenState{EA: rsa.EmergencyAccess{LostMode: c.mode}}, time.UTC) {
			if f.name == "lostMode" {
				result = f.value
			}
		}
		if c.label != words || !strings.Contains(confirm, words) || result != words {
			t.Errorf("form %q, confirm %q, result %q: want %q in each", c.label, confirm, result, words)
		}
	}
}
