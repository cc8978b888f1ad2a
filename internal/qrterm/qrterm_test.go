package qrterm_test

import (
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/qrterm"
	"github.com/rsatui/rsatui/internal/qrterm/qrtest"
)

func TestDrawnCodeReadsBack(t *testing.T) {
	payload := "com.rsa.securid://ctkip?activationCode=123456789012&scheme=https&url=am.corp.example:443/ctkip/services/CtkipService"
	c, err := qrterm.Encode(payload)
	if err != nil {
		t.Fatal(err)
	}
	lines := c.Lines()
	if len(lines) > 23 || len([]rune(lines[0])) > 46 {
		t.Fatalf("%d lines of %d cells: does not fit 80×24 beside its text", len(lines), len([]rune(lines[0])))
	}
	back, err := qrterm.Read(lines)
	if err != nil {
		t.Fatal(err)
	}
	if got := qrtest.Decode(t, back); got != payload {
		t.Fatalf("the drawn code decodes to %q", got)
	}
	if got := qrtest.FromScreen(t, "title\n"+strings.Join(lines, "  text\n")); got != payload {
		t.Fatalf("read off a screen: %q", got)
	}
}
