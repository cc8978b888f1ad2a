// Package stack starts the whole demo back end in-process: the AM simulator
// over HTTPS and the embedded directory over LDAPS, both seeded from one demo
// data set and both behind a generated CA the clients trust, plus the real
// clients and operations on top. rsatui --demo runs on it, and so do the
// console's and the SSH server's tests: the code under test is the code that
// ships, with TLS verification on.
package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/ldapsim"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/tlsutil"
)

// Options shape the data set and the simulator.
type Options struct {
	Seed  uint64
	Users int // generated people besides the fixtures
	// Now is the clock of the data set, the simulator and the operations
	// (default time.Now); tests fix it so golden files keep still.
	Now func() time.Time
	// Helpdesk logs in to AM as the demo's read-only administrator.
	Helpdesk bool
}

// Stack is a running demo back end.
type Stack struct {
	DS     *demo.Dataset
	Sim    *amsim.Sim
	AM     *rsa.Client
	Ops    *rsa.Ops
	Dir    *ad.Client
	AMURL  string // https://127.0.0.1:port
	DirURL string
	Admin  string // the AM administrator the client logs in as

	cleanup []func()
}

// Start brings the stack up on loopback ports.
func Start(opt Options) (*Stack, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ds := demo.Generate(opt.Seed, opt.Users, opt.Now())
	st := &Stack{DS: ds}
	st.Sim = amsim.New(amsim.Options{Seed: opt.Seed, Now: opt.Now})
	if err := ds.SeedAM(st.Sim); err != nil {
		return nil, err
	}
	lb, err := tlsutil.NewLoopback("rsatui demo AM")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(amproto.ServicePath, st.Sim)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go func() {
		if err := srv.Serve(tls.NewListener(ln, lb.Server)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	st.cleanup = append(st.cleanup, func() { _ = srv.Close() })
	st.AMURL = "https://" + ln.Addr().String()

	dir, err := ldapsim.Start(ds.Directory(), ldapsim.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.cleanup = append(st.cleanup, dir.Stop)
	st.DirURL = dir.URL()

	user, pw := st.Sim.CommandClient()
	st.Admin = demo.AdminUser
	adminPW := demo.AdminPassword
	if opt.Helpdesk {
		st.Admin, adminPW = demo.HelpdeskUser, demo.HelpdeskPassword
	}
	st.AM, err = rsa.New(rsa.Config{URL: st.AMURL, CommandClientUser: user, CommandClientPassword: secret.Secret(pw),
		AdminUser: st.Admin, AdminPassword: secret.Secret(adminPW), CAPool: lb.Pool})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Dir, err = ad.New(ad.Config{URL: dir.URL(), BindUser: ds.ServiceDN(), BindPassword: demo.ServicePassword,
		CAPool: dir.CAPool(), BaseDN: "OU=People," + ds.BaseDN})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Ops = rsa.NewOps(st.AM)
	st.Ops.IdentitySource = demo.IdentitySourceName
	st.Ops.Now = opt.Now
	return st, nil
}

// Close logs out of AM and stops the servers.
func (st *Stack) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if st.AM != nil {
		_ = st.AM.Close(ctx) // LogoutCommand
	}
	if st.Dir != nil {
		_ = st.Dir.Close()
	}
	for i := len(st.cleanup) - 1; i >= 0; i-- {
		st.cleanup[i]()
	}
	st.cleanup = nil
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
