package amsim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// WaitArrived and WaitIdle are events: a request received, and every
// request done with (also one its client gave up on).
func TestWaitArrivedAndIdle(t *testing.T) {
	s := New(Options{Seed: 3})
	s.AddAdmin("admin", "Admin!Passw0rd", RoleSuperAdmin)
	s.Inject(Rule{Command: amproto.LoginCommand, Action: Delay, Delay: time.Hour})
	ctx, giveUp := context.WithCancel(context.Background())
	body := envelope(t, "", soapenc.Obj("in1", amproto.LoginCommand))
	req := httptest.NewRequest(http.MethodPost, amproto.ServicePath, strings.NewReader(body)).WithContext(ctx)
	req.SetBasicAuth("CmdClient_sim", "sim-secret")
	served := make(chan struct{})
	go func() { s.ServeHTTP(httptest.NewRecorder(), req); close(served) }()

	if err := s.WaitArrived(context.Background(), 1); err != nil || s.Arrived() != 1 {
		t.Fatalf("arrived %d: %v", s.Arrived(), err)
	}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.WaitIdle(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("idle while a request is held for an hour: %v", err)
	}
	giveUp() // the client gives up: the simulator finishes the request
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-served
}

func TestCriticalPath(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	span := func(start, end int) Span { return Span{Start: at(start), End: at(end)} }
	for _, c := range []struct {
		spans []Span
		want  int
	}{
		{nil, 0},
		{[]Span{span(0, 10)}, 1},
		{[]Span{span(0, 10), span(10, 20), span(20, 30)}, 3},               // one after another
		{[]Span{span(0, 10), span(1, 11), span(2, 12)}, 1},                 // all at once
		{[]Span{span(0, 10), span(11, 20), span(11, 21), span(21, 30)}, 3}, // a wave of two in the middle
		{[]Span{span(0, 50), span(0, 10), span(10, 20), span(20, 30)}, 3},  // a long one beside a chain
	} {
		if got := CriticalPath(c.spans); got != c.want {
			t.Errorf("%v: critical path %d, want %d", c.spans, got, c.want)
		}
	}
}
