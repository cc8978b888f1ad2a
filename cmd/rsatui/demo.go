package main

import (
	"context"
	"crypto/tls"
	"errors"
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
	sim     *amsim.Sim // demo only
}

func (b *backend) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
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

// demoBackend starts the AM simulator (HTTPS on loopback) and the embedded
// directory (LDAPS), both seeded with the same data set and both behind a
// generated CA that the clients trust: the demo runs the real client code with
// TLS verification on.
func demoBackend(seed uint64, users int, readOnly bool) (*backend, error) {
	ds := demo.Generate(seed, users, time.Now())
	b := &backend{}
	sim := amsim.New(amsim.Options{Seed: seed})
	if err := ds.SeedAM(sim); err != nil {
		return nil, err
	}
	b.sim = sim
	lb, err := tlsutil.NewLoopback("rsatui demo AM")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(amproto.ServicePath, sim)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go func() {
		if err := srv.Serve(tls.NewListener(ln, lb.Server)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	b.cleanup = append(b.cleanup, func() { _ = srv.Close() })

	dir, err := ldapsim.Start(ds, ldapsim.Options{})
	if err != nil {
		b.close()
		return nil, err
	}
	b.cleanup = append(b.cleanup, dir.Stop)

	user, pw := sim.CommandClient()
	admin, adminPW := demo.AdminUser, demo.AdminPassword
	if readOnly {
		admin, adminPW = demo.HelpdeskUser, demo.HelpdeskPassword
	}
	b.am, err = rsa.New(rsa.Config{URL: "https://" + ln.Addr().String(), CommandClientUser: user,
		CommandClientPassword: secret.Secret(pw), AdminUser: admin, AdminPassword: secret.Secret(adminPW), CAPool: lb.Pool})
	if err != nil {
		b.close()
		return nil, err
	}
	b.dir, err = ad.New(ad.Config{URL: dir.URL(), BindUser: ds.ServiceDN(), BindPassword: demo.ServicePassword,
		CAPool: dir.CAPool(), BaseDN: "OU=People," + ds.BaseDN})
	if err != nil {
		b.close()
		return nil, err
	}
	b.ops = rsa.NewOps(b.am)
	b.ops.IdentitySource = demo.IdentitySourceName
	b.ops.ReadOnly = readOnly
	b.info = ui.Info{Server: ln.Addr().String() + " (simulator)", Directory: dir.URL(), IdentitySource: demo.IdentitySourceName,
		Admin: admin, ReadOnly: readOnly, MaxEADays: b.ops.MaxEADays, Demo: true}
	return b, nil
}
