package rsa_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type env struct {
	sim    *amsim.Sim
	srv    *httptest.Server
	client *rsa.Client
	ds     *demo.Dataset
	clock  *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newEnv(t testing.TB, opt amsim.Options, mutate ...func(*rsa.Config)) *env {
	t.Helper()
	clk := &clock{t: testNow}
	if opt.Seed == 0 {
		opt.Seed = 7 // the simulator's own (sessions, GUIDs: the request goldens)
	}
	ds, sim := stacktest.Seeded(t, stack.Options{Seed: 1, Users: 40, Now: clk.Now, Sim: opt})
	mux := http.NewServeMux()
	mux.Handle(amsim.ServicePath, sim)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	user, pw := sim.CommandClient()
	// the in-process simulator is plain HTTP on loopback, by explicit choice
	cfg := rsa.Config{URL: srv.URL, AllowPlainHTTP: true, CommandClientUser: user, CommandClientPassword: rsa.Secret(pw),
		AdminUser: demo.AdminUser, AdminPassword: demo.AdminPassword, Timeout: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := rsa.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, srv: srv, client: c, ds: ds, clock: clk}
}

func (e *env) principal(t *testing.T, login string) rsa.Principal {
	t.Helper()
	ctx := context.Background()
	src, ok := e.sim.IdentitySourceGUID(demo.IdentitySourceName)
	if !ok {
		t.Fatal("no identity source")
	}
	ps, err := e.client.SearchPrincipals(ctx, rsa.PrincipalQuery{Login: login, IdentitySourceGUID: src})
	if err != nil || len(ps) != 1 {
		t.Fatalf("principal %s: %v %v", login, ps, err)
	}
	return ps[0]
}

func (e *env) token(t *testing.T, login string, i int) rsa.Token {
	t.Helper()
	serials := e.ds.TokensOf(login)
	tok, err := e.client.LookupToken(context.Background(), rsa.TokenRef{Serial: serials[i]})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRealmsIdentitySourcesPrincipals(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	realms, err := e.client.SearchRealms(ctx, "SystemDomain")
	if err != nil {
		t.Fatal(err)
	}
	if len(realms) != 1 || realms[0].TopLevelSecurityDomain.Name != "SystemDomain" || len(realms[0].IdentitySources) != 2 {
		t.Fatalf("realms = %+v", realms)
	}
	if r, _ := e.client.SearchRealms(ctx, "NoSuchRealm"); len(r) != 0 {
		t.Fatalf("unknown realm matched: %+v", r)
	}
	srcs, err := e.client.GetIdentitySources(ctx)
	if err != nil || len(srcs) != 2 || srcs[1].Name != demo.IdentitySourceName || srcs[0].Internal != true {
		t.Fatalf("sources = %+v %v", srcs, err)
	}
	is, err := e.client.LookupIdentitySource(ctx, srcs[1].GUID)
	if err != nil || is.Name != demo.IdentitySourceName {
		t.Fatalf("lookup source = %+v %v", is, err)
	}
	p := e.principal(t, "cmueller")
	if p.LastName != "Müller" || p.Email != "carol.mueller@corp.example" || !p.Enabled {
		t.Fatalf("principal = %+v", p)
	}
	if e.principal(t, "bdisabled").Enabled {
		t.Fatal("disabled user is enabled in AM")
	}
	if !e.principal(t, "dobrien").Locked {
		t.Fatal("locked user is not locked in AM")
	}
	back, err := e.client.LookupPrincipal(ctx, p.GUID, p.IdentitySourceGUID)
	if err != nil || back.UserID != "cmueller" {
		t.Fatalf("lookup principal = %+v %v", back, err)
	}
	none, err := e.client.SearchPrincipals(ctx, rsa.PrincipalQuery{Login: "nobody", IdentitySourceGUID: srcs[1].GUID})
	if err != nil || len(none) != 0 {
		t.Fatalf("unknown login: %+v %v", none, err)
	}
}

func TestSeedFaultsArePlaced(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	// principal search without identity source: the forum question's fault
	_, err := e.client.SearchPrincipals(ctx, rsa.PrincipalQuery{Login: "jdoe"})
	var f *rsa.Fault
	if !errors.As(err, &f) || f.Class != amproto.ExDataNotFound || f.Message != amproto.MsgIdentitySourceGuidNotSpecified {
		t.Fatalf("want the seed's DataNotFoundException, got %v", err)
	}
	if !errors.Is(err, rsa.ErrNotFound) || !strings.Contains(f.Explain(), "assign the token") {
		t.Fatalf("kind/explain wrong: %v / %q", err, f.Explain())
	}
	// generate with an empty token guid: the same fault
	if _, err := e.client.GenerateEmergencyAccessCode(ctx, ""); !errors.As(err, &f) || f.Message != amproto.MsgIdentitySourceGuidNotSpecified {
		t.Fatalf("empty guid: %v", err)
	}
	// generate for an unassigned (pool) token: the same fault
	pool := e.ds.Tokens[len(e.ds.Tokens)-1]
	tok, err := e.client.LookupToken(ctx, rsa.TokenRef{Serial: pool.Serial})
	if err != nil || tok.Assigned() {
		t.Fatalf("pool token: %+v %v", tok, err)
	}
	if _, err := e.client.GenerateEmergencyAccessCode(ctx, tok.GUID); !errors.As(err, &f) || f.Message != amproto.MsgIdentitySourceGuidNotSpecified {
		t.Fatalf("unassigned token: %v", err)
	}
	// unknown guid: a token-not-found DataNotFoundException
	_, err = e.client.GenerateEmergencyAccessCode(ctx, "0123456789abcdef0123456789abcdef")
	if !errors.As(err, &f) || !strings.Contains(f.Message, "not found") {
		t.Fatalf("unknown guid: %v", err)
	}
}

func TestTokensListLookupLinkEnable(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	alice := e.principal(t, "asmith")
	toks, err := e.client.ListTokensByPrincipal(ctx, alice.GUID)
	if err != nil || len(toks) != 2 || toks[0].AssignedUser != "asmith" || toks[0].Algorithm != "AES-TIME" {
		t.Fatalf("alice's tokens = %+v %v", toks, err)
	}
	none, err := e.client.ListTokensByPrincipal(ctx, e.principal(t, "fnotoken").GUID)
	if err != nil || len(none) != 0 {
		t.Fatalf("no tokens should be an empty list: %+v %v", none, err)
	}
	// AM's answer for a person without tokens is not published: an empty
	// list reads the same as DataNotFoundException
	empty := newEnv(t, amsim.Options{NoTokensAsEmptyList: true})
	if none, err := empty.client.ListTokensByPrincipal(ctx, empty.principal(t, "fnotoken").GUID); err != nil || none == nil || len(none) != 0 {
		t.Fatalf("an empty list: %+v %v", none, err)
	}
	// AM answers DataNotFound for an unknown principal too; like RSA's sample the
	// typed call cannot tell the two apart (principals are resolved before this)
	if l, err := e.client.ListTokensByPrincipal(ctx, "ffffffffffffffffffffffffffffffff"); err != nil || len(l) != 0 {
		t.Fatalf("unknown principal: %v %v", l, err)
	}
	full, err := e.client.LookupToken(ctx, rsa.TokenRef{GUID: toks[0].GUID})
	if err != nil || full.Serial != toks[0].Serial || full.AssignedUserID != "asmith" || full.PrincipalGUID != alice.GUID || full.CodeLength != 6 { // a key fob: 6 digits (demo.TokenDisplay)
		t.Fatalf("lookup by guid = %+v %v", full, err)
	}
	if _, err := e.client.LookupToken(ctx, rsa.TokenRef{Serial: "999999999999"}); !errors.Is(err, rsa.ErrNotFound) {
		t.Fatalf("unknown serial: %v", err)
	}
	// link an assigned token to someone else: InvalidArgumentException, nothing changes
	fatima := e.principal(t, "fnotoken")
	err = e.client.LinkTokens(ctx, fatima.GUID, full.GUID)
	if !errors.Is(err, rsa.ErrInvalidArgument) || !strings.Contains(err.Error(), "already assigned to asmith") {
		t.Fatalf("link assigned token: %v", err)
	}
	// link a pool token: assigned and enabled
	pool := e.ds.Tokens[len(e.ds.Tokens)-1]
	ptok, _ := e.client.LookupToken(ctx, rsa.TokenRef{Serial: pool.Serial})
	if err := e.client.LinkTokens(ctx, fatima.GUID, ptok.GUID); err != nil {
		t.Fatal(err)
	}
	after, _ := e.client.LookupToken(ctx, rsa.TokenRef{Serial: pool.Serial})
	if after.AssignedUserID != "fnotoken" || !after.Enabled || after.RowVersion <= ptok.RowVersion {
		t.Fatalf("after link = %+v", after)
	}
	if err := e.client.EnableTokens(ctx, false, ptok.GUID); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sim.Token(pool.Serial); st.Enabled {
		t.Fatal("disable did not stick")
	}
	if err := e.client.UnlinkTokens(ctx, ptok.GUID); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sim.Token(pool.Serial); st.Owner != "" {
		t.Fatal("unlink did not stick")
	}
	if err := e.client.UnlinkTokens(ctx, ptok.GUID); !errors.Is(err, rsa.ErrInvalidArgument) {
		t.Fatalf("unlink unassigned: %v", err)
	}
}

func TestEmergencyAccessTemporaryFixedCode(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	tok := e.token(t, "jdoe", 0)
	ea, err := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	if err != nil || ea.TokenGUID != tok.GUID || ea.Serial != tok.Serial || ea.Active() {
		t.Fatalf("initial EA = %+v %v", ea, err)
	}
	code, err := e.client.GenerateEmergencyAccessCode(ctx, tok.GUID)
	if err != nil || len(code.Reveal()) != 8 {
		t.Fatalf("code %v %v", code, err)
	}
	ea.Lost, ea.Mode, ea.LostMode = true, rsa.EAFixedCode, rsa.IfAvailableAllowAndEnd
	ea.TemporaryFixedTokencode = code
	ea.Expiration = testNow.Add(14 * 24 * time.Hour)
	ea.ValidOnlineData, ea.ClearUnusedCodes = true, true
	if err := e.client.UpdateEmergencyAccess(ctx, ea); err != nil {
		t.Fatal(err)
	}
	back, err := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	if err != nil || !back.Active() || back.Mode != rsa.EAFixedCode || back.LostMode != rsa.IfAvailableAllowAndEnd ||
		!back.Expiration.Equal(ea.Expiration) || back.TemporaryFixedTokencode != code {
		t.Fatalf("after update = %+v %v", back, err)
	}
	// beyond the 14-day maximum lifetime: refused, state unchanged
	bad := back
	bad.Expiration = testNow.Add(15 * 24 * time.Hour)
	err = e.client.UpdateEmergencyAccess(ctx, bad)
	if !errors.Is(err, rsa.ErrInvalidArgument) || !strings.Contains(err.Error(), "maximum lifetime of 14 days") {
		t.Fatalf("15 days: %v", err)
	}
	bad.Expiration = testNow.Add(-time.Hour)
	if err := e.client.UpdateEmergencyAccess(ctx, bad); !errors.Is(err, rsa.ErrInvalidArgument) || !strings.Contains(err.Error(), "in the past") {
		t.Fatalf("past: %v", err)
	}
	bad.Expiration = testNow.Add(time.Hour)
	for _, c := range []string{"1234567", "12345678", "abcd-123", "abcdefgh1"} {
		bad.TemporaryFixedTokencode = rsa.Secret(c)
		if err := e.client.UpdateEmergencyAccess(ctx, bad); !errors.Is(err, rsa.ErrInvalidArgument) {
			t.Fatalf("code %q accepted: %v", c, err)
		}
	}
	if st, _ := e.sim.Token(tok.Serial); st.TFT != code.Reveal() || !st.EAExpiration.Equal(ea.Expiration) {
		t.Fatalf("a refused update changed the token: %+v", st)
	}
	// end emergency access
	back.Lost, back.Mode = false, rsa.EAOff
	if err := e.client.UpdateEmergencyAccess(ctx, back); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sim.Token(tok.Serial); st.Lost || st.TFT != "" || st.EAMode != 0 {
		t.Fatalf("EA not cleared: %+v", st)
	}
}

func TestEmergencyAccessOneTimeCodesAndRefusals(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	tok := e.token(t, "cmueller", 0)
	codes, err := e.client.GenerateOneTimeCodes(ctx, tok.GUID, 5)
	if err != nil || len(codes) != 5 {
		t.Fatalf("codes %v %v", len(codes), err)
	}
	if _, err := e.client.GenerateOneTimeCodes(ctx, tok.GUID, 0); !errors.Is(err, rsa.ErrInvalidArgument) {
		t.Fatalf("setSize 0: %v", err)
	}
	ea, _ := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	ea.Lost, ea.Mode, ea.LostMode, ea.OneTimeCodes, ea.ClearUnusedCodes = true, rsa.EAOneTimeCodes, rsa.IfAvailableDeny, codes, true
	ea.Expiration = testNow.Add(2 * 24 * time.Hour)
	if err := e.client.UpdateEmergencyAccess(ctx, ea); err != nil {
		t.Fatal(err)
	}
	back, _ := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	if back.NumUnusedCodes != 5 || back.OneTimeCodes != nil || back.Mode != rsa.EAOneTimeCodes {
		t.Fatalf("OTT state = %+v (codes must never be readable back)", back)
	}
	// expired token (eolsen): generate and update refused
	exp := e.token(t, "eolsen", 0)
	if _, err := e.client.GenerateEmergencyAccessCode(ctx, exp.GUID); !errors.Is(err, rsa.ErrInvalidArgument) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token generate: %v", err)
	}
	xea, _ := e.client.LookupEmergencyAccess(ctx, exp.GUID)
	xea.Lost, xea.Mode, xea.LostMode, xea.TemporaryFixedTokencode = true, rsa.EAFixedCode, rsa.IfAvailableAllowAndEnd, "abcd2345"
	if err := e.client.UpdateEmergencyAccess(ctx, xea); !errors.Is(err, rsa.ErrInvalidArgument) {
		t.Fatalf("expired token update: %v", err)
	}
	// bad enum values
	xea = back
	xea.LostMode = 7
	if err := e.client.UpdateEmergencyAccess(ctx, xea); !errors.Is(err, rsa.ErrInvalidArgument) {
		t.Fatalf("lostMode 7: %v", err)
	}
}

func TestSessionReuseExpiryAndRetryPolicy(t *testing.T) {
	e := newEnv(t, amsim.Options{IdleTimeout: time.Minute})
	ctx := context.Background()
	tok := e.token(t, "jdoe", 0)
	before := e.client.Stats()
	for i := 0; i < 5; i++ {
		if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
			t.Fatal(err)
		}
	}
	after := e.client.Stats()
	if after.RoundTrips-before.RoundTrips != 5 || after.Logins != 1 {
		t.Fatalf("want 5 round trips and 1 login, got %+v -> %+v", before, after)
	}
	// idle timeout: a read-only command logs in again and succeeds
	e.clock.Add(2 * time.Minute)
	if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
		t.Fatalf("read after expiry: %v", err)
	}
	if s := e.client.Stats(); s.Logins != 2 {
		t.Fatalf("logins = %d", s.Logins)
	}
	// a write after expiry is NOT resent: it fails with a session error, the
	// client is logged in again, and the token is unchanged
	e.sim.ExpireSessions()
	err := e.client.EnableTokens(ctx, false, tok.GUID)
	if !errors.Is(err, rsa.ErrInvalidSession) {
		t.Fatalf("write after expiry: %v", err)
	}
	if st, _ := e.sim.Token(tok.Serial); !st.Enabled {
		t.Fatal("write was applied although it failed")
	}
	if e.sim.Stats().Commands["EnableTokensCommand"] != 1 {
		t.Fatalf("write sent %d times", e.sim.Stats().Commands["EnableTokensCommand"])
	}
	if err := e.client.EnableTokens(ctx, false, tok.GUID); err != nil {
		t.Fatalf("retry by caller after re-login: %v", err)
	}
	if err := e.client.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if e.sim.Stats().Commands["LogoutCommand"] != 1 {
		t.Fatal("no logout sent")
	}
}

func TestLoginFailures(t *testing.T) {
	for _, asFault := range []bool{false, true} {
		e := newEnv(t, amsim.Options{LoginFailureAsFault: asFault}, func(c *rsa.Config) { c.AdminPassword = "wrong" })
		err := e.client.Login(context.Background())
		if !errors.Is(err, rsa.ErrAccessDenied) {
			t.Fatalf("asFault=%v: %v", asFault, err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Fatal("password in error")
		}
	}
	e := newEnv(t, amsim.Options{}, func(c *rsa.Config) { c.CommandClientPassword = "nope" })
	if err := e.client.Login(context.Background()); !errors.Is(err, rsa.ErrCommandClientAuth) {
		t.Fatalf("bad command client: %v", err)
	}
	ro := newEnv(t, amsim.Options{}, func(c *rsa.Config) { c.AdminUser, c.AdminPassword = demo.HelpdeskUser, demo.HelpdeskPassword })
	tok := ro.token(t, "jdoe", 0)
	if err := ro.client.EnableTokens(context.Background(), false, tok.GUID); !errors.Is(err, rsa.ErrInsufficientPrivilege) {
		t.Fatalf("read-only admin write: %v", err)
	}
}

func TestInlineRepliesDecodeToo(t *testing.T) {
	e := newEnv(t, amsim.Options{Inline: true})
	tok := e.token(t, "asmith", 1)
	if tok.TokenType != rsa.TokenTypeSoftID {
		t.Fatalf("token = %+v", tok)
	}
}

func rsaRef(serial string) rsa.TokenRef { return rsa.TokenRef{Serial: serial} }

// sessionOf logs in with a second client and returns its session id, for
// benchmarks that post raw envelopes.
func sessionOf(t testing.TB, e *env) string {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport, seen: map[string][]byte{}}
	user, pw := e.sim.CommandClient()
	c, err := rsa.New(rsa.Config{URL: e.srv.URL, AllowPlainHTTP: true, CommandClientUser: user, CommandClientPassword: rsa.Secret(pw),
		AdminUser: demo.AdminUser, AdminPassword: demo.AdminPassword, Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetIdentitySources(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := string(rec.seen["GetIdentitySourcesCommand"])
	i := strings.Index(body, `xsi:type="xsd:string">`) + len(`xsi:type="xsd:string">`)
	return body[i : i+strings.Index(body[i:], "<")]
}

// TestClientPrintsNoSecrets: a Client printed by mistake (a debug line, a
// panic message) shows neither password nor the Basic credentials built from
// them.
func TestClientPrintsNoSecrets(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	user, pw := e.sim.CommandClient()
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
	withURLPassword, err := rsa.New(rsa.Config{URL: "https://svc:url-secret@am.example.com:7002"})
	if err != nil {
		t.Fatal(err)
	}
	if out := fmt.Sprint(withURLPassword); strings.Contains(out, "url-secret") || !strings.Contains(out, "am.example.com") {
		t.Fatalf("a Client whose URL holds a password prints %s", out)
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(format, e.client)
		for _, secret := range []string{pw, basic, demo.AdminPassword} {
			if strings.Contains(out, secret) {
				t.Fatalf("%s of a Client shows a secret: %s", format, out)
			}
		}
	}
}
