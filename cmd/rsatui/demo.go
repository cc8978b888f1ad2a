package main

import (
	"context"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/ui"
)

// backend is what the console and the verbs run against: real servers, or the
// embedded demo ones.
type backend struct {
	dir     *ad.Client
	am      *rsa.Client
	ops     *rsa.Ops
	info    ui.Info
	cleanup []func()
}

func (b *backend) close() {
	// logging out is sent, but waited for only briefly: the person has their
	// answer, and a session AM does not hear the end of times out by itself
	ctx, cancel := context.WithTimeout(context.Background(), logoutWait)
	defer cancel()
	if b.am != nil {
		_ = b.am.Close(ctx) // LogoutCommand
	}
	if b.dir != nil {
		_ = b.dir.Close()
	}
	for i := len(b.cleanup) - 1; i >= 0; i-- {
		b.cleanup[i]()
	}
}

// logoutWait bounds the wait for AM's reply to LogoutCommand as a verb ends.
const logoutWait = 500 * time.Millisecond

// demoBackend runs the console on the in-process demo stack: the AM
// simulator over HTTPS and the embedded directory over LDAPS, behind a
// generated CA the clients trust, so the demo runs the real client code with
// TLS verification on.
//
// traffic > 0 makes demo people log in every traffic (demo.Traffic).
func demoBackend(seed uint64, users int, readOnly bool, traffic time.Duration) (*backend, error) {
	st, err := stack.Start(stack.Options{Seed: seed, Users: users, Helpdesk: readOnly, Sim: amsim.Options{RandomCodes: true}})
	if err != nil {
		return nil, err
	}
	b := &backend{am: st.AM, dir: st.Dir, ops: st.Ops}
	// the stack's own Close would log out and close the clients a second time
	st.AM, st.Dir = nil, nil
	b.cleanup = append(b.cleanup, st.Close)
	if traffic > 0 {
		ctx, stop := context.WithCancel(context.Background())
		b.cleanup = append(b.cleanup, stop)
		go st.DS.Traffic(ctx, st.Sim, traffic, seed)
	}
	b.ops.ReadOnly = readOnly
	b.info = ui.Info{Server: strings.TrimPrefix(st.AMURL, "https://") + " (simulator)", Directory: st.DirURL,
		IdentitySource: demo.IdentitySourceName, Admin: st.Admin, ReadOnly: readOnly, Demo: true}
	return b, nil
}
