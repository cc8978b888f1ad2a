package ui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/go-ldap/ldap/v3"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/adtest"
)

// runtime is the smallest bubbletea loop: it runs a model's commands in
// goroutines and hands their messages back, so a benchmark can time the
// console's own path from a key to a frame (spinner ticks are dropped: they
// only animate).
type runtime struct{ msgs chan tea.Msg }

func (r *runtime) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		switch msg := cmd().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				r.run(c)
			}
		default:
			r.msgs <- msg
		}
	}()
}

// next is the next message, or a failure: a benchmark never waits forever.
func (r *runtime) next(b *testing.B) tea.Msg {
	b.Helper()
	select {
	case msg := <-r.msgs:
		return msg
	case <-time.After(30 * time.Second):
		b.Fatal("no message from the console in 30 s")
		return nil
	}
}

func (r *runtime) update(m Model, msg tea.Msg) Model {
	mm, cmd := m.Update(msg)
	r.run(cmd)
	return mm.(Model)
}

// BenchmarkPeopleSearchFirstScreen needs the real directory with 20,000
// people (bench/ad-search.sh): a person types a search, a key every 40 ms;
// timed is the wait from the last key until the console has the first
// screen of rows of that search and draws it ("first-screen"), beside, in
// the same run, one search of the same filter limited to one screen on a
// warm connection of its own ("floor"), and what the console did before
// this change: a 150 ms pause after the last key, then a first page of
// 500 ("before"). Target: first-screen ≤ 1.5 × floor. "pause-ms" is the
// wait the console chose from the directory's answer time (usersPane).
func BenchmarkPeopleSearchFirstScreen(b *testing.B) {
	dir, cfg := adtest.Client(b)
	floorConn := dialWarm(b, cfg)
	defer floorConn.Close()
	attrs := []string{"sAMAccountName", "userPrincipalName", "displayName", "givenName", "sn",
		"mail", "department", "title", "userAccountControl", "lockoutTime", "objectGUID", "memberOf"}

	for _, typed := range []string{"a", "smi", "jdo"} {
		b.Run("typed="+typed, func(b *testing.B) {
			filter, _ := ad.Filter(typed)
			var first, floor, before []time.Duration
			var rows int
			// the console, as it starts: everyone listed (which also tells it
			// how fast the directory answers)
			r := &runtime{msgs: make(chan tea.Msg, 64)}
			m := New(dir, nil, Info{Server: "am", IdentitySource: "AD", Admin: "admin"}, Options{NoColor: true})
			m = r.update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
			m = r.update(m, startSearch{})
			for m.people.answer == 0 {
				m = r.update(m, r.next(b))
			}
			m.people.stop()
			for b.Loop() {
				// / first, as a person does: the list has the focus, and
				// letters typed there are its commands (j moves down)
				m = r.update(m, tea.KeyPressMsg{Code: '/', Text: "/"})
				if !m.people.input.Focused() || m.people.input.Value() != "" {
					b.Fatalf("/ did not give an empty search box")
				}
				var t0 time.Time
				for i, k := range typed {
					m = r.update(m, tea.KeyPressMsg{Code: k, Text: string(k)})
					if i < len(typed)-1 {
						time.Sleep(40 * time.Millisecond) // the typist, not a synchronisation
					}
					t0 = time.Now()
				}
				for shown := false; !shown; {
					msg := r.next(b)
					m = r.update(m, msg)
					// (the search's seq is the console's latest: a pause
					// before it, if any, moved it on)
					if p, ok := msg.(searchPage); ok && p.seq == m.people.seq {
						_ = m.Render()
						first, rows, shown = append(first, time.Since(t0)), len(p.users), true
					}
					if d, ok := msg.(searchDone); ok && d.seq == m.people.seq {
						b.Fatalf("%q: no rows (%v)", typed, d.err)
					}
				}
				m.people.stop() // the rest of the stream is not timed
				// the floor: the same filter, one screen, a warm connection
				t1 := time.Now()
				res, err := floorConn.Search(ldap.NewSearchRequest(cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
					m.people.rows, 30, false, filter, attrs, nil))
				if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
					b.Fatal(err)
				}
				if res == nil || len(res.Entries) == 0 {
					b.Fatalf("floor: no entries (%v)", err)
				}
				floor = append(floor, time.Since(t1))
				// before: 150 ms after the last key, then a first page of 500
				t2 := time.Now()
				stop := errors.New("first page")
				if err := dir.Search(context.Background(), typed, 500, func([]ad.User) error { return stop }); !errors.Is(err, stop) {
					b.Fatal(err)
				}
				before = append(before, 150*time.Millisecond+time.Since(t2))
			}
			med := func(ds []time.Duration) float64 {
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				return float64(ds[len(ds)/2].Microseconds()) / 1000
			}
			f, fl, bf := med(first), med(floor), med(before)
			b.ReportMetric(f, "first-screen-ms")
			b.ReportMetric(fl, "floor-ms")
			b.ReportMetric(f/fl, "first/floor")
			b.ReportMetric(bf, "before-ms")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(min(m.people.answer/4, 150*time.Millisecond).Microseconds())/1000, "pause-ms")
		})
	}
}

func dialWarm(b *testing.B, cfg ad.Config) *ldap.Conn {
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := ldap.DialURL(cfg.URL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}))
	if err != nil {
		b.Fatal(err)
	}
	if strings.HasPrefix(cfg.URL, "ldap://") {
		if err := conn.StartTLS(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}); err != nil {
			b.Fatal(err)
		}
	}
	if err := conn.Bind(cfg.BindUser, string(cfg.BindPassword.Reveal())); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Search(ldap.NewSearchRequest(cfg.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 10, false,
		"(objectClass=*)", []string{"1.1"}, nil)); err != nil {
		b.Fatal(fmt.Errorf("warming the floor's connection: %w", err))
	}
	return conn
}
