package ui

import (
	"context"
	"testing"

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
	read := r.start(rereadAM{st: before}, before) // the form opens
	r.forget()                                    // y: the change is sent
	msg := read().(readAheadDone)                 // the read comes back after it
	if _, ok := r.done(msg); ok || r.of("000100001007") != nil {
		t.Fatal("a read made before the change was taken in after it")
	}
	fresh := r.start(rereadAM{st: before}, before)
	if st, ok := r.done(fresh().(readAheadDone)); !ok || st.Token.Serial != "000100001007" || r.of("000100001007") == nil {
		t.Fatal("a current read was dropped")
	}
	if r.of("000100009999") != nil {
		t.Fatal("a read of one token was offered for another")
	}
}
