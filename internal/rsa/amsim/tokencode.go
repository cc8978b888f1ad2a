package amsim

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/securid"
)

// The simulator's tokens are real SecurID 128-bit tokens (package
// securid, checked against Debian's stoken): a token the simulator issues
// can be loaded into a token app, and its codes are the ones AM accepts.

// maxResyncDrift is how far a token's clock may be from AM's for a resync
// to find it [confirmed: S-kb-resync-ss, 12 hours].
const maxResyncDrift = 12 * time.Hour

// initialSeed is a token's first seed, derived from the data set's seed
// and the serial: the same demo data gives the same codes. A re-issue with
// a new seed, or a phone's activation, replaces it (newSeed).
func (s *Sim) initialSeed(serial string) (seed [16]byte) {
	sum := sha256.Sum256([]byte(fmt.Sprintf("rsatui-sim-seed/%d/%s", s.opt.Seed, serial)))
	copy(seed[:], sum[:])
	return seed
}

// intervalAt is the number of AM's interval at instant at. The token shows
// the code of intervalAt + clockSkew; AM expects intervalAt + drift.
func (t *token) intervalAt(at time.Time) int64 {
	return at.Unix() / int64(max(t.interval, 1))
}

// securid is the token as an app holds it.
func (t *token) securid() securid.Token {
	return securid.Token{Serial: t.serial, Seed: t.seed, Digits: max(t.codeLength, 6), Interval: max(t.interval, 30),
		AppPIN: t.pinMode == amproto.PINUsePinpad, Expires: t.expires}
}

// code is the tokencode of interval n (the PIN-pad style token's code
// without the PIN folded in).
func (s *Sim) code(t *token, n int64) string {
	return t.securid().Code(time.Unix(n*int64(max(t.interval, 1)), 0), "")
}

// Tokencodes are a token's current and next tokencode as its display shows
// them now.
func (s *Sim) Tokencodes(serial string) (current, next string, err error) {
	current, next, _, err = s.Showing(serial)
	return current, next, err
}

// Showing is what the token's display shows now: the current and next
// tokencode, and how long the current one stays (rsatui sim tokencode:
// the software token app of the demo).
func (s *Sim) Showing(serial string) (current, next string, left time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.bySerial[serial]
	if t == nil {
		return "", "", 0, fmt.Errorf("no token %s in the simulator", serial)
	}
	now := s.opt.Now()
	n := t.intervalAt(now) + t.clockSkew // the token's own clock
	iv := time.Duration(max(t.interval, 1)) * time.Second
	left = iv - time.Duration(now.UnixNano()%int64(iv))
	return s.code(t, n), s.code(t, n+1), left, nil
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
