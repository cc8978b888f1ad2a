package securid

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The .sdtid file: an XML token batch (TKNBatch) with a header of batch
// defaults, one TKN per token and a trailer. Its keys come from a batch
// secret, itself encrypted under a key made from the password (or, for a
// file without one, the batch's Origin); each section carries a MAC over
// its fields, which is how an app tells a wrong password from a file that
// was damaged.

// SDTIDOptions describe the file around the token.
type SDTIDOptions struct {
	// Password protects the file ("" for none; then anybody holding the
	// file holds the token).
	Password string
	// Origin and Name identify the batch (the issuing AM and the file).
	Origin, Name string
	// Login, First and Last are the person the token is issued to.
	Login, First, Last string
	// Rand is the source of the batch secret (crypto/rand when nil).
	Rand io.Reader
}

// the format's constant CBC starting blocks, one per derived key
var (
	ivBatchMAC = []byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	ivTokenMAC = []byte{0x1b, 0xb6, 0x7a, 0xe8, 0x58, 0x4c, 0xaa, 0x73, 0xb2, 0x57, 0x42, 0xd7, 0x07, 0x8b, 0x83, 0xb8}
	ivTokenEnc = []byte{0x16, 0xa0, 0x9e, 0x66, 0x7f, 0x3b, 0xcc, 0x90, 0x8b, 0x2f, 0xb1, 0x36, 0x6e, 0xa9, 0x57, 0xd3}
)

// field is one element of a section; a field with children is a group.
type field struct {
	name, value string
	children    []field
}

// cbcMAC is AES-CBC over data (zero-padded) from iv, keeping the last block.
func cbcMAC(key, iv, data []byte) []byte {
	out := append([]byte(nil), iv...)
	for len(data) > 0 {
		blk := make([]byte, 16)
		n := copy(blk, data)
		data = data[n:]
		for i := range out {
			out[i] ^= blk[i]
		}
		out = encrypt(key, out)
	}
	return out
}

// zstr is s in n bytes, cut or padded with zeros.
func zstr(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	return b
}

func passwordKey(pass, dest, name string) []byte {
	key := zstr(name, 16)
	data := make([]byte, 0x50)
	copy(data, zstr(pass, 0x20))
	copy(data[0x20:], zstr(dest, 0x20))
	out := make([]byte, 16)
	for i := range 1000 {
		data[0x4f], data[0x4e] = byte(i), byte(i>>8)
		tmp := cbcMAC(key, make([]byte, 16), data)
		for j := range out {
			out[j] ^= tmp[j]
		}
	}
	return out
}

func deriveKey(a, b string, key, iv []byte) []byte {
	return cbcMAC(key, iv, append(zstr(a, 0x20), zstr(b, 0x20)...))
}

// sectionMAC hashes a section's fields the way the format does: one
// "path value" line per leaf (MAC fields left out), each line followed by
// a run of zeros as long as the previous line's end was past a 16-byte
// boundary.
func sectionMAC(section string, fields []field, key, iv []byte) []byte {
	var buf bytes.Buffer
	pad := 0
	var walk func(prefix string, fs []field)
	walk = func(prefix string, fs []field) {
		for _, f := range fs {
			if len(f.name) > 3 && strings.HasSuffix(f.name, "MAC") {
				continue
			}
			path := prefix + "." + f.name
			if len(f.children) > 0 {
				walk(path, f.children)
				continue
			}
			if f.value == "" {
				fmt.Fprintf(&buf, "%s </%s>\n", path, f.name)
			} else {
				fmt.Fprintf(&buf, "%s %s\n", path, f.value)
			}
			buf.Write(make([]byte, pad))
			if pad = buf.Len() & 0xf; pad == 0 {
				pad = 0x10
			}
		}
	}
	walk(section, fields)
	return cbcMAC(key, iv, buf.Bytes())
}

// SDTID is the token as a .sdtid file.
func (t Token) SDTID(o SDTIDOptions) ([]byte, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if len(o.Password) > 0x20 {
		return nil, fmt.Errorf("securid: a token file password has at most 32 characters")
	}
	if o.Origin == "" {
		o.Origin = "N/A"
	}
	if o.Name == "" {
		o.Name = "N/A"
	}
	r := o.Rand
	if r == nil {
		r = rand.Reader
	}
	secret := make([]byte, 16)
	if _, err := io.ReadFull(r, secret); err != nil {
		return nil, fmt.Errorf("securid: no random batch secret: %w", err)
	}
	const dest = "N/A"
	pass := o.Password
	if pass == "" {
		pass = o.Origin
	}
	k0 := passwordKey(pass, dest, o.Name)
	encSecret := encrypt(k0, append(zstr("Secret", 8), zstr(o.Name, 8)...))
	for i := range encSecret {
		encSecret[i] ^= secret[i]
	}
	batchMAC := deriveKey("BatchMAC", o.Name, secret, ivBatchMAC)
	tokenMAC := deriveKey("TokenMAC", t.Serial, secret, ivTokenMAC)
	tokenEnc := deriveKey("TokenEncrypt", t.Serial, secret, ivTokenEnc)
	encSeed := encrypt(tokenEnc, append(zstr(t.Serial, 8), zstr("Seed", 8)...))
	for i := range encSeed {
		encSeed[i] ^= t.Seed[i]
	}
	b64 := base64.StdEncoding.EncodeToString
	death := "2035/12/31"
	if !t.Expires.IsZero() {
		death = t.Expires.UTC().Format("2006/01/02")
	}
	addPIN := "0"
	if t.AppPIN {
		addPIN = "1"
	}
	header := []field{
		{name: "Version", value: "0"}, {name: "Origin", value: o.Origin}, {name: "Dest", value: dest},
		{name: "Name", value: o.Name}, {name: "FirstToken", value: t.Serial}, {name: "LastToken", value: t.Serial},
		{name: "NumTokens", value: "1"}, {name: "Secret", value: b64(encSecret)},
		{name: "DefBirth", value: "2000/01/01"}, {name: "DefDeath", value: death},
		{name: "DefDigits", value: strconv.Itoa(t.Digits)}, {name: "DefInterval", value: strconv.Itoa(t.Interval)},
		{name: "DefAlg", value: "1"}, {name: "DefMode", value: "0"}, {name: "DefPrecision", value: "2400"},
		{name: "DefSmallWin", value: "630"}, {name: "DefMediumWin", value: "4320"}, {name: "DefLargeWin", value: "4320"},
		{name: "DefAddPIN", value: addPIN}, {name: "DefLocalPIN", value: "0"}, {name: "DefCopyProtection", value: "1"},
		{name: "DefPinType", value: "0"}, {name: "DefKeypad", value: "1"}, {name: "DefProtLevel", value: "0"},
		{name: "DefRevision", value: "0"}, {name: "DefTimeDerivedSeeds", value: "1"}, {name: "DefAppDerivedSeeds", value: "0"},
		{name: "DefFormFactor", value: "20000001"},
	}
	header = append(header, field{name: "HeaderMAC", value: b64(sectionMAC("TKNHeader", header, batchMAC, ivBatchMAC))})
	tkn := []field{
		{name: "SN", value: t.Serial}, {name: "Seed", value: "=" + b64(encSeed)},
		{name: "UserFirstName", value: o.First}, {name: "UserLastName", value: o.Last}, {name: "UserLogin", value: o.Login},
		{name: "TokenAttributes", children: []field{{name: "DeviceSerialNumber"}, {name: "Nickname"}}},
	}
	tkn = append(tkn, field{name: "TokenMAC", value: b64(sectionMAC("TKN", tkn, tokenMAC, ivTokenMAC))})
	// the trailer's batch signature is RSA's own (a key AM holds); the
	// simulator has none to give, so it leaves the trailer's fields empty
	// rather than write a signature that is not one
	trailer := []field{{name: "BatchSignature"}, {name: "BatchCertificate"}}

	var out bytes.Buffer
	out.WriteString(xml.Header)
	enc := xml.NewEncoder(&out)
	enc.Indent("", "  ")
	var write func(name string, fs []field)
	write = func(name string, fs []field) {
		_ = enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: name}})
		for _, f := range fs {
			if len(f.children) > 0 {
				write(f.name, f.children)
				continue
			}
			_ = enc.EncodeElement(f.value, xml.StartElement{Name: xml.Name{Local: f.name}})
		}
		_ = enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
	_ = enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: "TKNBatch"}})
	write("TKNHeader", header)
	write("TKN", tkn)
	write("TKNTrailer", trailer)
	_ = enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: "TKNBatch"}})
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
