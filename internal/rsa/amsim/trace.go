package amsim

import (
	"slices"
	"sync"
	"time"
)

// Span is one command as the simulator served it: from the request's
// arrival to its reply written (the injected latency included).
type Span struct {
	Command    string
	Start, End time.Time
}

// tracer keeps the spans while tracing is on.
type tracer struct {
	mu    sync.Mutex
	on    bool
	spans []Span
}

// Trace starts recording every command served (and forgets any recorded
// before); Spans returns them.
func (s *Sim) Trace() {
	s.trace.mu.Lock()
	s.trace.on, s.trace.spans = true, nil
	s.trace.mu.Unlock()
}

// Spans returns the commands served since Trace, in the order they arrived.
func (s *Sim) Spans() []Span {
	s.trace.mu.Lock()
	defer s.trace.mu.Unlock()
	out := slices.Clone(s.trace.spans)
	slices.SortFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

func (s *Sim) traced(cmd string, start time.Time) {
	s.trace.mu.Lock()
	if s.trace.on {
		s.trace.spans = append(s.trace.spans, Span{Command: cmd, Start: start, End: time.Now()})
	}
	s.trace.mu.Unlock()
}

// CriticalPath is the length of the longest chain of spans each of which
// arrived after the one before it had been answered: how many round trips a
// person waited for, one after another, whatever ran beside them. With a
// latency L per request, the wall time is at least CriticalPath × L.
func CriticalPath(spans []Span) int {
	depth := make([]int, len(spans))
	longest := 0
	for i, b := range spans {
		depth[i] = 1
		for j, a := range spans[:i] {
			if !a.End.After(b.Start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		longest = max(longest, depth[i])
	}
	return longest
}
