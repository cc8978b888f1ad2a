package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode"

	"github.com/rsatui/rsatui/internal/rsa"
)

// TestVerbOutputCannotEscape: values from AM (and the directory) with escape
// sequences, C1 controls, CR/LF and bidi overrides reach neither the
// terminal as they are in the verbs' text output, nor their JSON output.
func TestVerbOutputCannotEscape(t *testing.T) {
	evil := "eve\x1b]52;c;cHduZWQ=\x07\x1b]0;root\x07\x1b[2J\r\nFAKE\u009b2J\u202egnp"
	st := rsa.TokenState{Token: rsa.Token{Serial: "000100001007", AssignedUserID: evil, Enabled: true}}
	bad := func(r rune) bool {
		return r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
	}

	var text bytes.Buffer
	o := &opened{out: &text}
	if err := o.emit(viewOf(st), func(w *tabwriter.Writer) { tokenTable(w, st) }); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	if strings.ContainsFunc(text.String(), bad) || len(lines) != 2 || !strings.Contains(text.String(), "⟨U+202E⟩") {
		t.Fatalf("text output %q", text.String())
	}

	var js bytes.Buffer
	o = &opened{out: &js, json: true}
	if err := o.emit(viewOf(st), nil); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(js.String(), bad) || !strings.Contains(js.String(), `\u009b`) || !strings.Contains(js.String(), `\u202e`) {
		t.Fatalf("JSON output %q", js.String())
	}
	var back tokenView
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.AssignedTo != evil {
		t.Fatalf("JSON does not read back the value: %v %+v", err, back)
	}
}
