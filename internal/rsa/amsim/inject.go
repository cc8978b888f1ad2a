package amsim

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Action is what an injected fault does to a request.
type Action int

const (
	// Delay sleeps before executing (the client's timeout may fire first).
	Delay Action = iota
	// HTTP500 answers an HTML error page with status 500, command not executed.
	HTTP500
	// Drop closes the connection without answering, command not executed.
	Drop
	// DropAfter executes the command, then closes the connection without
	// answering: the write happened but the client cannot know.
	DropAfter
	// Malformed answers 200 with a truncated XML body, command not executed.
	Malformed
	// ExpireSession invalidates the caller's session before the command runs.
	ExpireSession
	// Oversized answers 200 with a huge XML body, command not executed.
	Oversized
	// Restart acts like a server restart: every session is lost and the
	// connection drops, command not executed.
	Restart
	// Hold keeps the request until Release is closed, then executes it:
	// how a test lines up requests that AM would take at the same time.
	Hold
)

// Rule injects Action into the next Count requests for Command (zero = any
// command, including logins).
type Rule struct {
	Command soapenc.QName
	Action  Action
	Count   int
	// Skip lets this many matching requests through before the rule
	// fires: a test breaks the read-back after a write, not the read before.
	Skip    int
	Delay   time.Duration
	Release <-chan struct{} // for Hold
}

type faultQueue struct {
	mu      sync.Mutex
	latency time.Duration
	jitter  time.Duration
	rng     *rand.Rand // for the jitter; guarded by mu
	rules   []*Rule
}

// Inject adds a fault rule. Rules apply in the order added.
func (s *Sim) Inject(r Rule) {
	if r.Count <= 0 {
		r.Count = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append(s.faults.rules, &r)
}

// SetLatency adds a fixed delay to every request.
func (s *Sim) SetLatency(d time.Duration) { s.SetLatencyJitter(d, 0) }

// SetLatencyJitter delays every request by d plus a random part of up to
// jitter: how an AM far away feels (rsatui sim --latency 50ms --jitter 10ms).
func (s *Sim) SetLatencyJitter(d, jitter time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency, s.faults.jitter = d, jitter
	if s.faults.rng == nil {
		s.faults.rng = rand.New(rand.NewPCG(uint64(s.opt.Seed), 0x1a7e))
	}
}

// ClearFaults removes all rules and the latency.
func (s *Sim) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules, s.faults.latency, s.faults.jitter = nil, 0, 0
}

// delay is the latency of one request (under q.mu).
func (q *faultQueue) delay() time.Duration {
	if q.jitter <= 0 {
		return q.latency
	}
	return q.latency + time.Duration(q.rng.Int64N(int64(q.jitter)+1))
}

// take returns the rule that fires for cmd, consuming one count of it.
func (q *faultQueue) take(cmd soapenc.QName) (*Rule, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, r := range q.rules {
		if r.Command.IsZero() || r.Command == cmd {
			if r.Skip > 0 {
				r.Skip--
				return nil, q.delay()
			}
			r.Count--
			if r.Count == 0 {
				q.rules = append(q.rules[:i], q.rules[i+1:]...)
			}
			return r, q.delay()
		}
	}
	return nil, q.delay()
}
