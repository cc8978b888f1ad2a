package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
)

// The token table judges expiry by the console's clock, not the machine's
// (#14, defect 12: goldens drifted with the date).
func TestTokenRowsUseTheConsolesClock(t *testing.T) {
	later := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newTokensPane(func() time.Time { return later })
	p.states = []rsa.TokenState{{Token: rsa.Token{Serial: "000100001007", Enabled: true,
		Expires: time.Date(2028, 11, 27, 0, 0, 0, 0, time.UTC)}}}
	p.resize(100, 20)
	p.replace(p.states[0])
	if v := p.table.View(); !strings.Contains(v, "EXPIRED") {
		t.Fatalf("a token that expired in 2028 is not EXPIRED on the console's clock (2100):\n%s", v)
	}
}
