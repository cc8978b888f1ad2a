package qrterm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Zbarimg decodes the QR code in the PNG at path with Debian's zbarimg
// (an independent reader); CI installs it.
func zbarimg(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed; .ci/run installs zbar-tools")
		}
		t.Skip("zbarimg is not installed (apt-get install zbar-tools)")
	}
	out, err := exec.Command(bin, "--raw", "-q", path).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

func TestDrawnCodeReadsBack(t *testing.T) {
	payload := "com.rsa.securid://ctkip?activationCode=123456789012&scheme=https&url=am.corp.example:443/ctkip/services/CtkipService"
	c, err := Encode(payload)
	if err != nil {
		t.Fatal(err)
	}
	lines := c.Lines()
	if len(lines) > 23 || len([]rune(lines[0])) > 46 {
		t.Fatalf("%d lines of %d cells: does not fit 80×24 beside its text", len(lines), len([]rune(lines[0])))
	}
	back, err := Read(lines)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "screen.png")
	if err := back.WritePNG(p); err != nil {
		t.Fatal(err)
	}
	if got := zbarimg(t, p); got != payload {
		t.Fatalf("the drawn code decodes to %q", got)
	}
	if err := back.WritePNG(p); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote a QR file: %v", err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}
