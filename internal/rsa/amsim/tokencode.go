package amsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// The simulator's tokens compute tokencodes the way a time-based token
// does: from a seed and the minute. The algorithm is the simulator's own
// (HMAC-SHA-256 of the interval number, like TOTP), not RSA's AES-based
// one, which is not published; what matters here is AM's behaviour around
// the codes (resync windows, next tokencode), not the cipher.

// maxResyncDrift is how far a token's clock may be from AM's for a resync
// to find it [confirmed: S-kb-resync-ss, 12 hours].
const maxResyncDrift = 12 * time.Hour

// seed is a token's secret, derived from the data set's seed and the
// serial: the same demo data gives the same codes.
func (s *Sim) seed(t *token) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprintf("rsatui-sim-seed/%d/%s", s.opt.Seed, t.serial)))
	return sum[:]
}

// intervalAt is the number of AM's interval at instant at. The token shows
// the code of intervalAt + clockSkew; AM expects intervalAt + drift.
func (t *token) intervalAt(at time.Time) int64 {
	return at.Unix() / int64(max(t.interval, 1))
}

// code is the tokencode of interval n.
func (s *Sim) code(t *token, n int64) string {
	mac := hmac.New(sha256.New, s.seed(t))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	mac.Write(b[:])
	sum := mac.Sum(nil)
	v := binary.BigEndian.Uint32(sum[len(sum)-4:]) & 0x7fffffff
	digits := max(t.codeLength, 6)
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// Tokencodes are a token's current and next tokencode as its display shows
// them now (rsatui sim tokencode: the software token app of the demo).
func (s *Sim) Tokencodes(serial string) (current, next string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.bySerial[serial]
	if t == nil {
		return "", "", fmt.Errorf("no token %s in the simulator", serial)
	}
	n := t.intervalAt(s.opt.Now()) + t.clockSkew // the token's own clock
	return s.code(t, n), s.code(t, n+1), nil
}

// SkewClock makes a token's clock run off AM's by d (a drifted hardware
// token: it then needs a resync).
func (s *Sim) SkewClock(serial string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.bySerial[serial]; t != nil {
		t.clockSkew = int64(d / (time.Duration(max(t.interval, 1)) * time.Second))
	}
}

// resync finds first and second as consecutive codes within the drift AM
// allows and keeps the token's drift; it reports whether they were found.
// The codes may be read as "current and next" at once or a minute apart:
// drift is where the first was found, and an authentication accepts the
// interval after it too. Caller holds mu.
func (s *Sim) resync(t *token, first, second string) bool {
	base := t.intervalAt(s.opt.Now())
	window := int64(maxResyncDrift / (time.Duration(max(t.interval, 1)) * time.Second))
	for d := int64(0); d <= window; d++ {
		for _, off := range []int64{d, -d} {
			n := base + off
			if s.code(t, n) == first && s.code(t, n+1) == second {
				t.drift = off
				return true
			}
			if d == 0 {
				break
			}
		}
	}
	return false
}
