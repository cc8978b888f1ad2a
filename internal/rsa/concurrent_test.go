package rsa_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Fifteen admins of one rsatui serve add one-time codes to one token at
// the same time (#29 item 7): every code any of them is shown works, and
// AM holds them all — none withheld as "no longer works", none lost to
// another admin's write.
func TestConcurrentAddCodesKeepEveryCode(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	if _, err := o.SetEmergencyAccess(ctx, rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 3,
		Expires: testNow.Add(48 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetLatency(2 * time.Millisecond) // the writes overlap
	var wg sync.WaitGroup
	var mu sync.Mutex
	var shown []string
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			admin := o.For(rsa.Actor{SSHUser: "admin" + string(rune('a'+i))}, rsa.AllowAll())
			res, err := admin.AddOneTimeCodes(ctx, serial, 2)
			if err != nil && !errors.Is(err, rsa.ErrOtherChange) {
				t.Errorf("admin %d: %v", i, err)
			}
			mu.Lock()
			for _, c := range res.Codes {
				shown = append(shown, c.Reveal())
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	st, _ := e.sim.Token(serial)
	live := map[string]bool{}
	for _, c := range st.OTTs {
		live[c] = true
	}
	for _, c := range shown {
		if !live[c] {
			t.Errorf("a code shown to an admin does not work")
		}
	}
	if len(shown) != 30 || len(st.OTTs) != 33 {
		t.Fatalf("%d codes shown, AM holds %d: want 30 shown and 33 held", len(shown), len(st.OTTs))
	}
}
