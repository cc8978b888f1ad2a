package ui_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/ui"
)

// The README's key table is the key map's (ui.KeyTable): it cannot drift
// from the bindings.
func TestREADMEKeyTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- keys:begin (generated: ui.KeyTable) -->\n", "<!-- keys:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("the README has no key table between %q and %q", begin, end)
	}
	if got, want := s[i+len(begin):j], ui.KeyTable(ui.DefaultKeys()); got != want {
		t.Fatalf("the README's key table is not the key map's; it should read:\n%s", want)
	}
}
