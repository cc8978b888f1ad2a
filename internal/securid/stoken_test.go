package securid

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/securid/stokentest"
)

func randomToken(t *testing.T, digits, interval int, appPIN bool) Token {
	t.Helper()
	tk := Token{Serial: "000" + "123456789", Digits: digits, Interval: interval, AppPIN: appPIN,
		Expires: time.Now().AddDate(2, 0, 0).UTC().Truncate(24 * time.Hour)}
	if _, err := rand.Read(tk.Seed[:]); err != nil {
		t.Fatal(err)
	}
	var sn [6]byte
	_, _ = rand.Read(sn[:])
	tk.Serial = "000"
	for _, b := range sn {
		tk.Serial += string('0' + rune(b%10))
	}
	tk.Serial += "123"
	return tk
}

// at is a time stoken is asked for with --use-time (seconds since 1970).
func codesAgree(t *testing.T, tk Token, password string, args ...string) {
	t.Helper()
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, off := range []time.Duration{0, 29 * time.Second, 30 * time.Second, 61 * time.Second, 119 * time.Second, 3*time.Minute + 31*time.Second, 23*time.Hour + 59*time.Minute + 59*time.Second} {
		at := base.Add(off)
		want := stokentest.Tokencode(t, at, password, args...)
		if got := tk.Code(at, ""); got != want {
			t.Errorf("%d digits/%ds at %s: Code = %s, stoken says %s", tk.Digits, tk.Interval, at.Format(time.TimeOnly), got, want)
		}
	}
}

func TestCTFCodesAgreeWithStoken(t *testing.T) {
	for _, c := range []struct{ digits, interval int }{{6, 60}, {8, 60}, {6, 30}, {8, 30}} {
		tk := randomToken(t, c.digits, c.interval, false)
		ctf, err := tk.CTF("")
		if err != nil {
			t.Fatal(err)
		}
		codesAgree(t, tk, "", "--token="+ctf)
		back, err := ParseCTF(ctf, "")
		if err != nil || back.Seed != tk.Seed || back.Serial != tk.Serial || back.Digits != tk.Digits || back.Interval != tk.Interval {
			t.Fatalf("ParseCTF(CTF) = %+v, %v", back.Serial, err)
		}
	}
}

func TestCTFWithPassword(t *testing.T) {
	tk := randomToken(t, 8, 60, false)
	ctf, err := tk.CTF("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	codesAgree(t, tk, "s3cret-pass", "--token="+ctf)
	if _, err := ParseCTF(ctf, "wrong"); err != ErrPassword {
		t.Fatalf("wrong password: %v, want ErrPassword", err)
	}
}

func TestSDTIDCodesAgreeWithStoken(t *testing.T) {
	for _, pass := range []string{"", "file-pass-42"} {
		tk := randomToken(t, 8, 60, false)
		file, err := tk.SDTID(SDTIDOptions{Password: pass, Login: "jdoe", Origin: "AM"})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "t.sdtid")
		if err := os.WriteFile(p, file, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"--file=" + p}
		codesAgree(t, tk, pass, args...)
		show := stokentest.Run(t, pass+"\n", "show", "--file="+p)
		if !strings.Contains(show, tk.Serial) {
			t.Errorf("stoken show does not name serial %s:\n%s", tk.Serial, show)
		}
	}
}
