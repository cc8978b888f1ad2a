package soapenc

import (
	"bytes"
	"strconv"
	"strings"
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
	b    []byte
	i    int
	last [4]string // recently seen names: prefixes and end tags repeat the start tag's
}

// intern returns a string for b, reusing one of the last few names when equal
// (end tags repeat their start tag, prefixes repeat everywhere) so most names
// cost no allocation, without the price of a map.
func (s *scanner) intern(b []byte) string {
	for _, v := range s.last {
		if v == string(b) {
			return v
		}
	}
	v := string(b)
	copy(s.last[1:], s.last[:3])
	s.last[0] = v
	return v
}

type scanAttr struct {
	prefix, local string
	value         string
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

type token struct {
	kind          tokKind
	prefix, local string
	attrs         []scanAttr
	selfClosing   bool
	text          []byte
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
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			if err := s.procInst(); err != nil {
				return err
			}
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
			if err := s.checkChars(data); err != nil {
				return err
			}
			s.i += 9 + end + 3
			t.kind, t.text = tokText, data
			return nil
		case bytes.HasPrefix(rest, []byte("<!")):
			return s.errf("document type declarations are not allowed in SOAP messages")
		case bytes.HasPrefix(rest, []byte("</")):
			s.i += 2
			p, l, err := s.name()
			if err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '>' {
				return s.errf("expected > after end tag")
			}
			s.i++
			t.kind, t.prefix, t.local = tokEnd, p, l
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
	_, target, err := s.name()
	if err != nil {
		return s.errf("processing instruction without a target")
	}
	end := bytes.Index(s.b[s.i:], []byte("?>"))
	if end < 0 {
		return s.errf("unterminated processing instruction")
	}
	body := string(s.b[s.i : s.i+end])
	s.i += end + 2
	if target == "xml" {
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

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

// name reads a (possibly prefixed) XML name.
func (s *scanner) name() (prefix, local string, err error) {
	start := s.i
	for s.i < len(s.b) && isNameByte(s.b[s.i]) {
		s.i++
	}
	n := s.b[start:s.i]
	if len(n) == 0 {
		return "", "", s.errf("expected a name")
	}
	if c := n[0]; c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' {
		return "", "", s.errf("invalid name %q", n)
	}
	if !utf8.Valid(n) {
		return "", "", s.errf("invalid UTF-8 in a name")
	}
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		if i == len(n)-1 || bytes.IndexByte(n[i+1:], ':') >= 0 {
			return "", "", s.errf("invalid name %q", n)
		}
		return s.intern(n[:i]), s.intern(n[i+1:]), nil
	}
	return "", s.intern(n), nil
}

func (s *scanner) start(t *token) error {
	s.i++ // <
	p, l, err := s.name()
	if err != nil {
		return err
	}
	t.kind, t.prefix, t.local = tokStart, p, l
	for {
		hadSpace := s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n')
		s.space()
		if s.i >= len(s.b) {
			return s.errf("unterminated start tag <%s>", l)
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return nil
		case '/':
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '>' {
				return s.errf("expected /> in <%s>", l)
			}
			s.i += 2
			t.selfClosing = true
			return nil
		}
		if !hadSpace {
			return s.errf("attributes of <%s> must be separated by white space", l)
		}
		ap, al, err := s.name()
		if err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '=' {
			return s.errf("attribute %s without a value", al)
		}
		s.i++
		s.space()
		if s.i >= len(s.b) || (s.b[s.i] != '"' && s.b[s.i] != '\'') {
			return s.errf("attribute %s: value must be quoted", al)
		}
		q := s.b[s.i]
		s.i++
		end := bytes.IndexByte(s.b[s.i:], q)
		if end < 0 {
			return s.errf("unterminated attribute value")
		}
		raw := s.b[s.i : s.i+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return s.errf("< in an attribute value")
		}
		v, err := s.unescape(raw, true)
		if err != nil {
			return err
		}
		s.i += end + 1
		t.attrs = append(t.attrs, scanAttr{prefix: ap, local: al, value: string(v)})
	}
}

func (s *scanner) text(t *token) error {
	end := bytes.IndexByte(s.b[s.i:], '<')
	if end < 0 {
		end = len(s.b) - s.i
	}
	raw := s.b[s.i : s.i+end]
	if bytes.Contains(raw, []byte("]]>")) { // XML 1.0 §2.4, as encoding/xml enforces
		return s.errf("unescaped ]]> not in CDATA section")
	}
	v, err := s.unescape(raw, false)
	if err != nil {
		return err
	}
	s.i += end
	t.kind, t.text = tokText, v
	return nil
}

var entities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// unescape decodes entity and character references. Attribute values get
// their white space normalised as XML requires.
func (s *scanner) unescape(raw []byte, attr bool) ([]byte, error) {
	if err := s.checkChars(raw); err != nil {
		return nil, err
	}
	if bytes.IndexByte(raw, '&') < 0 && (!attr || !bytes.ContainsAny(raw, "\t\r\n")) && bytes.IndexByte(raw, '\r') < 0 {
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
			ref := string(raw[i+1 : i+semi])
			i += semi
			if len(ref) > 1 && ref[0] == '#' {
				var n uint64
				var err error
				if ref[1] == 'x' {
					n, err = strconv.ParseUint(ref[2:], 16, 32)
				} else {
					n, err = strconv.ParseUint(ref[1:], 10, 32)
				}
				r := rune(n)
				if err != nil || !isXMLChar(r) {
					return nil, s.errf("invalid character reference &%s;", ref)
				}
				out = utf8.AppendRune(out, r)
				continue
			}
			e, ok := entities[ref]
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

// checkChars refuses invalid UTF-8 and characters outside XML's Char production
// (control characters, U+FFFE, U+FFFF), as encoding/xml does.
func (s *scanner) checkChars(raw []byte) error {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return s.errf("illegal character code %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			return s.errf("invalid UTF-8")
		}
		if !isXMLChar(r) {
			return s.errf("illegal character code %U", r)
		}
		i += n
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
