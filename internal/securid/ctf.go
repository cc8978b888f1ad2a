package securid

import (
	"fmt"
	"strings"
	"time"
)

// The compressed token format, version 2: "2", the 12-digit serial, 63
// digits that carry 189 bits three to a digit (the seed encrypted under a
// key made from the password, the token's flags, its expiry and a check of
// the seed) and 5 digits that check the rest.

const (
	ctfBits     = 189
	ctfBinOff   = 1 + 12
	ctfSumOff   = ctfBinOff + ctfBits/3
	ctfLen      = ctfSumOff + 5
	maxPassword = 40
)

// flag bits of a token record
const (
	flag128Bit   = 1 << 14
	flagPassword = 1 << 13
	flagTimeSeed = 1 << 9
	digitsShift  = 6
	pinModeShift = 3
)

// epoch is day 0 of a token's expiry field.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// magic ends the key material of a CTF seed's key.
var magic = []byte{0xd8, 0xf5, 0x32, 0x53, 0x82, 0x89}

func (t Token) flags(password bool) uint32 {
	f := uint32(flag128Bit | flagTimeSeed)
	f |= uint32(t.Digits-1) << digitsShift
	if t.AppPIN {
		f |= 2 << pinModeShift
	}
	if t.Interval == 60 {
		f |= 1
	}
	if password {
		f |= flagPassword
	}
	return f
}

// expDay is the expiry as a day number; the token works through that day.
func (t Token) expDay() uint32 {
	if t.Expires.IsZero() {
		return 0x3fff // as far as 14 bits go
	}
	d := int(t.Expires.UTC().Sub(epoch).Hours()/24) - 1
	return uint32(max(0, min(d, 0x3fff)))
}

// seedKey is the key a CTF seed is encrypted under: the password (or
// nothing) and the magic, hashed. No device binding: the string works on
// any device, as a QR or link a phone opens must.
func seedKey(password string) []byte {
	return mac(append([]byte(password), magic...))
}

type bits []byte

func (b bits) set(start, n int, v uint32) {
	for i := n - 1; i >= 0; i, start = i-1, start+1 {
		mask := byte(0x80 >> (start % 8))
		if v>>i&1 == 1 {
			b[start/8] |= mask
		} else {
			b[start/8] &^= mask
		}
	}
}

func (b bits) get(start, n int) uint32 {
	var v uint32
	for i := 0; i < n; i, start = i+1, start+1 {
		v = v<<1 | uint32(b[start/8]>>(7-start%8)&1)
	}
	return v
}

// digits writes n bits from b as n/3 digits 0–7.
func (b bits) digits(n int) string {
	var sb strings.Builder
	for i := 0; i < n; i += 3 {
		sb.WriteByte('0' + byte(b.get(i, 3)))
	}
	return sb.String()
}

func fromDigits(s string) (bits, error) {
	b := make(bits, (len(s)*3+7)/8+1)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '7' {
			return nil, fmt.Errorf("securid: %q is not a token string digit (0–7)", s[i])
		}
		b.set(i*3, 3, uint32(s[i]-'0'))
	}
	return b, nil
}

// CTF is the token as a compressed token format string, its seed
// encrypted under password ("" for none; at most 40 characters).
func (t Token) CTF(password string) (string, error) {
	if err := t.Check(); err != nil {
		return "", err
	}
	if len(password) > maxPassword {
		return "", fmt.Errorf("securid: a token password has at most %d characters", maxPassword)
	}
	b := make(bits, 25)
	copy(b, encrypt(seedKey(password), t.Seed[:]))
	b.set(128, 16, t.flags(password != ""))
	b.set(144, 14, t.expDay())
	b.set(159, 15, uint32(shortMAC(t.Seed[:])))
	b.set(174, 15, uint32(shortMAC(make([]byte, 32)))) // no device id
	head := "2" + t.Serial + b.digits(ctfBits)
	sum := make(bits, 3)
	sum.set(0, 15, uint32(shortMAC([]byte(head))))
	return head + sum.digits(15), nil
}

// ParseCTF reads a compressed token format string (version 2).
func ParseCTF(s, password string) (Token, error) {
	s = strings.TrimSpace(s)
	if len(s) != ctfLen || s[0] != '2' {
		return Token{}, fmt.Errorf("securid: not a version 2 token string (%d characters, want %d starting with 2)", len(s), ctfLen)
	}
	sum, err := fromDigits(s[ctfSumOff:])
	if err != nil {
		return Token{}, err
	}
	if uint16(sum.get(0, 15)) != shortMAC([]byte(s[:ctfSumOff])) {
		return Token{}, fmt.Errorf("securid: the token string's check digits do not match (mistyped or cut)")
	}
	b, err := fromDigits(s[ctfBinOff:ctfSumOff])
	if err != nil {
		return Token{}, err
	}
	t := Token{Serial: s[1:13]}
	f := b.get(128, 16)
	if f&flagPassword == 0 {
		password = ""
	}
	copy(t.Seed[:], decrypt(seedKey(password), b[:16]))
	if uint16(b.get(159, 15)) != shortMAC(t.Seed[:]) {
		return Token{}, ErrPassword
	}
	t.Digits = int(f>>digitsShift&7) + 1
	t.Interval = 30
	if f&3 != 0 {
		t.Interval = 60
	}
	t.AppPIN = f>>pinModeShift&3 >= 2
	if d := b.get(144, 14); d != 0x3fff {
		t.Expires = epoch.AddDate(0, 0, int(d)+1)
	}
	return t, t.Check()
}
