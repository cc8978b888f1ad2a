package ad_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/adtest"
)

// These benchmarks need the real directory (bench/ad-search.sh loads 20,000
// people into Samba AD and runs them); without it they say so and skip.

func benchDirectory(b *testing.B) (*ad.Client, ad.Config) { return adtest.Client(b) }

var benchAttrs = []string{"sAMAccountName", "userPrincipalName", "displayName", "givenName", "sn",
	"mail", "department", "title", "userAccountControl", "lockoutTime", "objectGUID", "memberOf"}

// ldapsearchRun runs ldapsearch with the same filter, attributes and page
// size, timing the first entry and the end of output.
func ldapsearchRun(b *testing.B, cfg ad.Config, filter string) (first, all time.Duration, n int) {
	args := append([]string{"-LLL", "-x", "-H", cfg.URL, "-D", cfg.BindUser, "-y", os.Getenv("RSATUI_AD_PASSWORD_FILE"),
		"-b", cfg.BaseDN, "-E", "pr=500/noprompt", filter}, benchAttrs...)
	cmd := exec.Command("ldapsearch", args...)
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+cfg.CAFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "dn:") || strings.HasPrefix(sc.Text(), "dn::") {
			if n == 0 {
				first = time.Since(start)
			}
			n++
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("ldapsearch: %v", err)
	}
	return first, time.Since(start), n
}

// clientRun starts from nothing, as ldapsearch does: dial, TLS, bind, search.
func clientRun(b *testing.B, cfg ad.Config, query string) (first, all time.Duration, n int) {
	start := time.Now()
	c, err := ad.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	err = c.Search(context.Background(), query, 0, func(p []ad.User) error {
		if n == 0 {
			first = time.Since(start)
		}
		n += len(p)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return first, time.Since(start), n
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkSearchVsLdapsearch: prefix searches, rsatui's client and ldapsearch
// alternately, same filter, attributes and page size (500), each from a cold
// start (connect, TLS, bind). Target: client ≤ 1.2× ldapsearch.
func BenchmarkSearchVsLdapsearch(b *testing.B) {
	_, cfg := benchDirectory(b)
	for _, q := range []string{"", "a", "m"} {
		filter, _ := ad.Filter(q)
		name := q
		if name == "" {
			name = "everyone"
		}
		b.Run(name, func(b *testing.B) {
			var cf, ca, lf, la []time.Duration
			var cn, ln int
			// alternate which goes first: the second run of a pair meets a warmer server cache
			for i := 0; i < b.N; i++ {
				runClient := func() {
					f, a, n := clientRun(b, cfg, q)
					cf, ca, cn = append(cf, f), append(ca, a), n
				}
				runLdapsearch := func() {
					f, a, n := ldapsearchRun(b, cfg, filter)
					lf, la, ln = append(lf, f), append(la, a), n
				}
				if i%2 == 0 {
					runClient()
					runLdapsearch()
				} else {
					runLdapsearch()
					runClient()
				}
			}
			if cn != ln {
				b.Fatalf("client found %d, ldapsearch %d", cn, ln)
			}
			b.ReportMetric(float64(cn), "entries")
			b.ReportMetric(float64(median(cf).Microseconds())/1000, "client-first-ms")
			b.ReportMetric(float64(median(lf).Microseconds())/1000, "ldapsearch-first-ms")
			b.ReportMetric(float64(median(ca).Microseconds())/1000, "client-all-ms")
			b.ReportMetric(float64(median(la).Microseconds())/1000, "ldapsearch-all-ms")
			b.ReportMetric(float64(median(ca))/float64(median(la)), "all-ratio")
			b.ReportMetric(float64(median(cf))/float64(median(lf)), "first-ratio")
		})
	}
}

// BenchmarkCancel: cancel a search of everyone after its first page; report
// how long Search takes to return after the cancel (target ≤ 50 ms).
func BenchmarkCancel(b *testing.B) {
	_, cfg := benchDirectory(b)
	cfg.PageSize = 100 // so that even a small directory has pages left to cancel
	c, err := ad.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		var at time.Time
		err := c.Search(ctx, "", 0, func(p []ad.User) error {
			if at.IsZero() {
				at = time.Now()
				cancel()
			}
			return nil
		})
		lat = append(lat, time.Since(at))
		if err == nil {
			b.Fatal("search was not cancelled")
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkStreamingMemory: the live heap while streaming everyone, sampled
// after every page, against the heap one page of users takes. Target: at
// most about one page held at a time.
func BenchmarkStreamingMemory(b *testing.B) {
	c, _ := benchDirectory(b)
	var ms runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var peak uint64
		var pageBytes uint64
		pages, total := 0, 0
		err := c.Search(context.Background(), "", 0, func(p []ad.User) error {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if d := ms.HeapAlloc - min(base, ms.HeapAlloc); d > peak {
				peak = d
			}
			if pages == 0 {
				pageBytes = ms.HeapAlloc - min(base, ms.HeapAlloc)
			}
			pages++
			total += len(p)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total), "entries")
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(peak)/1024, "peak-live-KiB")
		b.ReportMetric(float64(pageBytes)/1024, "first-page-live-KiB")
	}
}
