// Package securid is the RSA SecurID 128-bit (AES) time-based token: its
// tokencodes, and the two forms AM hands a token to a software token app
// in, the compressed token format (CTF, a string of digits) and the .sdtid
// file (XML).
//
// The algorithm and the formats were learnt from public descriptions and
// from Debian's stoken (an independent LGPL implementation), which the
// tests use as the oracle: a token this package writes, stoken reads, and
// the codes agree. Nothing of stoken's code is here.
package securid

import (
	"crypto/aes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token is one 128-bit SecurID token: what a software token app holds.
type Token struct {
	Serial   string   // 12 digits
	Seed     [16]byte // the secret; never logged, never shown
	Digits   int      // tokencode length: 6 or 8
	Interval int      // seconds a tokencode is shown: 30 or 60
	// AppPIN: the app asks for the PIN and folds it into the code it shows
	// (PIN-pad style). Without it the person types PIN then tokencode
	// (fob style), or the token is PINless.
	AppPIN  bool
	Expires time.Time // the last day the token works (a date, UTC)
}

// Check reports what makes t unusable, or nil.
func (t Token) Check() error {
	switch {
	case len(t.Serial) != 12 || strings.Trim(t.Serial, "0123456789") != "":
		return fmt.Errorf("securid: serial %q is not 12 digits", t.Serial)
	case t.Digits != 6 && t.Digits != 8:
		return fmt.Errorf("securid: %d-digit tokencodes: a 128-bit token shows 6 or 8", t.Digits)
	case t.Interval != 30 && t.Interval != 60:
		return fmt.Errorf("securid: a %d-second interval: a 128-bit token uses 30 or 60", t.Interval)
	}
	return nil
}

// encrypt is AES-128 of one block under key.
func encrypt(key, in []byte) []byte {
	c, err := aes.NewCipher(key)
	if err != nil {
		panic("securid: " + err.Error()) // key is always 16 bytes here
	}
	out := make([]byte, aes.BlockSize)
	c.Encrypt(out, in)
	return out
}

func decrypt(key, in []byte) []byte {
	c, err := aes.NewCipher(key)
	if err != nil {
		panic("securid: " + err.Error())
	}
	out := make([]byte, aes.BlockSize)
	c.Decrypt(out, in)
	return out
}

// bcd is v's last 2*n decimal digits, packed two to a byte.
func bcd(v, n int) []byte {
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = byte(v % 10)
		v /= 10
		out[i] |= byte(v%10) << 4
		v /= 10
	}
	return out
}

// timeKey is the block the chain encrypts at each step: the first n bytes
// of the BCD time, 0xaa up to 8 bytes, the serial's digits 5–12 in BCD and
// four 0xbb.
func timeKey(bcdTime []byte, n int, serial string) []byte {
	k := make([]byte, 16)
	for i := range 8 {
		k[i] = 0xaa
	}
	copy(k, bcdTime[:n])
	for i := 0; i < 4; i++ {
		k[8+i] = (serial[4+2*i]-'0')<<4 | (serial[5+2*i] - '0')
	}
	for i := 12; i < 16; i++ {
		k[i] = 0xbb
	}
	return k
}

// Code is the tokencode the token shows at instant at, with pin folded in
// when the app takes the PIN (pin "" otherwise).
func (t Token) Code(at time.Time, pin string) string {
	at = at.UTC()
	is30 := t.Interval == 30
	minute := at.Minute()
	mask := 3
	if is30 {
		mask = 1
	}
	bt := make([]byte, 8)
	copy(bt[0:2], bcd(at.Year(), 2))
	bt[2] = bcd(int(at.Month()), 1)[0]
	bt[3] = bcd(at.Day(), 1)[0]
	bt[4] = bcd(at.Hour(), 1)[0]
	bt[5] = bcd(minute&^mask, 1)[0]

	// a chain of five encryptions, each keyed by the last; the final block
	// holds four consecutive tokencodes (two or four minutes' worth)
	key := t.Seed[:]
	for _, n := range []int{2, 3, 4, 5, 8} {
		key = encrypt(key, timeKey(bt, n, t.Serial))
	}
	var i int
	if is30 {
		i = (minute&1)<<3 | b2i(at.Second() >= 30)<<2
	} else {
		i = (minute & 3) << 2
	}
	v := uint32(key[i])<<24 | uint32(key[i+1])<<16 | uint32(key[i+2])<<8 | uint32(key[i+3])

	out := make([]byte, t.Digits)
	for j, k := t.Digits-1, 0; j >= 0; j, k = j-1, k+1 {
		c := byte(v % 10)
		v /= 10
		if k < len(pin) {
			c += pin[len(pin)-1-k] - '0'
		}
		out[j] = '0' + c%10
	}
	return string(out)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mac is the AES-based hash the CTF format uses (Matyas–Meyer–Oseas over
// 16-byte blocks, with a length block).
func mac(in []byte) []byte {
	work := make([]byte, 16)
	for i := range work {
		work[i] = 0xff
	}
	step := func(block []byte) {
		enc := encrypt(block, work)
		for i := range work {
			work[i] ^= enc[i]
		}
	}
	pad := make([]byte, 16)
	p := 15
	for n := len(in) * 8; n > 0; n >>= 8 {
		pad[p] = byte(n)
		p--
	}
	odd := false
	for len(in) > 16 {
		step(in[:16])
		in = in[16:]
		odd = !odd
	}
	last := make([]byte, 16)
	copy(last, in)
	step(last)
	if odd {
		step(make([]byte, 16))
	}
	step(pad)
	out := append([]byte(nil), work...)
	enc := encrypt(work, out)
	for i := range out {
		out[i] ^= enc[i]
	}
	return out
}

func shortMAC(in []byte) uint16 {
	h := mac(in)
	return uint16(h[0])<<7 | uint16(h[1])>>1
}

// ErrPassword is a CTF string or file that will not open with the
// password given (or needs one).
var ErrPassword = errors.New("securid: wrong or missing password")
