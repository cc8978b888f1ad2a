// Package adtest connects tests and benchmarks to the real directory that
// .ci/ad-server starts (its settings in the environment, from $AD_ROOT/env).
package adtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/secret"
)

// Config is the directory's settings for the service account, or a skip
// when no directory was started (bench/ad-search.sh starts one).
func Config(tb testing.TB) ad.Config {
	tb.Helper()
	url := os.Getenv("RSATUI_AD_URL")
	if url == "" {
		if os.Getenv("RSATUI_REQUIRE_AD") == "1" {
			tb.Fatal("RSATUI_REQUIRE_AD=1 but RSATUI_AD_URL is not set")
		}
		tb.Skip("skipped: needs the real directory (run bench/ad-search.sh)")
	}
	pw, err := os.ReadFile(os.Getenv("RSATUI_AD_PASSWORD_FILE"))
	if err != nil {
		tb.Fatal(err)
	}
	return ad.Config{URL: url, BindUser: "CN=svc-rsatui,OU=Service,DC=corp,DC=example",
		BindPassword: secret.Secret(strings.TrimSpace(string(pw))), CAFile: os.Getenv("RSATUI_AD_CA_FILE"),
		BaseDN: "OU=People,DC=corp,DC=example", PageSize: 500}
}

// Client is a client of the directory, connected (outside any timing).
func Client(tb testing.TB) (*ad.Client, ad.Config) {
	tb.Helper()
	cfg := Config(tb)
	c, err := ad.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	if _, err := c.Lookup(context.Background(), "jdoe"); err != nil {
		tb.Fatal(err)
	}
	return c, cfg
}

// TLS is the TLS configuration that trusts the directory's CA (for a
// test's own LDAP connection, e.g. as the domain administrator).
func TLS(tb testing.TB, cfg ad.Config) *tls.Config {
	tb.Helper()
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tb.Fatalf("no certificate in %s", cfg.CAFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
