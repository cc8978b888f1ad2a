// Package stack composes the demo back end, in one place: the demo data
// set and the AM simulator seeded with it (Seeded); both served — the
// simulator over HTTPS, the embedded directory over LDAPS, each behind a CA
// made for the run — (Serve: rsatui sim); and the real clients and
// operations on top (Start: rsatui --demo and the console's, the verbs'
// and the SSH server's tests). The code under test is the code that ships,
// with TLS verification on.
package stack

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/authapi"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/ldapsim"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/tlsutil"
)

// Options shape the data set, the simulator and how they are served.
type Options struct {
	Seed  uint64
	Users int // generated people besides the fixtures
	// Now is the clock of the data set, the simulator and the operations
	// (default time.Now); tests fix it so golden files keep still.
	Now func() time.Time
	// Sim are the simulator's other options (faults, inline replies,
	// session limits); its Now is the stack's, its Seed too unless set.
	Sim amsim.Options
	// Listen is where AM is served (default a free loopback port).
	Listen string
	// PlainHTTP serves AM without TLS (its clients must allow it).
	PlainHTTP bool
	// Helpdesk logs the clients in to AM as the demo's help-desk
	// administrator instead of the full one (Start).
	Helpdesk bool
	// DirDelay is added before every page the embedded directory answers
	// (a directory far away, for benchmarks).
	DirDelay time.Duration
}

func (opt *Options) defaults() {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:0"
	}
	if opt.Sim.Seed == 0 {
		opt.Sim.Seed = opt.Seed
	}
	opt.Sim.Now = opt.Now
}

// Seeded is the demo data set and the simulator seeded with it, not served.
func Seeded(opt Options) (*demo.Dataset, *amsim.Sim, error) {
	opt.defaults()
	ds := demo.Generate(opt.Seed, opt.Users, opt.Now())
	sim := amsim.New(opt.Sim)
	if err := ds.SeedAM(sim); err != nil {
		return nil, nil, err
	}
	return ds, sim, nil
}

// Servers is the demo back end being served.
type Servers struct {
	DS  *demo.Dataset
	Sim *amsim.Sim
	// AMURL is the scheme and address AM is served at; Endpoint adds the
	// CommandServer's path.
	AMURL string
	// AMCAPEM and AMCAPool are the CA of AM's certificate (none over plain
	// HTTP).
	AMCAPEM  []byte
	AMCAPool *x509.CertPool
	// AuthAPIKey is the client key of the Authentication API, served on
	// AM's address too (amsim.AuthAPIPath): made at random for each run.
	AuthAPIKey secret.Secret
	// Directory is the embedded directory; DirURL its ldaps:// URL.
	Directory *ldapsim.Dir
	DirURL    string

	srv     *http.Server
	serving chan error
	cleanup []func()
}

// Endpoint is the CommandServer's URL, as clients are given it.
func (s *Servers) Endpoint() string { return s.AMURL + amsim.ServicePath }

// Serve seeds the back end and serves it.
func Serve(opt Options) (*Servers, error) {
	opt.defaults()
	ds, sim, err := Seeded(opt)
	if err != nil {
		return nil, err
	}
	s := &Servers{DS: ds, Sim: sim, serving: make(chan error, 1)}
	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opt.Listen, err)
	}
	scheme := "http"
	if !opt.PlainHTTP {
		lb, err := tlsutil.NewLoopback("rsatui demo AM")
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		ln, scheme = tls.NewListener(ln, lb.Server), "https"
		s.AMCAPEM, s.AMCAPool = lb.CAPEM, lb.Pool
	}
	mux := http.NewServeMux()
	mux.Handle(amsim.ServicePath, sim)
	var key [16]byte
	_, _ = rand.Read(key[:])
	s.AuthAPIKey = secret.Secret(hex.EncodeToString(key[:]))
	sim.SetAuthAPIKey(s.AuthAPIKey.Reveal())
	mux.Handle(amsim.AuthAPIPath, sim.AuthAPI())
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go func() { s.serving <- s.srv.Serve(ln) }()
	s.cleanup = append(s.cleanup, func() { _ = s.srv.Close() })
	s.AMURL = scheme + "://" + ln.Addr().String()

	dir, err := ldapsim.Start(ds.Directory(), ldapsim.Options{Delay: opt.DirDelay})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("starting the directory: %w", err)
	}
	s.cleanup = append(s.cleanup, dir.Stop)
	// AM reads a person's groups from its identity source: the directory
	sim.SetGroups(dir.Groups)
	s.Directory, s.DirURL = dir, dir.URL()
	return s, nil
}

// Wait serves until ctx ends, then shuts AM's server down, giving the
// requests in flight up to grace to finish. An error of the server ends it
// early.
func (s *Servers) Wait(ctx context.Context, grace time.Duration) error {
	select {
	case err := <-s.serving:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the servers.
func (s *Servers) Close() {
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
	s.cleanup = nil
}

// Stack is the demo back end served, with the clients and operations rsatui
// runs on.
type Stack struct {
	*Servers
	AM    *rsa.Client
	Ops   *rsa.Ops
	Dir   *ad.Client
	Admin string // the AM administrator the client logs in as
}

// Start serves the back end on loopback and connects to it.
func Start(opt Options) (*Stack, error) {
	opt.defaults()
	s, err := Serve(opt)
	if err != nil {
		return nil, err
	}
	st := &Stack{Servers: s, Admin: demo.AdminUser}
	user, pw := s.Sim.CommandClient()
	adminPW := demo.AdminPassword
	if opt.Helpdesk {
		st.Admin, adminPW = demo.HelpdeskUser, demo.HelpdeskPassword
	}
	st.AM, err = rsa.New(rsa.Config{URL: s.AMURL, AllowPlainHTTP: opt.PlainHTTP, CommandClientUser: user, CommandClientPassword: secret.Secret(pw),
		AdminUser: st.Admin, AdminPassword: secret.Secret(adminPW), CAPool: s.AMCAPool})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Dir, err = ad.New(ad.Config{URL: s.DirURL, BindUser: s.DS.ServiceDN(), BindPassword: demo.ServicePassword,
		CAPool: s.Directory.CAPool(), BaseDN: "OU=People," + s.DS.BaseDN})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Ops = rsa.NewOps(st.AM)
	st.Ops.IdentitySource = demo.IdentitySourceName
	st.Ops.Now = opt.Now
	// the Authentication API, as the demo's web portal
	if st.Ops.AuthAPI, err = authapi.New(authapi.Config{URL: s.AMURL, Key: s.AuthAPIKey, Agent: demo.PortalAgent,
		CAPool: s.AMCAPool, AllowPlainHTTP: opt.PlainHTTP}); err != nil {
		st.Close()
		return nil, err
	}
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
	st.Servers.Close()
}

// Passcode is a demo person's passcode now: the demo PIN and their token's
// current tokencode, or, with wrong, a tokencode that is not theirs.
func (s *Servers) Passcode(login string, wrong bool) (rsa.Secret, error) {
	serials := s.DS.TokensOf(login)
	if len(serials) == 0 {
		return "", fmt.Errorf("%s holds no demo token", login)
	}
	if wrong {
		return rsa.Secret(demo.DemoPIN + "00000000"), nil
	}
	cur, _, err := s.Sim.Tokencodes(serials[0])
	if err != nil {
		return "", err
	}
	return rsa.Secret(demo.DemoPIN + cur), nil
}

// TryPasscode tests a demo person's passcode now (wrong: a wrong one)
// through the operations, as the console's and the verb's test do.
func (st *Stack) TryPasscode(ctx context.Context, login string, wrong bool) (rsa.PasscodeResult, error) {
	pc, err := st.Passcode(login, wrong)
	if err != nil {
		return rsa.PasscodeResult{}, err
	}
	return st.Ops.TestPasscode(ctx, login, pc, nil)
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
