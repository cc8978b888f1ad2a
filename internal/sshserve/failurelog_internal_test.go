package sshserve

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFailureLogIsRateLimited: 1,000 failed connections in a burst make one
// line; the next line, an interval later, counts the ones left out.
func TestFailureLogIsRateLimited(t *testing.T) {
	var lines []string
	clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f := &failureLog{logf: func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) },
		every: 10 * time.Second, now: func() time.Time { return clock }}
	for i := range 1000 {
		clock = clock.Add(time.Millisecond)
		f.log(fmt.Sprintf("127.0.0.1:%d", 40000+i), errors.New("ssh: handshake failed: EOF"))
	}
	if len(lines) != 1 {
		t.Fatalf("%d lines for a burst of 1,000", len(lines))
	}
	clock = clock.Add(10 * time.Second)
	f.log("127.0.0.1:1", errors.New("EOF"))
	if len(lines) != 2 || !strings.Contains(lines[1], "and 999 more failed connections") {
		t.Fatalf("%q", lines)
	}
}
