// Package activity follows AM's authentication activity live: one
// poller asks AM for what came after the last record it saw, once an
// interval, for everybody watched at once, and hands each watcher the
// records of its person. rsatui serve shares one poller between all its
// sessions, so fifty dashboards cost one ActivityMonitorCommand an
// interval, not fifty; a console or `rsatui activity --follow` has its own.
//
// The poll is the public client's (helpdesk-ops §9): lastLogTime is the
// time of the newest record seen, and the reader doubles its page while it
// comes back full, so a burst is read whole.
package activity

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
)

// Reader reads everybody's authentication records after since, oldest
// first (rsa.Ops.ActivityPoll).
type Reader interface {
	ActivityPoll(ctx context.Context, since time.Time) ([]rsa.AuthEvent, error)
}

// FilteredReader reads only some people's records (rsa.Ops.ActivityPollOf):
// a poller whose Reader is one asks AM for the watched people's records.
type FilteredReader interface {
	ActivityPollOf(ctx context.Context, since time.Time, logins []string) ([]rsa.AuthEvent, error)
}

// MaxFiltered is how many watched people a poll names in its filter at
// most; with more, it reads everybody's records (one OR of hundreds of
// equalities costs AM more than it saves).
const MaxFiltered = 64

// DefaultInterval is how often AM is asked while somebody watches: a new
// authentication shows within it and a round trip (within 2 s).
const DefaultInterval = time.Second

// Poller polls AM while anybody watches.
type Poller struct {
	r        Reader
	interval time.Duration
	timeout  time.Duration
	now      func() time.Time

	mu      sync.Mutex
	watches map[*Watch]struct{}
	last    time.Time // newest record seen (AM's clock)
	stop    context.CancelFunc
	done    chan struct{}

	polls atomic.Int64
	// Unfiltered reads everybody's records even when the Reader can
	// filter (the benchmark's "before"). Set before the first Watch.
	Unfiltered bool
}

// New is a poller of r that asks every interval (0: DefaultInterval).
// now is the local clock (nil: time.Now); the first poll starts five
// minutes before it, and every watcher drops what it already has, so a
// clock a little off AM's loses nothing.
func New(r Reader, interval time.Duration, now func() time.Time) *Poller {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return &Poller{r: r, interval: interval, timeout: max(10*time.Second, 5*interval), now: now, watches: map[*Watch]struct{}{}}
}

// Polls is how many times AM was asked (the benchmark's measure).
func (p *Poller) Polls() int64 { return p.polls.Load() }

// Watching is how many watches are open (a screen that closed must have
// let go of its own).
func (p *Poller) Watching() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.watches)
}

// Watch follows login's records (the login as AM's records name it;
// case does not matter). Close it when the screen goes. A screen watches
// first and reads what AM has second, then marks that Seen: a record that
// lands in between is in one or the other, never lost.
func (p *Poller) Watch(login string) *Watch {
	w := &Watch{p: p, login: strings.ToLower(login), signal: make(chan struct{}, 1)}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watches[w] = struct{}{}
	if p.stop == nil {
		if p.last.IsZero() {
			p.last = p.now().Add(-5 * time.Minute)
		}
		ctx, cancel := context.WithCancel(context.Background())
		p.stop, p.done = cancel, make(chan struct{})
		go p.loop(ctx, p.done)
	}
	return w
}

// release takes w out; the last watcher stops the polling.
func (p *Poller) release(w *Watch) {
	p.mu.Lock()
	delete(p.watches, w)
	var done chan struct{}
	if len(p.watches) == 0 && p.stop != nil {
		p.stop()
		done, p.stop, p.done = p.done, nil, nil
	}
	p.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (p *Poller) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		p.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll asks AM once and hands the records out.
func (p *Poller) poll(ctx context.Context) {
	p.mu.Lock()
	since := p.last
	var logins []string
	seen := map[string]bool{}
	everybody := false // a watch of "" follows everybody's records
	for w := range p.watches {
		everybody = everybody || w.login == ""
		if !seen[w.login] {
			seen[w.login] = true
			logins = append(logins, w.login)
		}
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	p.polls.Add(1)
	var evs []rsa.AuthEvent
	var err error
	if fr, ok := p.r.(FilteredReader); ok && !p.Unfiltered && !everybody && len(logins) > 0 && len(logins) <= MaxFiltered {
		sort.Strings(logins)
		evs, err = fr.ActivityPollOf(ctx, since, logins)
	} else {
		evs, err = p.r.ActivityPoll(ctx, since)
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return // stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range evs {
		if e.At.After(p.last) {
			p.last = e.At
		}
	}
	for w := range p.watches {
		w.deliver(evs, err)
	}
}

// Watch is one watcher's records.
type Watch struct {
	p      *Poller
	login  string
	signal chan struct{}
	once   sync.Once

	mu      sync.Mutex
	pending []rsa.AuthEvent
	err     error
	seen    map[string]bool // GUIDs handed out
}

// deliver queues the watcher's records of a poll (or its error). It never
// blocks: a watcher that is slow to read gets them all at once.
func (w *Watch) deliver(evs []rsa.AuthEvent, err error) {
	w.mu.Lock()
	changed := false
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	for _, e := range evs {
		if (w.login == "" || strings.EqualFold(e.User, w.login)) && !w.seen[e.GUID] {
			w.seen[e.GUID] = true
			w.pending = append(w.pending, e)
			changed = true
		}
	}
	switch {
	case err != nil:
		w.err, changed = err, true
	case w.err != nil:
		w.err = nil // AM answered again before the error was read
	}
	w.mu.Unlock()
	if changed {
		select {
		case w.signal <- struct{}{}:
		default:
		}
	}
}

// Seen marks records the watcher has already (its screen's first read),
// so a poll does not hand them out again — nor the poll that landed
// between the watch and the read: what it left waiting is taken out.
// (It was handed out twice: a dashboard showed the same login twice when
// the first poll beat the screen's read, as a loaded machine showed.)
func (w *Watch) Seen(evs []rsa.AuthEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	had := map[string]bool{}
	for _, e := range evs {
		w.seen[e.GUID], had[e.GUID] = true, true
	}
	w.pending = slices.DeleteFunc(w.pending, func(e rsa.AuthEvent) bool { return had[e.GUID] })
}

// Next waits for new records of the person, oldest first, or for the
// poll's error (AM unreachable: the poller goes on trying, and a later
// Next returns the records once it reaches AM again).
func (w *Watch) Next(ctx context.Context) ([]rsa.AuthEvent, error) {
	for {
		w.mu.Lock()
		evs, err := w.pending, w.err
		w.pending = nil
		if err != nil {
			w.err = nil
		}
		w.mu.Unlock()
		if len(evs) > 0 || err != nil {
			return evs, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.signal:
		}
	}
}

// Close ends the watch.
func (w *Watch) Close() { w.once.Do(func() { w.p.release(w) }) }
