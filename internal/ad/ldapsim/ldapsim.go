// Package ldapsim is an embedded LDAP directory that serves the entries it
// is given (internal/demo gives it the demo data set) the way Active
// Directory does, over real LDAP (gldap): simple bind as the
// service account (DN, UPN or DOMAIN\user) with AD's error texts, binds only
// over TLS (LDAPS or StartTLS), RFC 2696 paged search capped at AD's
// MaxPageSize of 1000, AD's filter shapes, objectGUID in AD byte order and
// memberOf back-links. `rsatui --demo` and the tests use it, so the real
// internal/ad client code path runs without a directory server.
package ldapsim

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"

	"github.com/rsatui/rsatui/internal/event"
	"github.com/rsatui/rsatui/internal/tlsutil"
)

// MaxPageSize is AD's default cap on a page (and on an unpaged search).
const MaxPageSize = 1000

type entry struct {
	dn    string
	attrs map[string][]string // lower-case names
	names map[string]string   // lower-case -> as AD spells it
}

func (e *entry) get(lower string) []string { return e.attrs[lower] }

func (e *entry) set(name string, values ...string) {
	l := strings.ToLower(name)
	e.attrs[l] = values
	e.names[l] = name
}

// Entry is one directory object: its DN and its attributes as name, value
// pairs (a name given again adds a value), spelt as AD spells them.
type Entry struct {
	DN    string
	Attrs []string
}

// Directory is what the simulator serves: the naming context, the
// entries, and the service account that may bind (by any of its names).
type Directory struct {
	BaseDN       string
	Entries      []Entry
	BindNames    []string // the service account's DN, UPN, DOMAIN\login
	BindPassword string
}

// Dir is a running embedded directory.
type Dir struct {
	tls     *tlsutil.Loopback
	dir     Directory
	entries []*entry
	plain   *listener // ldap://, StartTLS
	secure  *listener // ldaps://

	// data guards the entries' attributes: a test changes the directory
	// (AddMember) while searches read it
	data    sync.RWMutex
	mu      sync.Mutex
	cursors map[string][]*entry
	// Stats
	searches int
	pages    int
	abandons int
	changed  event.Changed
}

// Options tune the directory for tests.
type Options struct {
	// Delay is added before every search page (to test cancellation).
	Delay time.Duration
}

// Start serves dir on two loopback ports: LDAPS and LDAP (+StartTLS). The
// certificate is generated; CAPEM returns its CA for clients.
func Start(dir Directory, opt Options) (*Dir, error) {
	lb, err := tlsutil.NewLoopback("rsatui demo directory")
	if err != nil {
		return nil, err
	}
	d := &Dir{tls: lb, dir: dir, cursors: map[string][]*entry{}}
	d.load()
	d.plain = &listener{d: d, opt: opt, bound: map[int]bool{}, upgraded: map[int]bool{}}
	d.secure = &listener{d: d, opt: opt, tls: true, bound: map[int]bool{}, upgraded: map[int]bool{}}
	if err := d.plain.serve(); err != nil {
		return nil, err
	}
	if err := d.secure.serve(); err != nil {
		d.plain.stop()
		return nil, err
	}
	return d, nil
}

// URL is the LDAPS URL; StartTLSURL the plain LDAP one that expects StartTLS.
func (d *Dir) URL() string         { return "ldaps://" + d.secure.addr }
func (d *Dir) StartTLSURL() string { return "ldap://" + d.plain.addr }

// listener is one of the two servers. gldap numbers connections per server, so
// the per-connection state lives here.
type listener struct {
	d    *Dir
	opt  Options
	tls  bool
	srv  *gldap.Server
	addr string

	mu       sync.Mutex
	bound    map[int]bool // connection id -> bound as the service account
	upgraded map[int]bool // connection id -> StartTLS done
}

func (l *listener) stop() { _ = l.srv.Stop() }

func (l *listener) isTLS(r *gldap.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tls || l.upgraded[r.ConnectionID()]
}

func (l *listener) isBound(r *gldap.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bound[r.ConnectionID()]
}

// CAPEM is the PEM CA certificate that signed the server certificate.
func (d *Dir) CAPEM() []byte { return d.tls.CAPEM }

// CAPool is the same CA as a pool, for in-process clients.
func (d *Dir) CAPool() *x509.CertPool { return d.tls.Pool }

// Stats says how many searches, pages and abandoned cursors were served.
func (d *Dir) Stats() (searches, pages, abandons int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.searches, d.pages, d.abandons
}

// WaitStats returns once cond holds of the stats (or ctx ends): tests wait
// for "the next page was asked for", "the cursor was abandoned", not for a
// time.
func (d *Dir) WaitStats(ctx context.Context, cond func(searches, pages, abandons int) bool) error {
	return d.changed.Wait(ctx, &d.mu, func() bool { return cond(d.searches, d.pages, d.abandons) })
}

// counted tells the waiters a stat changed (d.mu held).
func (d *Dir) counted() { d.changed.Notify() }

// Stop shuts the servers down.
func (d *Dir) Stop() { d.plain.stop(); d.secure.stop() }

// serve starts the gldap server on a free loopback port.
func (l *listener) serve() error {
	mux, err := gldap.NewMux()
	if err != nil {
		return err
	}
	_ = mux.Bind(l.bind)
	_ = mux.Search(l.search)
	_ = mux.ExtendedOperation(l.startTLS, gldap.ExtendedOperationStartTLS)
	_ = mux.DefaultRoute(func(w *gldap.ResponseWriter, r *gldap.Request) {
		_ = w.Write(r.NewResponse(gldap.WithResponseCode(gldap.ResultUnwillingToPerform)))
	})
	srv, err := gldap.NewServer(gldap.WithReadTimeout(time.Minute), gldap.WithWriteTimeout(time.Minute),
		gldap.WithOnClose(func(id int) {
			l.mu.Lock()
			delete(l.bound, id)
			delete(l.upgraded, id)
			l.mu.Unlock()
		}), gldap.WithLogger(hclog.NewNullLogger()))
	if err != nil {
		return err
	}
	if err := srv.Router(mux); err != nil {
		return err
	}
	l.srv = srv
	// gldap cannot tell which port it got, so pick a free one first
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		errc := make(chan error, 1)
		go func() {
			var opts []gldap.Option
			if l.tls {
				opts = append(opts, gldap.WithTLSConfig(l.d.tls.Server))
			}
			errc <- srv.Run(addr, opts...)
		}()
		if waitReady(srv, errc) {
			l.addr = addr
			return nil
		}
	}
	return errors.New("ldapsim: no free loopback port")
}

// waitReady waits until the server listens, or reports that Run failed (the
// port was taken in between).
func waitReady(srv *gldap.Server, errc chan error) bool {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-errc:
			return false
		case <-time.After(2 * time.Millisecond):
			if srv.Ready() {
				return true
			}
		}
	}
	return false
}

func (d *Dir) load() {
	for _, in := range d.dir.Entries {
		e := &entry{dn: in.DN, attrs: map[string][]string{}, names: map[string]string{}}
		for i := 0; i+1 < len(in.Attrs); i += 2 {
			name := in.Attrs[i]
			e.set(name, append(e.attrs[strings.ToLower(name)], in.Attrs[i+1])...)
		}
		if e.get("distinguishedname") == nil {
			e.set("distinguishedName", in.DN) // AD's own, on every object
		}
		d.entries = append(d.entries, e)
	}
}

// AD's bind failures carry the Windows error in "data …": 52e = bad password.
const adInvalidCredentials = "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563"

func (l *listener) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultInvalidCredentials))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetSimpleBindMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultAuthMethodNotSupported)
		return
	}
	if !l.isTLS(r) {
		// Samba's and AD's default: no simple bind with a password in clear text
		resp.SetResultCode(gldap.ResultStrongAuthRequired)
		resp.SetDiagnosticMessage("BindSimple: Transport encryption required.")
		return
	}
	known := false
	for _, name := range l.d.dir.BindNames {
		known = known || strings.EqualFold(name, m.UserName)
	}
	if !known || string(m.Password) != l.d.dir.BindPassword {
		resp.SetDiagnosticMessage(adInvalidCredentials)
		return
	}
	l.mu.Lock()
	l.bound[r.ConnectionID()] = true
	l.mu.Unlock()
	resp.SetResultCode(gldap.ResultSuccess)
}

func (l *listener) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	resp.SetResponseName(gldap.ExtendedOperationStartTLS)
	if l.isTLS(r) {
		resp.SetResultCode(gldap.ResultOperationsError)
		_ = w.Write(resp)
		return
	}
	if err := w.Write(resp); err != nil {
		return
	}
	if err := r.StartTLS(l.d.tls.Server); err == nil {
		l.mu.Lock()
		l.upgraded[r.ConnectionID()] = true
		l.mu.Unlock()
	}
}

func (l *listener) search(w *gldap.ResponseWriter, r *gldap.Request) {
	d, opt := l.d, l.opt
	done := r.NewSearchDoneResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	defer func() { _ = w.Write(done) }()
	m, err := r.GetSearchMessage()
	if err != nil {
		done.SetResultCode(gldap.ResultProtocolError)
		return
	}
	bound := l.isBound(r)
	d.mu.Lock()
	d.searches++
	d.counted()
	d.mu.Unlock()
	if !bound {
		// AD: the rootDSE is public, everything else needs a bind
		if m.BaseDN == "" && m.Scope == gldap.BaseObject {
			e := r.NewSearchResponseEntry("")
			e.AddAttribute("defaultNamingContext", []string{d.dir.BaseDN})
			_ = w.Write(e)
			return
		}
		done.SetResultCode(gldap.ResultOperationsError)
		done.SetDiagnosticMessage("000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563")
		return
	}
	if opt.Delay > 0 {
		time.Sleep(opt.Delay)
	}
	var paging *gldap.ControlPaging
	for _, c := range m.Controls {
		if p, ok := c.(*gldap.ControlPaging); ok {
			paging = p
		}
	}
	var results []*entry
	if paging != nil && len(paging.Cookie) > 0 {
		d.mu.Lock()
		results = d.cursors[string(paging.Cookie)]
		delete(d.cursors, string(paging.Cookie))
		if paging.PagingSize == 0 {
			d.abandons++
			d.counted()
		}
		d.mu.Unlock()
		if results == nil && paging.PagingSize != 0 {
			done.SetResultCode(gldap.ResultUnwillingToPerform)
			done.SetDiagnosticMessage("00002024: paged results cookie is not valid")
			return
		}
		if paging.PagingSize == 0 { // abandon the cursor
			return
		}
	} else {
		match, err := compile(m.Filter)
		if err != nil {
			done.SetResultCode(gldap.ResultOperationsError)
			done.SetDiagnosticMessage(err.Error())
			return
		}
		base := strings.ToLower(m.BaseDN)
		d.data.RLock()
		for _, e := range d.entries {
			if inScope(strings.ToLower(e.dn), base, m.Scope) && match(e) {
				results = append(results, e)
			}
		}
		d.data.RUnlock()
	}
	size := MaxPageSize
	if paging != nil && paging.PagingSize > 0 && int(paging.PagingSize) < size {
		size = int(paging.PagingSize)
	}
	page, rest := results, []*entry(nil)
	if len(results) > size {
		page, rest = results[:size], results[size:]
	}
	for _, e := range page {
		out := r.NewSearchResponseEntry(e.dn)
		d.data.RLock()
		for _, a := range pick(e, m.Attributes) {
			out.AddAttribute(e.names[a], slices.Clone(e.attrs[a]))
		}
		d.data.RUnlock()
		if err := w.Write(out); err != nil {
			return
		}
	}
	d.mu.Lock()
	d.pages++
	d.counted()
	d.mu.Unlock()
	if paging == nil {
		if rest != nil { // AD stops an unpaged search at MaxPageSize
			done.SetResultCode(gldap.ResultSizeLimitExceeded)
		}
		return
	}
	cookie := ""
	if rest != nil {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		cookie = hex.EncodeToString(b)
		d.mu.Lock()
		d.cursors[cookie] = rest
		d.mu.Unlock()
	}
	done.SetControls(&gldap.ControlPaging{Cookie: []byte(cookie)})
}

func inScope(dn, base string, scope gldap.Scope) bool {
	switch scope {
	case gldap.BaseObject:
		return dn == base
	case gldap.SingleLevel:
		i := strings.IndexByte(dn, ',')
		return i >= 0 && dn[i+1:] == base
	}
	return base == "" || dn == base || strings.HasSuffix(dn, ","+base)
}

// pick returns the lower-case names of the requested attributes the entry has.
func pick(e *entry, requested []string) []string {
	var out []string
	if len(requested) == 0 || (len(requested) == 1 && requested[0] == "*") {
		for a := range e.attrs {
			out = append(out, a)
		}
		return out
	}
	for _, a := range requested {
		if l := strings.ToLower(a); len(e.attrs[l]) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Groups are the CNs of the groups login is a member of (its memberOf), as
// the directory holds them now: what AM reads from its identity source.
func (d *Dir) Groups(login string) ([]string, error) {
	d.data.RLock()
	defer d.data.RUnlock()
	for _, e := range d.entries {
		if ls := e.get("samaccountname"); len(ls) > 0 && strings.EqualFold(ls[0], login) {
			var out []string
			for _, dn := range e.get("memberof") {
				cn, _, _ := strings.Cut(strings.TrimPrefix(dn, "CN="), ",")
				out = append(out, cn)
			}
			return out, nil
		}
	}
	return nil, nil
}

// AddMember makes login a member of the group whose CN is group (member on
// the group, memberOf on the person, as AD keeps both): an administrator's
// change in AD, made while rsatui runs.
func (d *Dir) AddMember(group, login string) error {
	d.data.Lock()
	defer d.data.Unlock()
	var person, grp *entry
	for _, e := range d.entries {
		if ls := e.get("samaccountname"); len(ls) > 0 && strings.EqualFold(ls[0], login) && person == nil && len(e.get("useraccountcontrol")) > 0 {
			person = e
		}
		if cn := e.get("cn"); len(cn) > 0 && strings.EqualFold(cn[0], group) && slices.Contains(e.get("objectclass"), "group") {
			grp = e
		}
	}
	if person == nil || grp == nil {
		return fmt.Errorf("ldapsim: no person %q or no group %q", login, group)
	}
	if !slices.Contains(grp.get("member"), person.dn) {
		grp.set("member", append(slices.Clone(grp.get("member")), person.dn)...)
		person.set("memberOf", append(slices.Clone(person.get("memberof")), grp.dn)...)
	}
	return nil
}
