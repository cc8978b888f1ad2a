package ui

import (
	"testing"
	"time"
)

// RedrawBoardEvery has the consoles built during the test draw the
// requests' times left every d instead of every minute.
func RedrawBoardEvery(t *testing.T, d time.Duration) {
	old := boardRedraw
	boardRedraw = d
	t.Cleanup(func() { boardRedraw = old })
}
