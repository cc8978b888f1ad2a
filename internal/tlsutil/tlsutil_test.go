package tlsutil

import (
	"crypto/x509"
	"testing"
	"time"
)

// The certificates outlive a simulator left running for a week (they
// lasted a day).
func TestLoopbackOutlivesAWeek(t *testing.T) {
	lb, err := NewLoopback("test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(lb.Cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	inAWeek := time.Now().Add(7 * 24 * time.Hour)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: lb.Pool, DNSName: "localhost", CurrentTime: inAWeek}); err != nil {
		t.Fatalf("in a week: %v", err)
	}
}
