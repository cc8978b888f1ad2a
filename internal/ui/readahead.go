package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/rsa"
)

// readAhead reads a token while a change to it is being prepared — when the
// form opens, and again when the confirm opens — so that after y only the
// writes and their read-back remain (rsa.EARequest.Read; the operation reads
// again itself if the read is older than rsa.ReadMaxAge). It is not a call
// of the screen: no spinner, nothing cancelled, and a failed read is
// dropped (the change then reads the token first).
type readAhead struct {
	seq  int
	last *rsa.TokenState // the latest read
}

// readAheadDone is a token read ahead.
type readAheadDone struct {
	from  *readAhead // the pane's read-ahead that asked
	seq   int
	state rsa.TokenState
	err   error
}

func (r *readAhead) start(c *common, st rsa.TokenState) tea.Cmd {
	r.seq++
	seq, am, base := r.seq, c.am, c.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, callTimeout)
		defer cancel()
		now, err := am.Reread(ctx, st)
		return readAheadDone{from: r, seq: seq, state: now, err: err}
	}
}

// done takes the latest read in; it reports whether there is one to show.
func (r *readAhead) done(msg readAheadDone) (rsa.TokenState, bool) {
	if msg.from != r || msg.seq != r.seq || msg.err != nil {
		return rsa.TokenState{}, false
	}
	r.last = &msg.state
	return msg.state, true
}

// forget drops the latest read and any still under way: a change is being
// sent, and a read made before it must not come back over what AM holds
// after it.
func (r *readAhead) forget() {
	r.seq++
	r.last = nil
}

// of is the latest read of serial, if any.
func (r *readAhead) of(serial string) *rsa.TokenState {
	if r.last == nil || r.last.Token.Serial != serial {
		return nil
	}
	st := *r.last
	return &st
}
