package demo_test

import (
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
)

// The data set agrees with itself: a person's last login (AM's principal)
// is their tokens' latest (jdoe's was weeks before the login his token and
// his activity record show).
func TestLastLoginsAgree(t *testing.T) {
	ds := demo.Generate(1, 200, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	latest := map[string]time.Time{}
	for _, tk := range ds.Tokens {
		if tk.Owner != "" && tk.LastLogin.After(latest[tk.Owner]) {
			latest[tk.Owner] = tk.LastLogin
		}
	}
	for _, p := range ds.People {
		if at, ok := latest[p.Login]; ok && !p.LastLogin.Equal(at) {
			t.Errorf("%s: last login %v, their tokens' latest %v", p.Login, p.LastLogin, at)
		}
	}
}
