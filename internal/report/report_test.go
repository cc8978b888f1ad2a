package report_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/adtest"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/report"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// leavers are the serials whose holder the data set says left by now.
func leavers(ds *demo.Dataset, now time.Time) []string {
	left := map[string]bool{}
	for _, p := range ds.People {
		if p.Disabled || !p.AccountExpires.IsZero() && !p.AccountExpires.After(now) {
			left[p.Login] = true
		}
	}
	var out []string
	for _, t := range ds.Tokens {
		if left[t.Owner] {
			out = append(out, t.Serial)
		}
	}
	slices.Sort(out)
	return out
}

func serials(rows []report.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Serial
	}
	slices.Sort(out)
	return out
}

// TestLeaversAgainstTheEmbeddedDirectory: the tokens of people the
// directory has disabled or expired, and of someone AM knows and the
// directory does not, are listed with the reason; the directory is read
// in batches of logins, not once a token.
func TestLeaversAgainstTheEmbeddedDirectory(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 4, Users: 250})
	ctx := context.Background()
	// someone AM knows and AD does not (deleted there)
	src, _ := st.Sim.IdentitySourceGUID(demo.IdentitySourceName)
	guid, err := st.Sim.AddUser(src, amsim.User{Login: "gone.person", First: "Gone", Last: "Person", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sim.AddToken(amsim.Token{Serial: "000999000001", Type: amproto.TokenTypeKeyFob, Enabled: true, OwnerGUID: guid,
		Start: time.Now().Add(-time.Hour), Expires: time.Now().Add(365 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rows, stats, err := report.Run(ctx, st.Ops, st.Dir, report.Query{Kind: report.Leavers})
	if err != nil {
		t.Fatal(err)
	}
	want := append(leavers(st.DS, time.Now()), "000999000001")
	slices.Sort(want)
	if got := serials(rows); !slices.Equal(got, want) {
		t.Fatalf("leavers %v\nwant %v", got, want)
	}
	for _, r := range rows {
		if r.Serial == "000999000001" && r.Why != "not in AD (deleted, or renamed)" || r.Holder == "bdisabled" && r.Why != "disabled in AD" {
			t.Errorf("%s (%s): %q", r.Serial, r.Holder, r.Why)
		}
	}
	people := map[string]bool{}
	for _, tk := range st.DS.Tokens {
		if tk.Owner != "" {
			people[tk.Owner] = true
		}
	}
	if want := (len(people) + 1 + ad.LoginsPerQuery - 1) / ad.LoginsPerQuery; stats.DirectoryQueries != want {
		t.Fatalf("%d directory queries for %d people, want %d (batches of %d)", stats.DirectoryQueries, len(people)+1, want, ad.LoginsPerQuery)
	}
	// idle: a holder AM has not seen for long is listed too
	rows, _, err = report.Run(ctx, st.Ops, st.Dir, report.Query{Kind: report.Leavers, Idle: time.Hour})
	if err != nil || len(rows) <= len(want) || !slices.ContainsFunc(rows, func(r report.Row) bool { return strings.HasPrefix(r.Why, "no login for") }) {
		t.Fatalf("idle an hour: %d rows (%v)", len(rows), err)
	}
}

func TestExpiringAndUnused(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 4, Users: 250})
	ctx := context.Background()
	now := time.Now()
	rows, _, err := report.Run(ctx, st.Ops, nil, report.Query{Kind: report.Expiring, Within: 90 * 24 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	expired := 0
	for _, tk := range st.DS.Tokens {
		if tk.Owner != "" && !tk.Expires.IsZero() && tk.Expires.Before(now.Add(90*24*time.Hour)) {
			want = append(want, tk.Serial)
			if tk.Expires.Before(now) {
				expired++
			}
		}
	}
	slices.Sort(want)
	if got := serials(rows); !slices.Equal(got, want) || expired == 0 {
		t.Fatalf("expiring %v\nwant %v (%d expired)", got, want, expired)
	}
	if !slices.IsSortedFunc(rows, func(a, b report.Row) int { return a.Expires.Compare(b.Expires) }) {
		t.Fatal("not soonest first")
	}
	for _, r := range rows {
		if r.Expired != strings.HasPrefix(r.Why, "EXPIRED") {
			t.Errorf("%s: expired %v, %q", r.Serial, r.Expired, r.Why)
		}
	}
	if _, _, err := report.Run(ctx, st.Ops, nil, report.Query{Kind: report.Leavers}); err == nil {
		t.Fatal("leavers without a directory")
	}
	rows, _, err = report.Run(ctx, st.Ops, nil, report.Query{Kind: report.Unused})
	if err != nil {
		t.Fatal(err)
	}
	want = nil
	for _, tk := range st.DS.Tokens {
		if tk.Owner != "" && tk.LastLogin.IsZero() {
			want = append(want, tk.Serial)
		}
	}
	slices.Sort(want)
	if got := serials(rows); !slices.Equal(got, want) {
		t.Fatalf("unused %v\nwant %v", got, want)
	}
}

// TestLeaversAgainstSambaAD: AM (the simulator) holds the data set Samba
// AD was loaded with; the report lists the tokens of the people Samba has
// disabled or expired — and of a person disabled in Samba during the test
// (then enabled again), so what is read is the directory, not the data set.
func TestLeaversAgainstSambaAD(t *testing.T) {
	cfg := adtest.Config(t)
	seed, _ := strconv.ParseUint(os.Getenv("RSATUI_AD_SEED"), 10, 64)
	users, _ := strconv.Atoi(os.Getenv("RSATUI_AD_USERS"))
	st := stacktest.Start(t, stack.Options{Seed: seed, Users: users})
	dir, err := ad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dir.Close() })
	ctx := context.Background()

	// a generated person with one token, enabled everywhere: disabled now
	var victim demo.Person
	for _, p := range st.DS.People {
		ts := st.DS.TokensOf(p.Login)
		if strings.HasSuffix(p.Login, "2") && !p.Disabled && p.AccountExpires.IsZero() && len(ts) == 1 {
			victim = p
			break
		}
	}
	if victim.Login == "" {
		t.Fatal("no person to disable in the data set")
	}
	admin := adminConn(t, cfg)
	u, err := dir.Lookup(ctx, victim.Login)
	if err != nil {
		t.Fatal(err)
	}
	dn := u.DN
	setUAC := func(v string) {
		m := ldap.NewModifyRequest(dn, nil)
		m.Replace("userAccountControl", []string{v})
		if err := admin.Modify(m); err != nil {
			t.Fatalf("userAccountControl of %s: %v", dn, err)
		}
	}
	setUAC("514") // NORMAL_ACCOUNT | ACCOUNTDISABLE
	t.Cleanup(func() { setUAC("512") })

	rows, stats, err := report.Run(ctx, st.Ops, dir, report.Query{Kind: report.Leavers})
	if err != nil {
		t.Fatal(err)
	}
	want := append(leavers(st.DS, time.Now()), st.DS.TokensOf(victim.Login)...)
	slices.Sort(want)
	if got := serials(rows); !slices.Equal(got, want) {
		t.Fatalf("leavers from Samba %v\nwant %v", got, want)
	}
	t.Logf("%d tokens read, %d leavers' tokens, %d directory queries", stats.Tokens, len(rows), stats.DirectoryQueries)
}

func adminConn(t *testing.T, cfg ad.Config) *ldap.Conn {
	t.Helper()
	pw, err := os.ReadFile(os.Getenv("RSATUI_AD_ADMIN_PASSWORD_FILE"))
	if err != nil {
		t.Fatalf("the directory's administrator password (RSATUI_AD_ADMIN_PASSWORD_FILE, written by .ci/ad-server): %v", err)
	}
	conn, err := ldap.DialURL(cfg.URL, ldap.DialWithTLSConfig(adtest.TLS(t, cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Bind("CN=Administrator,CN=Users,DC=corp,DC=example", strings.TrimSpace(string(pw))); err != nil {
		t.Fatal(err)
	}
	return conn
}
