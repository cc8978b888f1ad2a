package soapenc

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// scanner is a strict tokenizer for the XML that SOAP 1.1 messages use:
// elements, attributes, character data with the five predefined entities and
// character references, CDATA sections, comments and processing instructions.
// Document type declarations are refused (SOAP 1.1 forbids them, and refusing
// them rules out entity-expansion attacks).
//
// encoding/xml reads one byte at a time through an interface and decodes about
// 45 MB/s here; a reply of a few KiB then costs more than the whole HTTP round
// trip to the simulator. This scanner works on the byte slice directly and is
// checked against encoding/xml by FuzzScannerMatchesEncodingXML.
type scanner struct {
	b []byte
	i int
}

// internTable is a process-wide cache of the short strings a SOAP message
// repeats (element names, prefixes, xsi:type names, ids): the client and the
// simulator decode the same few hundred names all day, so after the first
// message almost no name costs an allocation. It is two-way set-associative
// (a message's few dozen names would otherwise often collide in pairs and
// evict each other on every message) and lock-free, so concurrent decoders
// never wait. Hostile input can only churn slots (a cache miss costs one
// allocation), and the table's size is fixed.
var (
	internTable [1 << 12]atomic.Pointer[string]
	internSeed  = maphash.Comparable(maphash.MakeSeed(), 0)
)

// maxInterned: longer strings are rare (texts, not names) and not worth a slot.
const maxInterned = 128

// intern returns b as a string, shared with earlier equal strings when cached.
func intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxInterned {
		return string(b)
	}
	h := nameHash(b)
	set := h & (uint64(len(internTable)) - 2)
	p0, p1 := internTable[set].Load(), internTable[set+1].Load()
	switch {
	case p0 != nil && *p0 == string(b):
		return *p0
	case p1 != nil && *p1 == string(b):
		return *p1
	}
	str := string(b)
	slot := set + h>>63 // a full set: either slot, by another bit of the hash
	if p0 == nil {
		slot = set
	} else if p1 == nil {
		slot = set + 1
	}
	internTable[slot].Store(&str)
	return str
}

// nameHash is a fast seeded hash for short byte strings (names are mostly
// under 24 bytes): eight bytes at a time, then a final mix.
func nameHash(b []byte) uint64 {
	h := internSeed ^ uint64(len(b))*0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xff51afd7ed558ccd
		h ^= h >> 32
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	// murmur3's finaliser: every input bit reaches the low bits the table uses
	h ^= tail
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

// rawName is a name as written, a slice of the input: the decoder interns
// only the names it keeps, and compares the rest (end tags, attribute names)
// in place.
// It is three offsets into the input (kept small: tokens are copied a lot).
type rawName struct {
	off, end int32 // the name is b[off:end]
	colon    int32 // where its ':' is in b, or -1
}

func (n rawName) full(b []byte) []byte { return b[n.off:n.end] }

func (n rawName) prefix(b []byte) []byte {
	if n.colon < 0 {
		return nil
	}
	return b[n.off:n.colon]
}

func (n rawName) local(b []byte) []byte {
	if n.colon < 0 {
		return b[n.off:n.end]
	}
	return b[n.colon+1 : n.end]
}

type scanAttr struct {
	name   rawName
	valOff int32 // where value starts in the input; -1 when it was decoded into a copy
	// value, entities decoded: a slice of the input when it needed no
	// decoding, so attributes nobody reads cost nothing.
	value []byte
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

type token struct {
	kind        tokKind
	name        rawName // start and end tags
	attrs       []scanAttr
	selfClosing bool
	declares    bool // some attribute is a namespace declaration (xmlns or xmlns:*)
	text        []byte
	textOff     int32 // where text starts in the input; -1 when it was decoded into a copy
}

func (s *scanner) errf(format string, args ...any) error {
	return malformed("offset %d: "+format, append([]any{s.i}, args...)...)
}

// next returns the next token. Character data is returned with entities
// decoded; whitespace-only runs are returned too (callers ignore them).
func (s *scanner) next(t *token) error {
	*t = token{attrs: t.attrs[:0]}
	for {
		if s.i >= len(s.b) {
			t.kind = tokEOF
			return nil
		}
		if s.b[s.i] != '<' {
			return s.text(t)
		}
		rest := s.b[s.i:]
		if len(rest) < 2 {
			return s.errf("unterminated tag")
		}
		switch rest[1] {
		case '?':
			if err := s.procInst(); err != nil {
				return err
			}
		case '!':
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				end := bytes.Index(rest[4:], []byte("-->"))
				if end < 0 {
					return s.errf("unterminated comment")
				}
				s.i += 4 + end + 3
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				end := bytes.Index(rest[9:], []byte("]]>"))
				if end < 0 {
					return s.errf("unterminated CDATA section")
				}
				data := rest[9 : 9+end]
				if _, err := s.checkChars(data); err != nil {
					return err
				}
				t.kind, t.text, t.textOff = tokText, data, int32(s.i+9)
				s.i += 9 + end + 3
				return nil
			default:
				return s.errf("document type declarations are not allowed in SOAP messages")
			}
		case '/':
			s.i += 2
			n, err := s.name()
			if err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '>' {
				return s.errf("expected > after end tag")
			}
			s.i++
			t.kind, t.name = tokEnd, n
			return nil
		default:
			return s.start(t)
		}
	}
}

// procInst skips a processing instruction, which needs a target name; the
// XML declaration may only say version 1.0 and UTF-8 (what encoding/xml
// accepts without a charset reader).
func (s *scanner) procInst() error {
	start := s.i
	s.i += 2
	target, err := s.name()
	if err != nil {
		return s.errf("processing instruction without a target")
	}
	end := bytes.Index(s.b[s.i:], []byte("?>"))
	if end < 0 {
		return s.errf("unterminated processing instruction")
	}
	body := string(s.b[s.i : s.i+end])
	s.i += end + 2
	if string(target.full(s.b)) == "xml" {
		if start != 0 && len(bytes.TrimLeft(s.b[:start], " \t\r\n")) != 0 {
			return s.errf("the XML declaration must come first")
		}
		if v := pseudoAttr(body, "version"); v != "" && v != "1.0" {
			return s.errf("unsupported XML version %q", v)
		}
		if enc := strings.ToLower(pseudoAttr(body, "encoding")); enc != "" && enc != "utf-8" {
			return s.errf("unsupported encoding %q: SOAP messages here must be UTF-8", enc)
		}
	}
	return nil
}

// pseudoAttr reads name="value" (or 'value') from an XML declaration.
func pseudoAttr(body, name string) string {
	i := strings.Index(body, name)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(body[i+len(name):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	if end := strings.IndexByte(rest[1:], rest[0]); end >= 0 {
		return rest[1 : 1+end]
	}
	return ""
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// nameByte marks the bytes a name may contain (any byte of a multi-byte UTF-8
// sequence included; such names are checked as UTF-8 once).
var nameByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
	}
	return t
}()

// name reads a (possibly prefixed) XML name.
func (s *scanner) name() (rawName, error) {
	// locals, not s.b/s.i: the loop is the scanner's hottest
	b, start, i, colon := s.b, s.i, s.i, -1
	var high byte
	for ; i < len(b); i++ {
		c := b[i]
		if !nameByte[c] {
			break
		}
		if c == ':' {
			if colon >= 0 {
				s.i = i
				return rawName{}, s.errf("invalid name %q", b[start:i+1])
			}
			colon = i - start
		}
		high |= c
	}
	s.i = i
	n := b[start:i]
	if len(n) == 0 {
		return rawName{}, s.errf("expected a name")
	}
	if c := n[0]; c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || colon == len(n)-1 {
		return rawName{}, s.errf("invalid name %q", n)
	}
	if high >= utf8.RuneSelf && !utf8.Valid(n) {
		return rawName{}, s.errf("invalid UTF-8 in a name")
	}
	if colon >= 0 {
		colon += start
	}
	return rawName{off: int32(start), end: int32(i), colon: int32(colon)}, nil
}

func (s *scanner) start(t *token) error {
	s.i++ // <
	n, err := s.name()
	if err != nil {
		return err
	}
	t.kind, t.name = tokStart, n
	for {
		hadSpace := s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n')
		s.space()
		if s.i >= len(s.b) {
			return s.errf("unterminated start tag <%s>", n.full(s.b))
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return nil
		case '/':
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '>' {
				return s.errf("expected /> in <%s>", n.full(s.b))
			}
			s.i += 2
			t.selfClosing = true
			return nil
		}
		if !hadSpace {
			return s.errf("attributes of <%s> must be separated by white space", n.full(s.b))
		}
		an, err := s.name()
		if err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '=' {
			return s.errf("attribute %s without a value", an.full(s.b))
		}
		s.i++
		s.space()
		if s.i >= len(s.b) || (s.b[s.i] != '"' && s.b[s.i] != '\'') {
			return s.errf("attribute %s: value must be quoted", an.full(s.b))
		}
		q := s.b[s.i]
		s.i++
		end, saw, err := s.scanChars(s.b, s.i, q)
		if err != nil {
			return err
		}
		if end >= len(s.b) {
			return s.errf("unterminated attribute value")
		}
		if saw&sawLT != 0 {
			return s.errf("< in an attribute value")
		}
		v, off := s.b[s.i:end], int32(s.i)
		if needsUnescape(true, saw) {
			if v, err = s.unescape(v, true, saw); err != nil {
				return err
			}
			off = -1
		}
		s.i = end + 1
		if an.colon == an.off+5 && string(s.b[an.off:an.colon]) == "xmlns" || string(an.full(s.b)) == "xmlns" {
			t.declares = true
		}
		t.attrs = append(t.attrs, scanAttr{name: an, value: v, valOff: off})
	}
}

func (s *scanner) text(t *token) error {
	end, saw, err := s.scanChars(s.b, s.i, '<')
	if err != nil {
		return err
	}
	raw := s.b[s.i:end]
	if saw&sawBracket != 0 && bytes.Contains(raw, []byte("]]>")) {
		// XML 1.0 §2.4, as encoding/xml enforces
		return s.errf("unescaped ]]> not in CDATA section")
	}
	v, err := s.unescape(raw, false, saw)
	if err != nil {
		return err
	}
	t.kind, t.text, t.textOff = tokText, v, int32(s.i)
	if needsUnescape(false, saw) {
		t.textOff = -1
	}
	s.i = end
	return nil
}

var entities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// what checkChars saw besides plain characters
const (
	sawAmp     = 1 << iota // an entity or character reference to decode
	sawCR                  // \r: end-of-line handling
	sawTabLF               // \t or \n: normalised in attribute values
	sawBracket             // ]: maybe a ]]>, which character data must not hold
	sawLT                  // <: not allowed in an attribute value
)

// byte classes for scanChars
const (
	clsPlain = iota
	clsQuote // " or ': plain, unless it ends the attribute value being read
	clsIllegal
	clsAmp
	clsCR
	clsTabLF
	clsBracket
	clsLT
	clsHigh // first or later byte of a multi-byte UTF-8 sequence
)

var charClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = clsIllegal
	}
	t['\t'], t['\n'], t['\r'], t['&'], t[']'], t['<'] = clsTabLF, clsTabLF, clsCR, clsAmp, clsBracket, clsLT
	t['"'], t['\''] = clsQuote, clsQuote
	for c := 0x80; c < 256; c++ {
		t[c] = clsHigh
	}
	return t
}()

// needsUnescape reports whether text (or an attribute value) in which
// scanChars saw saw differs from its decoded form.
func needsUnescape(attr bool, saw uint8) bool {
	return saw&(sawAmp|sawCR) != 0 || attr && saw&sawTabLF != 0
}

// unescape decodes entity and character references in raw, which scanChars
// has checked (saw is what it saw). Attribute values get their white space
// normalised as XML requires. Input that needs none of that (nearly all of
// it) is returned as is.
func (s *scanner) unescape(raw []byte, attr bool, saw uint8) ([]byte, error) {
	if !needsUnescape(attr, saw) {
		return raw, nil
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return nil, s.errf("unterminated entity reference")
			}
			ref := raw[i+1 : i+semi]
			i += semi
			if len(ref) > 1 && ref[0] == '#' {
				var n uint64
				var err error
				if ref[1] == 'x' {
					n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
				}
				r := rune(n)
				if err != nil || !isXMLChar(r) {
					return nil, s.errf("invalid character reference &%s;", ref)
				}
				out = utf8.AppendRune(out, r)
				continue
			}
			e, ok := entities[string(ref)]
			if !ok {
				return nil, s.errf("unknown entity &%s;", ref)
			}
			out = append(out, e)
		case c == '\r':
			// XML end-of-line handling: \r\n and lone \r become \n
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			if attr {
				out = append(out, ' ')
			} else {
				out = append(out, '\n')
			}
		case attr && (c == '\t' || c == '\n'):
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// checkChars checks all of raw as scanChars does.
func (s *scanner) checkChars(raw []byte) (saw uint8, err error) {
	_, saw, err = s.scanChars(raw, 0, 0)
	return saw, err
}

// scanChars reads b from i up to the first stop byte ('<' for character
// data, the quote for an attribute value, 0 for all of b), in one pass: it
// refuses invalid UTF-8 and characters outside XML's Char production (control
// characters, U+FFFE, U+FFFF), as encoding/xml does, and reports which
// characters that need more work it saw. It returns where it stopped.
func (s *scanner) scanChars(b []byte, i int, stop byte) (end int, saw uint8, err error) {
	for i < len(b) {
		c := b[i]
		cls := charClass[c]
		if cls == clsPlain {
			i++
			continue
		}
		switch cls {
		case clsQuote:
			if c == stop {
				return i, saw, nil
			}
		case clsIllegal:
			return 0, 0, s.errf("illegal character code %U", rune(c))
		case clsAmp:
			saw |= sawAmp
		case clsCR:
			saw |= sawCR
		case clsTabLF:
			saw |= sawTabLF
		case clsBracket:
			saw |= sawBracket
		case clsLT:
			if stop == '<' {
				return i, saw, nil
			}
			saw |= sawLT
		case clsHigh:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				return 0, 0, s.errf("invalid UTF-8")
			}
			if !isXMLChar(r) {
				return 0, 0, s.errf("illegal character code %U", r)
			}
			i += n
			continue
		}
		i++
	}
	return i, saw, nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
