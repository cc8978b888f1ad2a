package rsa_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ok := map[string]time.Time{
		"14d":                  now.Add(14 * 24 * time.Hour),
		" 2w ":                 now.Add(14 * 24 * time.Hour),
		"36h":                  now.Add(36 * time.Hour),
		"never":                {},
		"2026-12-12":           time.Date(2026, 12, 12, 23, 59, 59, 0, time.UTC),
		"2026-12-12 17:00":     time.Date(2026, 12, 12, 17, 0, 0, 0, time.UTC),
		"2026-12-12T17:00:00Z": time.Date(2026, 12, 12, 17, 0, 0, 0, time.UTC),
	}
	for in, want := range ok {
		got, err := rsa.ParseExpiry(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0d", "-3d", "14", "d", "tomorrow", "2026-13-01", "99999999d", "14x"} {
		if _, err := rsa.ParseExpiry(in, now); !errors.Is(err, rsa.ErrInvalidInput) {
			t.Errorf("%q accepted: %v", in, err)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"14d", "2026-12-12", "never", "36h", "2026-12-12 17:00", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := rsa.ParseExpiry(s, now)
		if err != nil && !errors.Is(err, rsa.ErrInvalidInput) {
			t.Fatalf("untyped error %v", err)
		}
		if err == nil && !got.IsZero() && got.Before(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%q: nonsense time %v", s, got)
		}
	})
}

// FuzzValidateRequest: any serial, code and count typed into a form or a flag
// is either refused with ErrInvalidInput before AM is asked, or satisfies
// every rule.
func FuzzValidateRequest(f *testing.F) {
	f.Add("000100001007", "Abcd2345", 5, true)
	f.Add("12ab", "abc-1234", 0, false)
	f.Add("", "\x00\xff", 101, true)
	o := rsa.NewOps(nil)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }
	f.Fuzz(func(t *testing.T, serial, code string, count int, fixed bool) {
		r := rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: count,
			IfAvailable: rsa.IfAvailableAllowAndEnd, Expires: now.Add(time.Hour)}
		if fixed {
			r.Mode, r.FixedCode = rsa.EAFixedCode, rsa.Secret(code)
		}
		err := o.Validate(r)
		if err != nil {
			if !errors.Is(err, rsa.ErrInvalidInput) {
				t.Fatalf("untyped error %v", err)
			}
			// the error may quote the serial, never the code
			if fixed && len(code) >= 4 && strings.Contains(err.Error(), code) && !strings.Contains(strconv.Quote(serial), code) {
				t.Fatalf("the code is echoed in the error: %v", err)
			}
			return
		}
		if rsa.ValidateSerial(serial) != nil || (fixed && code != "" && rsa.CodePolicy(code) != nil) || (!fixed && (count < 1 || count > 100)) {
			t.Fatalf("accepted an invalid request %+v", r)
		}
	})
}
