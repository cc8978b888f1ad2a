package rsa

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Reads that do not depend on each other run at the same time (a person's
// tokens, a token and its emergency access, the read-back after a write):
// what a person waits for is round trips to AM, and a far AM makes each one
// cost 50–100 ms. Writes stay strictly ordered: an operation sends them one
// after another, as before.
//
// The bound is per session (an Ops and those derived from it with For, i.e.
// one console or one SSH session): a person's ten-token list never has more
// than LanesPerSession requests in flight. Below that, the Client's
// transport allows 16 connections to AM in all, and hands them out in the
// order they were asked for (net/http queues waiters first come, first
// served), so fifty sessions share the sixteen fairly: none can take more
// than its four.

// LanesPerSession is how many requests one session may have in flight.
const LanesPerSession = 4

// gate bounds the requests in flight of one session. A semaphore.Weighted
// is FIFO, so a session's own requests are also served in order.
type gate = semaphore.Weighted

func newGate() *gate { return semaphore.NewWeighted(LanesPerSession) }

type gateKey struct{}

// withGate makes every request sent under ctx wait for a lane of g, unless
// ctx already carries a gate (an operation calling another).
func withGate(ctx context.Context, g *gate) context.Context {
	if g == nil || ctx.Value(gateKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, gateKey{}, g)
}

// enter waits for a lane of the gate in ctx (if any) and returns its
// release.
func enter(ctx context.Context) (release func(), err error) {
	g, _ := ctx.Value(gateKey{}).(*gate)
	if g == nil {
		return func() {}, nil
	}
	if err := g.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	return func() { g.Release(1) }, nil
}

// together runs fns at the same time and waits for all of them. Each one's
// requests still wait for a lane of the session's gate.
func together(fns ...func()) {
	if len(fns) == 1 {
		fns[0]()
		return
	}
	done := make(chan struct{}, len(fns))
	for _, fn := range fns[1:] {
		go func() {
			defer func() { done <- struct{}{} }()
			fn()
		}()
	}
	fns[0]()
	for range fns[1:] {
		<-done
	}
}
