package textsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// hostile holds what a directory or AM value could carry to an admin's terminal.
var hostile = map[string]string{
	"OSC 52 clipboard":  "Eve\x1b]52;c;ZWNobyBwd25lZA==\x07",
	"OSC 0 title":       "Eve\x1b]0;root@prod\x07",
	"clear screen":      "Eve\x1b[2J\x1b[H",
	"CR fake line":      "Eve\rroot",
	"LF fake line":      "Eve\nSERIAL 000100001007 disabled",
	"C1 CSI, raw byte":  "Eve\x9b2J",
	"C1 CSI, UTF-8":     "Eve\u009b2J",
	"bidi override":     "Eve\u202egnp.exe",
	"bidi isolate":      "Eve\u2066x\u2069",
	"zero-width joiner": "E\u200dve",
	"BOM":               "\ufeffEve",
	"DEL":               "Eve\x7f",
	"invalid UTF-8":     "Eve\xff\xfe",
}

// active: what must not reach a terminal (U+FFFD, the visible stand-in, may).
func active(r rune) bool { return unsafe(r) && r != '\uFFFD' }

func TestLineLeavesNothingActive(t *testing.T) {
	for name, s := range hostile {
		got := Line(s)
		if strings.ContainsFunc(got, active) || !strings.HasPrefix(strings.TrimPrefix(got, "⟨U+FEFF⟩"), "E") {
			t.Errorf("%s: %q → %q", name, s, got)
		}
	}
	if got := Line("Eve\u202egnp"); got != "Eve⟨U+202E⟩gnp" {
		t.Errorf("bidi shown as %q", got)
	}
	if Line("Jürgen O'Brien <j@x>") != "Jürgen O'Brien <j@x>" {
		t.Error("plain text changed")
	}
}

func TestWriterKeepsLayoutOnly(t *testing.T) {
	for name, s := range hostile {
		if strings.ContainsAny(s, "\t\n") {
			continue // layout passes the writer by design: fields go through Line
		}
		var b bytes.Buffer
		if _, err := (Writer{&b}).Write([]byte("A\t" + s + "\n")); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		inner := strings.TrimSuffix(strings.TrimPrefix(got, "A\t"), "\n")
		if strings.ContainsFunc(inner, active) {
			t.Errorf("%s: wrote %q", name, got)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	for name, s := range hostile {
		b, _ := json.Marshal(map[string]string{"name": s})
		esc := EscapeJSON(b)
		var back map[string]string
		var orig map[string]string
		_ = json.Unmarshal(b, &orig)
		if err := json.Unmarshal(esc, &back); err != nil || back["name"] != orig["name"] {
			t.Errorf("%s: %s does not read back as %s (%v)", name, esc, b, err)
		}
		if bytes.ContainsFunc(esc, active) {
			t.Errorf("%s: %s still carries a control or format character", name, esc)
		}
	}
}
