// Package qrtest reads QR codes back in tests with Debian's zbarimg, an
// independent decoder (CI installs zbar-tools): a code drawn on a screen
// is checked by what a reader gets from it, not by comparing it to a golden.
package qrtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/qrterm"
)

// Decode is what zbarimg reads from code drawn as a PNG.
func Decode(tb testing.TB, code qrterm.Code) string {
	tb.Helper()
	return DecodePNG(tb, writePNG(tb, code))
}

// DecodePNG is what zbarimg reads from the PNG at path.
func DecodePNG(tb testing.TB, path string) string {
	tb.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("zbarimg is not installed; .ci/run installs zbar-tools")
		}
		tb.Skip("zbarimg is not installed (apt-get install zbar-tools)")
	}
	out, err := exec.Command(bin, "--raw", "-q", path).Output()
	if err != nil {
		tb.Fatalf("zbarimg %s: %v (no QR code read)", path, err)
	}
	return strings.TrimSpace(string(out))
}

// FromScreen finds the QR code drawn at the top left of a screen (a
// capture of the terminal, one string a line) and returns what zbarimg
// reads from it.
func FromScreen(tb testing.TB, screen string) string {
	tb.Helper()
	lines := strings.Split(screen, "\n")
	var top int
	for top < len(lines) && !strings.HasPrefix(lines[top], "███") {
		top++
	}
	if top == len(lines) {
		tb.Fatalf("no QR code on the screen:\n%s", screen)
	}
	width := 0
	for _, r := range lines[top] {
		if r != '█' {
			break
		}
		width++
	}
	rows := (width + 1) / 2
	if top+rows > len(lines) {
		tb.Fatalf("the QR code is cut: %d of %d lines on the screen", len(lines)-top, rows)
	}
	var drawn []string
	for _, l := range lines[top : top+rows] {
		rs := []rune(l)
		if len(rs) < width {
			rs = append(rs, []rune(strings.Repeat(" ", width-len(rs)))...)
		}
		drawn = append(drawn, string(rs[:width]))
	}
	code, err := qrterm.Read(drawn)
	if err != nil {
		tb.Fatalf("%v\n%s", err, strings.Join(drawn, "\n"))
	}
	return DecodePNG(tb, writePNG(tb, code))
}

// writePNG writes code to a PNG of the test's own.
func writePNG(tb testing.TB, code qrterm.Code) string {
	tb.Helper()
	var b bytes.Buffer
	if err := code.EncodePNG(&b); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "code.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

var grouped = regexp.MustCompile(`\b(\d{3}) (\d{3}) (\d{3}) (\d{3})\b`)

// ActivationCode is the 12-digit activation code a screen shows in groups
// of three, as a person reads it out ("" when there is none).
func ActivationCode(screen string) string {
	m := grouped.FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return strings.Join(m[1:], "")
}
