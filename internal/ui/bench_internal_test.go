package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/ad"
)

// loaded returns a console whose users table holds n people, streamed in as
// pages of 1000 the way a search delivers them.
func loaded(n int) Model {
	m := New(nil, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
	m.setSize(80, 24)
	page := make([]ad.User, 0, 1000)
	for i := 0; i < n; i++ {
		page = append(page, ad.User{Login: fmt.Sprintf("u%06d", i), DisplayName: fmt.Sprintf("User %06d", i),
			Mail: fmt.Sprintf("u%06d@corp.example", i), Department: "Finance", Disabled: i%20 == 0})
		if len(page) == cap(page) || i == n-1 {
			mm, _ := m.Update(searchPage{seq: m.people.seq, users: page})
			m = mm.(Model)
			page = make([]ad.User, 0, 1000)
		}
	}
	m.people.input.Blur()
	return m
}

// BenchmarkKeyToFrame: one key press (cursor down) and the frame it produces,
// with 100,000 people in the table. Target: ≤ 16 ms.
func BenchmarkKeyToFrame(b *testing.B) {
	m := loaded(100_000)
	if len(m.people.users) != 100_000 {
		b.Fatalf("%d users loaded", len(m.people.users))
	}
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		mm, _ := m.Update(down)
		m = mm.(Model)
		_ = m.Render()
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

// BenchmarkStream100k: streaming 100,000 people into the table as 100 pages
// of 1000, rendering a frame after each page (what the screen does while a
// big search arrives).
func BenchmarkStream100k(b *testing.B) {
	for b.Loop() {
		m := loaded(100_000)
		_ = m.Render()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100/1000, "ms/page")
}
