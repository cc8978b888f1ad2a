package ad_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/ldapsim"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/secret"
)

// directory is where a suite runs: the embedded one, or the real AD from .ci/run.
type directory struct {
	name        string
	ldapsURL    string
	startTLSURL string
	bindDN      string
	bindUPN     string
	password    string
	caFile      string
	ds          *demo.Dataset
	sim         *ldapsim.Dir // nil for the real directory
}

const testSeed, testUsers = 11, 60

func embedded(t *testing.T, opt ldapsim.Options) *directory {
	t.Helper()
	ds := demo.Generate(testSeed, testUsers, time.Now())
	d, err := ldapsim.Start(ds.Directory(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, d.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &directory{name: "embedded", ldapsURL: d.URL(), startTLSURL: d.StartTLSURL(), bindDN: ds.ServiceDN(),
		bindUPN: ds.ServiceUPN(), password: demo.ServicePassword, caFile: ca, ds: ds, sim: d}
}

// real is the Samba AD that .ci/run starts, loaded with the same data set.
func real(t *testing.T) *directory {
	t.Helper()
	url := os.Getenv("RSATUI_AD_URL")
	if url == "" {
		if os.Getenv("RSATUI_REQUIRE_AD") == "1" {
			t.Fatal("RSATUI_REQUIRE_AD=1 but RSATUI_AD_URL is not set")
		}
		t.Skip("skipped: no real directory (RSATUI_AD_URL unset); .ci/run starts Samba AD and sets it")
	}
	pw, err := os.ReadFile(os.Getenv("RSATUI_AD_PASSWORD_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(os.Getenv("RSATUI_AD_SEED"), 10, 64)
	users, _ := strconv.Atoi(os.Getenv("RSATUI_AD_USERS"))
	ds := demo.Generate(seed, users, time.Now())
	return &directory{name: "samba", ldapsURL: url, startTLSURL: os.Getenv("RSATUI_AD_STARTTLS_URL"),
		bindDN: ds.ServiceDN(), bindUPN: ds.ServiceUPN(), password: strings.TrimSpace(string(pw)),
		caFile: os.Getenv("RSATUI_AD_CA_FILE"), ds: ds}
}

func (d *directory) client(t testing.TB, mutate ...func(*ad.Config)) *ad.Client {
	t.Helper()
	cfg := ad.Config{URL: d.ldapsURL, BindUser: d.bindDN, BindPassword: secret.Secret(d.password), CAFile: d.caFile,
		BaseDN: "OU=People," + d.ds.BaseDN, PageSize: 25, ConnectTimeout: 5 * time.Second, RequestTimeout: 20 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := ad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func collect(t testing.TB, c *ad.Client, q string) ([]ad.User, error) {
	t.Helper()
	var all []ad.User
	err := c.Search(context.Background(), q, 0, func(p []ad.User) error {
		all = append(all, p...)
		return nil
	})
	return all, err
}

// expected computes, from the data set, who a search text must find.
func expected(ds *demo.Dataset, q string) []string {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []string
	for _, p := range ds.People {
		for _, v := range []string{p.Login, p.UPN, p.DisplayName, p.GivenName, p.Surname, p.Mail} {
			if strings.HasPrefix(strings.ToLower(v), q) {
				out = append(out, p.Login)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func logins(us []ad.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Login
	}
	sort.Strings(out)
	return out
}

func suite(t *testing.T, d *directory) {
	t.Run("fixture people and their attributes", func(t *testing.T) {
		c := d.client(t)
		u, err := c.Lookup(context.Background(), "jdoe")
		if err != nil {
			t.Fatal(err)
		}
		if u.DisplayName != "John Doe" || u.Mail != "john.doe@corp.example" || u.UPN != "jdoe@corp.example" ||
			u.Department != "Finance" || u.Disabled || u.Locked || len(u.GUID) != 36 || !contains(u.Groups, "SecurID Users") {
			t.Fatalf("jdoe = %+v", u)
		}
		if b, _ := c.Lookup(context.Background(), "bdisabled"); !b.Disabled {
			t.Fatalf("bdisabled not disabled: %+v", b)
		}
		if l, _ := c.Lookup(context.Background(), "dobrien"); !l.Locked || l.Surname != "O'Brien" {
			t.Fatalf("dobrien not locked: %+v", l)
		}
		if m, _ := c.Lookup(context.Background(), "cmueller"); m.Surname != "Müller" {
			t.Fatalf("cmueller = %+v", m)
		}
		if _, err := c.Lookup(context.Background(), "nosuchuser"); !errors.Is(err, ad.ErrNotFound) {
			t.Fatalf("unknown login: %v", err)
		}
	})
	t.Run("Lookup reads the account's expiry and password state, the search does not", func(t *testing.T) {
		c := d.client(t)
		ctx := context.Background()
		u, err := c.Lookup(ctx, "jdoe")
		if err != nil || !u.Detailed || u.PasswordExpired || u.MustChangePassword || !u.AccountExpires.IsZero() || u.Changed.IsZero() || u.PasswordLastSet.IsZero() {
			t.Fatalf("jdoe: %v %+v", err, u)
		}
		if l, _ := c.Lookup(ctx, "dobrien"); !l.Locked || l.LockedAt.IsZero() {
			t.Fatalf("dobrien: %+v", l)
		}
		var must, expired *demo.Person
		for i := range d.ds.People {
			p := &d.ds.People[i]
			if p.MustChangePassword && must == nil {
				must = p
			}
			if !p.AccountExpires.IsZero() && p.AccountExpires.Before(time.Now()) && expired == nil {
				expired = p
			}
		}
		if must == nil || expired == nil {
			t.Fatal("the data set has no one who must change the password, or whose account expired")
		}
		if m, err := c.Lookup(ctx, must.Login); err != nil || !m.MustChangePassword || !m.PasswordExpired {
			t.Fatalf("%s must change the password: %v %+v", must.Login, err, m)
		}
		if e, err := c.Lookup(ctx, expired.Login); err != nil || e.AccountExpires.Sub(expired.AccountExpires).Abs() > 24*time.Hour {
			t.Fatalf("%s's account expired on %s: %v %+v", expired.Login, expired.AccountExpires, err, e)
		}
		found, err := collect(t, c, "jdoe")
		if err != nil || len(found) != 1 || found[0].Detailed {
			t.Fatalf("the search: %v %+v", err, found)
		}
	})
	t.Run("the first page is a screenful, the next ones full pages, and nobody twice", func(t *testing.T) {
		c := d.client(t) // page size 25
		var sizes []int
		seen := map[string]bool{}
		err := c.Search(context.Background(), "", 7, func(p []ad.User) error {
			sizes = append(sizes, len(p))
			for _, u := range p {
				if seen[u.DN] {
					t.Fatalf("%s came twice", u.DN)
				}
				seen[u.DN] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(sizes) < 3 || sizes[0] != 7 || sizes[1] != 25 {
			t.Fatalf("page sizes %v: want 7, then 25s", sizes)
		}
		if want := len(expected(d.ds, "")); len(seen) != want {
			t.Fatalf("%d people, want %d", len(seen), want)
		}
	})
	t.Run("prefix search matches exactly the expected people, page by page", func(t *testing.T) {
		c := d.client(t)
		for _, q := range []string{"a", "J", "john d", "Mül", "finance", "o'b", "carol.mu", "zz-nobody"} {
			var got []ad.User
			err := c.Search(context.Background(), q, 0, func(p []ad.User) error {
				if len(p) > 25 {
					t.Fatalf("a page of %d > page size 25", len(p))
				}
				got = append(got, p...)
				return nil
			})
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			if g, w := logins(got), expected(d.ds, q); strings.Join(g, ",") != strings.Join(w, ",") {
				t.Fatalf("%q: got %d %v\nwant %d %v", q, len(g), g, len(w), w)
			}
		}
		all, err := collect(t, c, "")
		if err != nil || len(all) != len(d.ds.People) {
			t.Fatalf("everyone: %d of %d, %v", len(all), len(d.ds.People), err)
		}
	})
	t.Run("hostile search text is searched literally", func(t *testing.T) {
		c := d.client(t)
		for _, q := range []string{"*", "*)(uid=*", "*)(|(objectClass=*", `\`, "\xff\xfe", "a\xffb", "(", "jdoe)(", "jdoe*", strings.Repeat("x", ad.MaxQueryLen)} {
			got, err := collect(t, c, q)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			if len(got) != 0 {
				t.Fatalf("%q matched %v: the text was not escaped", q, logins(got))
			}
		}
		if _, err := collect(t, c, strings.Repeat("x", 10000)); !errors.Is(err, ad.ErrQueryTooLong) {
			t.Fatalf("10,000 characters: %v", err)
		}
		// Samba ends a filter value at an escaped NUL: such text is refused, clearly
		for _, q := range []string{"a\x00b", "jdoe\x00", "a\tb"} {
			if _, err := collect(t, c, q); !errors.Is(err, ad.ErrInvalidQuery) || !strings.Contains(err.Error(), "control character") {
				t.Fatalf("%q: %v", q, err)
			}
		}
	})
	t.Run("StartTLS and UPN bind", func(t *testing.T) {
		if d.startTLSURL == "" {
			t.Skip("no StartTLS URL")
		}
		c := d.client(t, func(cfg *ad.Config) { cfg.URL, cfg.BindUser = d.startTLSURL, d.bindUPN })
		u, err := c.Lookup(context.Background(), "asmith")
		if err != nil || u.GivenName != "Alice" {
			t.Fatalf("%+v %v", u, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := d.client(t, func(cfg *ad.Config) { cfg.BindPassword = "not-it" })
		_, err := collect(t, c, "a")
		if !errors.Is(err, ad.ErrBadCredentials) || !strings.Contains(err.Error(), "wrong password") || strings.Contains(err.Error(), "not-it") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("certificate problems are named", func(t *testing.T) {
		c := d.client(t, func(cfg *ad.Config) { cfg.CAFile = "" })
		if _, err := collect(t, c, "a"); !errors.Is(err, ad.ErrTLS) || !strings.Contains(err.Error(), "unknown authority") {
			t.Fatalf("no CA: %v", err)
		}
		c = d.client(t, func(cfg *ad.Config) { cfg.ServerName = "wrong.example" })
		if _, err := collect(t, c, "a"); !errors.Is(err, ad.ErrTLS) || !strings.Contains(err.Error(), "not wrong.example") {
			t.Fatalf("wrong name: %v", err)
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestEmbeddedDirectory(t *testing.T) { suite(t, embedded(t, ldapsim.Options{})) }

func TestRealDirectory(t *testing.T) { suite(t, real(t)) }

func TestUnreachableAndConfig(t *testing.T) {
	c, err := ad.New(ad.Config{URL: "ldaps://127.0.0.1:1", BindUser: "x", ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, c, "a"); !errors.Is(err, ad.ErrUnreachable) {
		t.Fatalf("%v", err)
	}
	for _, cfg := range []ad.Config{{URL: "http://x", BindUser: "u"}, {URL: "ldaps://", BindUser: "u"},
		{URL: "ldaps://x"}, {URL: "ldaps://x", BindUser: "u", PageSize: 5000}, {URL: "ldaps://x", BindUser: "u", CAFile: "/nope"}} {
		if _, err := ad.New(cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
}

func TestCancelReturnsPromptlyAndAbandonsCursor(t *testing.T) {
	d := embedded(t, ldapsim.Options{Delay: 150 * time.Millisecond})
	c := d.client(t, func(cfg *ad.Config) { cfg.PageSize = 5 })
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan time.Time, 1)
	err := c.Search(ctx, "", 0, func(p []ad.User) error {
		// cancel once the server has the request for the next page (it
		// holds each for 150 ms): a search in flight, not one about to start
		asked, _, _ := d.sim.Stats()
		go func() {
			_ = d.sim.WaitStats(context.Background(), func(searches, _, _ int) bool { return searches > asked })
			cancelled <- time.Now()
			cancel()
		}()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancelled, got %v", err)
	}
	// the 50 ms target is measured by BenchmarkCancel; here only "promptly",
	// with room for -race on a busy 2-core machine
	if took := time.Since(<-cancelled); took > time.Second {
		t.Fatalf("returned %v after cancel", took)
	}
	waitAbandoned(t, d)
}

// waitAbandoned waits for the server to be told to drop a paging cursor.
func waitAbandoned(t *testing.T, d *directory) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.sim.WaitStats(ctx, func(_, _, abandons int) bool { return abandons > 0 }); err != nil {
		t.Fatal("the server-side paging cursor was not abandoned")
	}
}

func TestStopEarlyAbandonsCursor(t *testing.T) {
	d := embedded(t, ldapsim.Options{})
	c := d.client(t, func(cfg *ad.Config) { cfg.PageSize = 5 })
	stop := errors.New("enough")
	pages := 0
	err := c.Search(context.Background(), "", 0, func(p []ad.User) error { pages++; return stop })
	if !errors.Is(err, stop) || pages != 1 {
		t.Fatalf("err %v after %d pages", err, pages)
	}
	waitAbandoned(t, d)
	if _, _, abandons := d.sim.Stats(); abandons != 1 {
		t.Fatalf("abandons = %d", abandons)
	}
}

func TestReconnectsAfterDrop(t *testing.T) {
	d := embedded(t, ldapsim.Options{})
	c := d.client(t)
	if _, err := c.Lookup(context.Background(), "jdoe"); err != nil {
		t.Fatal(err)
	}
	ad.DropConnection(c)
	if _, err := c.Lookup(context.Background(), "jdoe"); err != nil {
		t.Fatalf("after a dropped connection: %v", err)
	}
}

func TestGUIDMatchesDataSet(t *testing.T) {
	d := embedded(t, ldapsim.Options{})
	c := d.client(t)
	u, err := c.Lookup(context.Background(), "asmith")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.ds.Person("asmith")
	if want := ad.GUIDString(demo.ADGUIDBytes(p.GUID)); u.GUID != want || want[14] != '4' {
		t.Fatalf("GUID %s, want %s (version nibble 4 in canonical order)", u.GUID, want)
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{"", "a", "*)(uid=*", `\`, "\x00", "\xff", "john doe", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		filter, err := ad.Filter(q)
		if err != nil {
			if !errors.Is(err, ad.ErrQueryTooLong) && !errors.Is(err, ad.ErrInvalidQuery) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		p, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("%q gives an invalid filter %q: %v", q, filter, err)
		}
		// the typed text can only ever be the initial part of a substring
		// assertion: no extra clauses, no wildcards of its own
		if n := len(p.Children); n != 2 && n != 3 {
			t.Fatalf("%q changed the filter structure: %q", q, filter)
		}
	})
}

func TestFirstRDNAndGUID(t *testing.T) {
	if g := ad.GUIDString([]byte{1, 2, 3}); g != "" {
		t.Fatalf("short GUID gave %q", g)
	}
	b := []byte{0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8}
	if g := ad.GUIDString(b); g != "12345678-1234-5678-0102-030405060708" {
		t.Fatalf("GUID %s", g)
	}
}

func TestFirstRDN(t *testing.T) {
	for dn, want := range map[string]string{
		"CN=SecurID Users,OU=Groups,DC=corp,DC=example": "SecurID Users",
		`CN=Smith\, John,OU=Groups,DC=corp,DC=example`:  "Smith, John",
		"CN=Solo":       "Solo",
		"not a dn":      "",
		`CN=a\2Cb,OU=x`: "a,b",
	} {
		if got := ad.FirstRDN(dn); got != want {
			t.Errorf("%q: got %q, want %q", dn, got, want)
		}
	}
}

// The shared connection runs at most MaxConcurrent searches: one more waits
// for a slot, and says plainly why when its time runs out while waiting.
func TestConcurrentSearchesAreBounded(t *testing.T) {
	c := embedded(t, ldapsim.Options{}).client(t, func(cfg *ad.Config) { cfg.MaxConcurrent = 1 })
	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.Search(context.Background(), "", 0, func([]ad.User) error {
			select {
			case holding <- struct{}{}:
			default:
			}
			<-release
			return nil
		})
	}()
	<-holding
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lookup(ctx, "jdoe"); !errors.Is(err, ad.ErrLimit) || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("second search while the only slot is taken: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if u, err := c.Lookup(context.Background(), "jdoe"); err != nil || u.Login != "jdoe" {
		t.Fatalf("after the slot freed: %+v %v", u, err)
	}
}

// TestClientPrintsNoPassword: a Client printed by mistake does not show the
// bind password.
func TestClientPrintsNoPassword(t *testing.T) {
	const pw = "Bind-Secret-123"
	c, err := ad.New(ad.Config{URL: "ldaps://dc.example.com", BindUser: "svc@example.com", BindPassword: secret.Secret(pw)})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(format, c); strings.Contains(out, pw) || !strings.Contains(out, "dc.example.com") {
			t.Fatalf("%s of a Client: %s", format, out)
		}
	}
}
