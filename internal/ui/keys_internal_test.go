package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/rsa"
)

func barOf(m Model) string {
	var s []string
	for _, b := range m.visibleKeys() {
		s = append(s, b.keys+" "+b.help)
	}
	return strings.Join(s, " · ")
}

// The key bar offers only keys that do what it says (#14, defect 4): the
// confirm does not offer q as quit (q cancels it), the result of ending
// emergency access offers no codes to copy, and "back" says where to.
func TestKeyBarTellsTheTruth(t *testing.T) {
	m := New(nil, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m.screen = scrConfirm
	if bar := barOf(m); strings.Contains(bar, "q quit") || !strings.Contains(bar, "y yes, run it") {
		t.Errorf("confirm: %s", bar)
	}

	m.back, m.screen = []screen{scrUsers, scrTokens}, scrResult
	m.result = resultPane{clear: true}
	if bar := barOf(m); strings.Contains(bar, "copy codes") || !strings.Contains(bar, "back to the token list") {
		t.Errorf("result of ending emergency access, from the list: %s", bar)
	}
	m.result.key(&m, tea.KeyPressMsg{Code: 'c', Text: "c"})
	if !strings.Contains(m.status, "no codes to copy") {
		t.Errorf("c without codes said %q", m.status)
	}

	m.back, m.screen = []screen{scrUsers, scrTokens, scrDetail}, scrResult
	m.result = resultPane{res: rsa.EAResult{Codes: []rsa.Secret{"abcd2345"}}}
	if bar := barOf(m); !strings.Contains(bar, "c copy codes") || !strings.Contains(bar, "back to the token") ||
		strings.Contains(bar, "token list") {
		t.Errorf("result with codes, from the detail: %s", bar)
	}
}

// The "if the token becomes available" policy is worded one way in the
// form, the confirm and the result (#14, defect 5: three ways before).
func TestPolicyWordedOneWay(t *testing.T) {
	for _, c := range availableChoices {
		words := c.mode.String()
		confirm := rsa.EARequest{Serial: "000100001007", Mode: 1, IfAvailable: c.mode}.Describe(time.Now())
		var result string
		for _, f := range fields(rsa.TokenState{EA: rsa.EmergencyAccess{LostMode: c.mode}}) {
			if f.name == "lostMode" {
				result = f.value
			}
		}
		if c.label != words || !strings.Contains(confirm, words) || result != words {
			t.Errorf("form %q, confirm %q, result %q: want %q in each", c.label, confirm, result, words)
		}
	}
}
