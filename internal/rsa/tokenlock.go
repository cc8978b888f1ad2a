package rsa

import (
	"context"
	"fmt"
	"sync"
)

// tokenLocks lets one change to a token run at a time within a process
// (rsatui serve: every session's Ops share them). Emergency access is a
// read-modify-write of one record AM keeps no version of: fifteen admins
// adding codes at once left live codes nobody saw and reported dead ones
// as applied. Across processes AM is the judge, and the read-back after
// every write names another admin's change that landed in between.
type tokenLocks struct {
	mu    sync.Mutex
	locks map[string]*tokenLock
}

type tokenLock struct {
	turn    chan struct{} // holds one value while the token is free
	refs    int
	waiting int // changes blocked on turn (under the registry's mu)
}

func newTokenLocks() *tokenLocks { return &tokenLocks{locks: map[string]*tokenLock{}} }

// acquire waits for serial's turn (or ctx's end). waited reports that
// another change to the token ran first: what was read before the wait
// may be stale.
func (l *tokenLocks) acquire(ctx context.Context, serial string) (release func(), waited bool, err error) {
	l.mu.Lock()
	tl := l.locks[serial]
	if tl == nil {
		tl = &tokenLock{turn: make(chan struct{}, 1)}
		tl.turn <- struct{}{}
		l.locks[serial] = tl
	}
	tl.refs++
	l.mu.Unlock()
	drop := func() {
		l.mu.Lock()
		if tl.refs--; tl.refs == 0 {
			delete(l.locks, serial)
		}
		l.mu.Unlock()
	}
	select {
	case <-tl.turn:
	default:
		waited = true
		l.mu.Lock()
		tl.waiting++
		l.mu.Unlock()
		defer func() { l.mu.Lock(); tl.waiting--; l.mu.Unlock() }()
		select {
		case <-tl.turn:
		case <-ctx.Done():
			drop()
			return nil, true, fmt.Errorf("waiting for another change to token %s to finish: %w", serial, ctx.Err())
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			tl.turn <- struct{}{}
			drop()
		})
	}, waited, nil
}

// oneAtATime takes serial's turn for a change; a nil Ops registry (an Ops
// made without NewOps) takes none.
func (o *Ops) oneAtATime(ctx context.Context, serial string) (func(), bool, error) {
	if o.locks == nil || serial == "" {
		return func() {}, false, nil
	}
	return o.locks.acquire(ctx, serial)
}
