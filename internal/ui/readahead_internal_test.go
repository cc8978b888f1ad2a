package ui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// rereadAM answers Reread with the state it holds (the other methods are
// not called here).
type rereadAM struct {
	AM
	st rsa.TokenState
}

func (a rereadAM) Reread(context.Context, rsa.TokenState) (rsa.TokenState, error) { return a.st, nil }

// A read made before a change is sent never comes back over what AM holds
// after the change (it came back once, turning the row of a token just put
// into emergency access back to "off").
func TestReadAheadMadeBeforeAChangeIsDropped(t *testing.T) {
	var r readAhead
	before := rsa.TokenState{Token: rsa.Token{Serial: "000100001007", GUID: "g"}}
	read := r.start(&common{am: rereadAM{st: before}, ctx: context.Background()}, before) // the form opens
	r.forget()                                                                            // y: the change is sent
	msg := read().(readAheadDone)                                                         // the read comes back after it
	if _, ok := r.done(msg); ok || r.of("000100001007") != nil {
		t.Fatal("a read made before the change was taken in after it")
	}
	fresh := r.start(&common{am: rereadAM{st: before}, ctx: context.Background()}, before)
	if st, ok := r.done(fresh().(readAheadDone)); !ok || st.Token.Serial != "000100001007" || r.of("000100001007") == nil {
		t.Fatal("a current read was dropped")
	}
	if r.of("000100009999") != nil {
		t.Fatal("a read of one token was offered for another")
	}
}

// heldAM holds Reread and ClearPIN until their context ends or release is
// closed, and says which ended how.
type heldAM struct {
	AM
	release chan struct{}
	ended   chan string
}

func (a heldAM) hold(ctx context.Context, what string) {
	select {
	case <-ctx.Done():
		a.ended <- what + " cancelled"
	case <-a.release:
		a.ended <- what + " done"
	}
}

func (a heldAM) Reread(ctx context.Context, st rsa.TokenState) (rsa.TokenState, error) {
	a.hold(ctx, "read")
	return st, ctx.Err()
}

func (a heldAM) ClearPIN(ctx context.Context, _ string) (rsa.TokenResult, error) {
	a.hold(ctx, "write")
	return rsa.TokenResult{}, ctx.Err()
}

// A read ends with the console's life (rsatui serve: the SSH session), not
// after its own time-out of a minute; a write already sent is seen through.
func TestSessionEndCancelsReadsNotWrites(t *testing.T) {
	ctx, end := context.WithCancel(context.Background())
	am := heldAM{release: make(chan struct{}), ended: make(chan string, 2)}
	m := New(nil, am, Info{}, Options{NoColor: true, Context: ctx})
	read := m.apply(nil, do(push(newDetailPane(rsa.TokenState{Token: rsa.Token{Serial: "000100001007", GUID: "g"}}, ad.User{})))) // reads on opening
	if read == nil {
		t.Fatal("opening the token read nothing")
	}
	go runAll(read)
	end()
	if got := endedOf(t, am); got != "read cancelled" {
		t.Fatalf("the read, when the session ended: %s", got)
	}

	ctx, end = context.WithCancel(context.Background())
	m = New(nil, am, Info{}, Options{NoColor: true, Context: ctx})
	write := m.startCall(nil, callReq{label: "Clearing the PIN", write: true, fn: func(ctx context.Context) tea.Msg {
		_, err := am.ClearPIN(ctx, "000100001007")
		return err
	}})
	go runAll(write)
	end()
	close(am.release)
	if got := endedOf(t, am); got != "write done" {
		t.Fatalf("the write, when the session ended: %s", got)
	}
}

// runAll runs cmd and the commands of the batches it returns, as the
// program would.
func runAll(cmd tea.Cmd) {
	if b, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range b {
			if c != nil {
				go runAll(c)
			}
		}
	}
}

func endedOf(t *testing.T, am heldAM) string {
	t.Helper()
	select {
	case got := <-am.ended:
		return got
	case <-time.After(20 * time.Second): // the call's own time-out is a minute
		t.Fatal("the held call did not end")
		return ""
	}
}
