package securid

import (
	"testing"
	"time"
)

// BenchmarkCode is one tokencode: the simulator computes one per interval
// of a resync's search (up to 12 hours either side: 1,440 intervals of a
// 30-second token, two codes each), so this bounds that search's cost.
func BenchmarkCode(b *testing.B) {
	tk := Token{Serial: "000123456789", Digits: 8, Interval: 30}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := 0; b.Loop(); i++ {
		_ = tk.Code(at.Add(time.Duration(i)*30*time.Second), "")
	}
}

// BenchmarkSDTID is one token file (the password key takes 1,000 rounds).
func BenchmarkSDTID(b *testing.B) {
	tk := Token{Serial: "000123456789", Digits: 8, Interval: 60}
	for b.Loop() {
		if _, err := tk.SDTID(SDTIDOptions{Password: "pw"}); err != nil {
			b.Fatal(err)
		}
	}
}
