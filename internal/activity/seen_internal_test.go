package activity

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
)

// A poll that lands between the watch and the screen's first read leaves
// records waiting that the read has too: Seen takes them out, so the
// screen does not show them twice; the others still come.
func TestSeenTakesOutWhatAPollLeftWaiting(t *testing.T) {
	w := &Watch{login: "jdoe", signal: make(chan struct{}, 1)}
	read := rsa.AuthEvent{User: "jdoe", GUID: "a", ResultKey: "PASSCODE_ACCEPTED"}
	later := rsa.AuthEvent{User: "jdoe", GUID: "b", ResultKey: "BAD_PASSCODE"}
	w.deliver([]rsa.AuthEvent{read, later}, nil) // the first poll, before the screen's read
	w.Seen([]rsa.AuthEvent{read})                // the screen's read had it
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := w.Next(ctx)
	if err != nil || len(got) != 1 || got[0].GUID != "b" {
		t.Fatalf("after Seen: %+v %v (want only the record the read had not)", got, err)
	}
}
