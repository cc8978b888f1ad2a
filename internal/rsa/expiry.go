package rsa

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseExpiry reads an emergency-access lifetime as people type it: a duration
// ("14d", "2w", "36h", "90m"), a date ("2026-12-12", ending that day at
// 23:59:59 local time), a date and time ("2026-12-12 17:00", RFC 3339), or
// "never"/"none" for no expiration (the zero time).
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "never", "none", "no", "no expiration":
		return time.Time{}, nil
	case "":
		return time.Time{}, fmt.Errorf("%w: give a lifetime such as 14d, a date such as 2026-12-12, or never", ErrInvalidInput)
	}
	if n := len(s); n >= 2 && strings.ContainsRune("dwhm", rune(s[n-1])) {
		if v, err := strconv.Atoi(s[:n-1]); err == nil {
			if v <= 0 || v > 100000 {
				return time.Time{}, fmt.Errorf("%w: the lifetime %q must be positive", ErrInvalidInput, s)
			}
			unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'h': time.Hour, 'm': time.Minute}[s[n-1]]
			return now.Add(time.Duration(v) * unit), nil
		}
	}
	loc := now.Location()
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return plausible(s, t.Add(24*time.Hour-time.Second))
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02t15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return plausible(s, t)
		}
	}
	if strings.HasSuffix(s, "z") || strings.Contains(s, "+") {
		if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
			return plausible(s, t)
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a lifetime (14d, 36h, 2w), a date (2026-12-12) or never", ErrInvalidInput, s)
}

// plausible refuses dates no one means (year 0, year 9999): whether a date is
// in the past or beyond AM's maximum is checked later, with the rule named.
func plausible(s string, t time.Time) (time.Time, error) {
	if t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, fmt.Errorf("%w: %q is not a plausible date", ErrInvalidInput, s)
	}
	return t, nil
}
