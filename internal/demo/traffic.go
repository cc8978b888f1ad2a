package demo

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Traffic makes the demo's people log in now and then (rsatui sim
// --traffic, rsatui --demo --traffic), so the dashboards have live
// activity to show: every interval one person logs in at their agent with
// PIN + the tokencode their token shows — now and then with a mistyped PIN,
// never twice running, so the traffic alone locks nobody out. The fixture
// people are left alone (the walkthroughs rely on their state), except
// dobrien, locked out, who keeps trying. It runs until ctx ends.
func (ds *Dataset) Traffic(ctx context.Context, sim *amsim.Sim, every time.Duration, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x7a4f))
	type person struct {
		login, serial string
		index         int
	}
	var people []person
	fixture := map[string]bool{}
	for _, f := range fixtures {
		fixture[f.login] = f.login != "dobrien"
	}
	for i, p := range ds.People {
		if p.Disabled || fixture[p.Login] {
			continue
		}
		for _, t := range ds.Tokens {
			if t.Owner == p.Login && t.Enabled && t.PinSet && t.Expires.After(ds.Created) {
				people = append(people, person{p.Login, t.Serial, i})
				break
			}
		}
	}
	if len(people) == 0 {
		return
	}
	typo := map[string]bool{}        // the last attempt was mistyped
	lastOK := map[string]time.Time{} // a tokencode is good once: wait for the next
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p := people[rng.IntN(len(people))]
		if time.Since(lastOK[p.login]) < 2*time.Minute {
			continue
		}
		code, _, err := sim.Tokencodes(p.serial)
		if err != nil {
			continue
		}
		pin := DemoPIN
		if !typo[p.login] && rng.IntN(5) == 0 {
			pin = "2469" // a finger off
		}
		typo[p.login] = pin != DemoPIN
		agent, client := ds.Agent(p.index)
		if sim.Authenticate(p.login, pin+code, agent, client) == amproto.StateAuthenticated {
			lastOK[p.login] = time.Now()
		}
	}
}

// Load makes rate authentications a second, of people across the data set
// at their agents, until ctx ends (rsatui sim --traffic-rate): a busy AM's
// activity monitor (amsim.RecordLogins says what is and is not checked).
func (ds *Dataset) Load(ctx context.Context, sim *amsim.Sim, rate int, seed uint64) {
	if rate <= 0 {
		return
	}
	var holders []int
	for i, p := range ds.People {
		if len(ds.TokensOf(p.Login)) > 0 && !p.Disabled {
			holders = append(holders, i)
		}
	}
	if len(holders) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x10ad))
	const tick = 20 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start, made := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// as many as the rate owes by now: a slow tick is caught up
		due := int(time.Since(start).Seconds()*float64(rate)) - made
		if due <= 0 {
			continue
		}
		sim.RecordLogins(due, func(int) (string, string, string) {
			i := holders[rng.IntN(len(holders))]
			agent, client := ds.Agent(i)
			return ds.People[i].Login, agent, client
		})
		made += due
	}
}
