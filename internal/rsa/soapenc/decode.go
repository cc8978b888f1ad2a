package soapenc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tiaguinho/gosoap"
)

// Limits bound what a decoder accepts from an untrusted peer.
type Limits struct {
	MaxDepth  int // element nesting, href chains included
	MaxValues int // values built after href resolution (guards against shared-ref blow-up)
}

// DefaultLimits suit AM replies: the largest (a token list) is a few hundred values.
var DefaultLimits = Limits{MaxDepth: 48, MaxValues: 200_000}

// ErrMalformed wraps every decoding failure, so callers can tell "the peer sent
// garbage" from transport errors with errors.Is.
var ErrMalformed = errors.New("malformed SOAP message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Message is a decoded envelope: either an RPC call/return or a fault.
type Message struct {
	Op    QName    // the RPC wrapper element (executeCommand / executeCommandResponse)
	Parts []*Value // its members, hrefs resolved
	Fault *Fault
}

// Part returns the part named name, or nil.
func (m *Message) Part(name string) *Value {
	for _, p := range m.Parts {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Unmarshal decodes a SOAP 1.1 envelope in one pass over the bytes: the scanner
// (scan.go) builds Values directly and href="#id" references are then resolved
// by pointer, each multi-ref object once, so shared references share a subtree
// instead of being copied. Faults are decoded through gosoap's exported types
// (SoapEnvelope, Response.Unmarshal, FaultError, Fault); the section-5 values
// (xsi:type, multi-refs, arrays) are decoded here because gosoap knows nothing
// of them. Keeping gosoap off the success path saves two extra tokenizations of
// every reply.
//
// The message and its Values belong to the caller. Nothing in them refers to
// data, which the caller may reuse at once.
func Unmarshal(data []byte, lim Limits) (*Message, error) {
	// a pooled decoder for its scratch memory; the Values get slabs of their own
	d := NewDecoder()
	values, ptrs := d.values, d.ptrs
	d.values, d.ptrs = slab[Value]{}, slab[*Value]{}
	msg, err := d.decode(data, lim, &Message{})
	d.values, d.ptrs = values, ptrs
	d.Release()
	return msg, err
}

// Decoder decodes messages into memory it keeps for the next message: for a
// caller that turns a reply into its own types at once (the AM client does,
// on every command) decoding then allocates almost nothing but the strings.
// Strings taken from Values stay valid for ever; the Values themselves only
// until the decoder's next Unmarshal or its Release.
type Decoder struct {
	values slab[Value]
	ptrs   slab[*Value] // Fields slices
	msg    Message

	// scratch for one parse
	kids  []*Value
	arena []byte
	texts []textRef
	ids   []*Value
	stack []frame
	binds scope
	tok   token
}

var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// NewDecoder returns a decoder from a pool; Release puts it back.
func NewDecoder() *Decoder { return decoders.Get().(*Decoder) }

// Release returns d to the pool. The Values of its last message must not be
// used afterwards (their strings may). A decoder that grew big for an unusual
// message drops its memory rather than holding it in the pool.
func (d *Decoder) Release() {
	if d.values.size() > 1<<13 || cap(d.arena) > 1<<20 {
		*d = Decoder{}
	} else {
		d.msg = Message{Parts: d.msg.Parts[:0]}
	}
	decoders.Put(d)
}

// Unmarshal decodes data like the package's Unmarshal, into d's memory: the
// result is valid until d's next Unmarshal or Release.
func (d *Decoder) Unmarshal(data []byte, lim Limits) (*Message, error) {
	d.msg = Message{Parts: d.msg.Parts[:0]}
	return d.decode(data, lim, &d.msg)
}

func (d *Decoder) decode(data []byte, lim Limits, msg *Message) (*Message, error) {
	root, err := d.parse(data, lim)
	if err != nil {
		return nil, err
	}
	if root.Name != "Envelope" || root.ns != NSEnvelope {
		return nil, malformed("root element is {%s}%s, not a SOAP 1.1 Envelope", root.ns, root.Name)
	}
	var body *Value
	for _, c := range root.Fields {
		if c.Name == "Body" && c.ns == NSEnvelope {
			body = c
		}
	}
	if body == nil || len(body.Fields) == 0 {
		return nil, malformed("empty SOAP Body")
	}
	r, err := newResolver(d, lim)
	if err != nil {
		return nil, err
	}
	if first := body.Fields[0]; first.Name == "Fault" && first.ns == NSEnvelope {
		return r.fault(data, first, msg)
	}
	var wrapper *Value
	for _, c := range body.Fields {
		if c.refKind != isID && !c.notRoot {
			wrapper = c
			break
		}
	}
	if wrapper == nil {
		return nil, malformed("no RPC wrapper element in the Body")
	}
	msg.Op = QName{wrapper.ns, wrapper.Name}
	for _, c := range wrapper.Fields {
		v, err := r.resolve(c, 0)
		if err != nil {
			return nil, err
		}
		msg.Parts = append(msg.Parts, v)
	}
	return msg, nil
}

// slab hands out elements from a few large chunks and hands the same chunks
// out again after reset: one allocation for a message's Values instead of one
// each, none at all for a reused Decoder.
type slab[T any] struct {
	chunks [][]T
	chunk  int // the chunk in use
	used   int // elements of it handed out
}

// reset makes every element available again, zeroed in one sweep per chunk
// (cheaper than zeroing each as it is taken).
func (s *slab[T]) reset() {
	for i, c := range s.chunks {
		if i == s.chunk {
			clear(c[:s.used])
			break
		}
		clear(c)
	}
	s.chunk, s.used = 0, 0
}

func (s *slab[T]) size() (n int) {
	for _, c := range s.chunks {
		n += len(c)
	}
	return n
}

// take returns n zeroed elements, from a new chunk of at least size
// elements when the chunks in hand are used up.
func (s *slab[T]) take(n, size int) []T {
	for s.chunk < len(s.chunks) {
		if c := s.chunks[s.chunk]; len(c)-s.used >= n {
			out := c[s.used : s.used+n : s.used+n]
			s.used += n
			return out
		}
		// the rest of this chunk stays unused, and zero
		s.chunk, s.used = s.chunk+1, 0
	}
	c := make([]T, max(n, size))
	s.chunks = append(s.chunks, c)
	s.used = n
	return c[:n:n]
}

type frame struct {
	v     *Value
	binds int    // len(binds) before this element's declarations
	name  []byte // as written, for end-tag matching
	text  []byte // a slice of the input unless the text came in pieces
	kids  int    // where this element's children start in kids
}

type textRef struct {
	v          *Value
	start, end int
}

// parse builds the element tree as Values, resolving element and xsi:type
// prefixes against its own scope stack, and lists the elements that carry an
// id in d.ids.
//
// Allocation matters here (a reply is decoded on every command): Values and
// Fields slices come from slabs, all scalar texts share one string, names come
// from the intern table and namespace scopes are a stack of bindings, not maps.
func (d *Decoder) parse(data []byte, lim Limits) (*Value, error) {
	sc := scanner{b: data}
	d.values.reset()
	d.ptrs.reset()
	kids, arena, texts, ids, stack := d.kids[:0], d.arena[:0], d.texts[:0], d.ids[:0], d.stack[:0]
	binds := append(d.binds[:0], binding{"xml", "http://www.w3.org/XML/1998/namespace"})
	t := &d.tok
	defer func() {
		// keep the grown scratch for the next message (no-op for a one-off decoder)
		d.kids, d.arena, d.texts, d.ids, d.stack, d.binds = kids, arena, texts, ids, stack, binds
	}()
	// about half the tags are start tags (fewer when some are self-closing:
	// the slab grows for those); capped, so that a hostile body of "<<<<"
	// does not buy a big allocation
	chunk := min(max(bytes.Count(data, []byte("<"))/2+1, 8), 1024)
	maxDepth := lim.MaxDepth*2 + 8
	var top *Value
	count := 0
	for {
		if err := sc.next(t); err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			if top == nil {
				return nil, malformed("no root element")
			}
			if len(stack) != 0 {
				return nil, malformed("document ends inside <%s>", stack[len(stack)-1].name)
			}
			all := string(arena) // the one copy of every text, owned by the caller
			for _, t := range texts {
				t.v.Text = all[t.start:t.end]
			}
			return top, nil
		case tokText:
			if len(stack) > 0 {
				f := &stack[len(stack)-1]
				if f.text == nil {
					f.text = t.text
				} else {
					f.text = append(f.text[:len(f.text):len(f.text)], t.text...)
				}
			} else if len(bytes.TrimLeft(t.text, " \t\r\n")) > 0 {
				return nil, malformed("text outside the root element")
			}
		case tokEnd:
			if len(stack) == 0 {
				return nil, malformed("unbalanced end element")
			}
			f := stack[len(stack)-1]
			if !bytes.Equal(f.name, t.name.full) {
				return nil, malformed("element <%s> closed by </%s>", f.name, t.name.full)
			}
			if n := len(kids) - f.kids; n > 0 {
				f.v.Fields = d.ptrs.take(n, chunk)
				copy(f.v.Fields, kids[f.kids:])
				kids = kids[:f.kids]
			} else if !f.v.Nil && len(f.text) > 0 {
				texts = append(texts, textRef{f.v, len(arena), len(arena) + len(f.text)})
				arena = append(arena, f.text...)
			}
			binds = binds[:f.binds]
			stack = stack[:len(stack)-1]
		case tokStart:
			if len(stack) >= maxDepth {
				return nil, malformed("elements nested deeper than %d", maxDepth)
			}
			if top != nil && len(stack) == 0 {
				return nil, malformed("more than one root element")
			}
			if count++; count > lim.MaxValues {
				return nil, malformed("more than %d elements", lim.MaxValues)
			}
			outer := len(binds)
			for _, a := range t.attrs {
				switch {
				case string(a.name.prefix()) == "xmlns":
					binds = append(binds, binding{intern(a.name.local()), namespace(a.value)})
				case string(a.name.full) == "xmlns":
					binds = append(binds, binding{"", namespace(a.value)})
				}
			}
			space, ok := binds.lookup(t.name.prefix())
			if !ok && t.name.colon >= 0 {
				return nil, malformed("element %s uses an undeclared prefix", t.name.full)
			}
			v := &d.values.take(1, chunk)[0]
			v.Name, v.ns = intern(t.name.local()), space
			for _, a := range t.attrs {
				attrNS := ""
				if p := a.name.prefix(); p != nil && string(p) != "xmlns" {
					ns, ok := binds.lookup(p)
					if !ok {
						return nil, malformed("attribute %s uses an undeclared prefix", a.name.full)
					}
					attrNS = ns
				}
				unprefixed := a.name.colon < 0
				switch local := a.name.local(); {
				case string(local) == "type" && attrNS == NSXSI:
					q, err := binds.qname(a.value)
					if err != nil {
						return nil, err
					}
					v.Type = q
				case string(local) == "nil" && attrNS == NSXSI:
					v.Nil = string(a.value) == "true" || string(a.value) == "1"
				case string(local) == "arrayType" && attrNS == NSEncoding:
					base := a.value
					if i := bytes.IndexByte(base, '['); i >= 0 {
						base = base[:i]
					}
					q, err := binds.qname(base)
					if err != nil {
						return nil, err
					}
					v.ItemType = q
				case string(local) == "id" && unprefixed:
					if v.refKind == isHref {
						return nil, malformed("element %s has both an id and an href", t.name.full)
					}
					v.ref, v.refKind = intern(a.value), isID
					ids = append(ids, v)
				case string(local) == "href" && unprefixed:
					if v.refKind == isID {
						return nil, malformed("element %s has both an id and an href", t.name.full)
					}
					v.ref, v.refKind = intern(a.value), isHref
				case string(local) == "root" && attrNS == NSEncoding:
					v.notRoot = strings.TrimSpace(string(a.value)) == "0"
				}
			}
			v.IsArray = v.Type == ArrayType || !v.ItemType.IsZero()
			if len(stack) > 0 {
				kids = append(kids, v)
			} else {
				top = v
			}
			if t.selfClosing {
				binds = binds[:outer]
			} else {
				stack = append(stack, frame{v: v, binds: outer, name: t.name.full, kids: len(kids)})
			}
		}
	}
}

// binding is one namespace declaration in scope.
type binding struct{ prefix, uri string }

// namespace returns a declared namespace URI as a string; the well-known ones
// as the package's constants, so that comparing with them (on every
// attribute) is a pointer comparison.
func namespace(uri []byte) string {
	switch string(uri) {
	case NSXSI:
		return NSXSI
	case NSXSD:
		return NSXSD
	case NSEncoding:
		return NSEncoding
	case NSEnvelope:
		return NSEnvelope
	}
	return intern(uri)
}

// scope is the stack of declarations in force, innermost last. A message
// declares a handful, so a backwards scan beats a map per element.
type scope []binding

func (s scope) lookup(prefix []byte) (string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].prefix == string(prefix) {
			return s[i].uri, true
		}
	}
	return "", false
}

// qname resolves an xsi:type (or arrayType) value such as "ns3:TokenDTO".
func (s scope) qname(raw []byte) (QName, error) {
	if len(raw) > 0 && (raw[0] <= ' ' || raw[len(raw)-1] <= ' ') {
		raw = bytes.TrimSpace(raw)
	}
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		ns, _ := s.lookup(nil)
		return QName{ns, intern(raw)}, nil
	}
	prefix, loc := raw[:colon], raw[colon+1:]
	ns, found := s.lookup(prefix)
	if !found {
		return QName{}, malformed("xsi:type %q uses an undeclared prefix %q", raw, prefix)
	}
	if ns == NSXSD {
		return QName{NSXSD, xsdType(loc)}, nil
	}
	return QName{ns, intern(loc)}, nil
}

// xsdType returns the local name of an XML Schema type, without a lookup
// for the few that make up nearly every scalar.
func xsdType(loc []byte) string {
	switch string(loc) {
	case "string":
		return "string"
	case "boolean":
		return "boolean"
	case "int":
		return "int"
	case "long":
		return "long"
	case "dateTime":
		return "dateTime"
	}
	return intern(loc)
}

// resolution states of a multi-ref target
const (
	unresolved uint8 = iota
	resolving
	resolved
	claimed // resolved, and renamed in place for its first reference
)

type resolver struct {
	d    *Decoder // the ids, and the slab for the copies made for hrefs
	lim  Limits
	byID map[string]*Value // only for messages with many multi-refs; a scan is cheaper for few
}

func newResolver(d *Decoder, lim Limits) (*resolver, error) {
	r := &resolver{d: d, lim: lim}
	if len(d.ids) > 16 {
		r.byID = make(map[string]*Value, len(d.ids))
	}
	for _, v := range d.ids {
		dup := false
		if r.byID != nil {
			_, dup = r.byID[v.ref]
			r.byID[v.ref] = v
		} else {
			dup = r.target(v.ref) != v
		}
		if dup {
			return nil, malformed("two elements with id %q", v.ref)
		}
	}
	return r, nil
}

// target returns the element whose id is id.
func (r *resolver) target(id string) *Value {
	if r.byID != nil {
		return r.byID[id]
	}
	for _, v := range r.d.ids {
		if v.ref == id {
			return v
		}
	}
	return nil
}

// resolve replaces href="#id" members by the referenced object, named as the
// referencing member: the object itself for its first reference (Axis refers
// to each object once), a shallow copy for any further one. Each target is
// resolved once.
func (r *resolver) resolve(v *Value, depth int) (*Value, error) {
	if depth > r.lim.MaxDepth {
		return nil, malformed("values nested deeper than %d", r.lim.MaxDepth)
	}
	if v.refKind == isHref {
		id, ok := strings.CutPrefix(v.ref, "#")
		target := r.target(id)
		if !ok || target == nil {
			return nil, malformed("href %q points nowhere", v.ref)
		}
		switch target.state {
		case resolving:
			return nil, malformed("href %q forms a cycle", v.ref)
		case unresolved:
			target.state = resolving
			if _, err := r.resolve(target, depth+1); err != nil {
				return nil, err
			}
			target.state = resolved
		}
		if target.state == resolved {
			target.state = claimed
			target.Name = v.Name
			return target, nil
		}
		c := &r.d.values.take(1, 8)[0]
		*c = *target
		c.Name = v.Name
		return c, nil
	}
	for i, f := range v.Fields {
		nf, err := r.resolve(f, depth+1)
		if err != nil {
			return nil, err
		}
		v.Fields[i] = nf
	}
	return v, nil
}

// fault decodes a <Fault>: faultcode and faultstring through gosoap, the
// exception bean in <detail> (which gosoap flattens to text) here.
func (r *resolver) fault(data []byte, e *Value, msg *Message) (*Message, error) {
	var env gosoap.SoapEnvelope
	if err := xml.Unmarshal(data, &env); err != nil {
		return nil, malformed("fault envelope: %v", err)
	}
	resp := gosoap.Response{Body: env.Body.Contents}
	var sink struct{}
	if err := resp.Unmarshal(&sink); !gosoap.IsFault(err) {
		return nil, malformed("fault without faultcode")
	}
	var gf gosoap.Fault
	if err := xml.Unmarshal(env.Body.Contents, &gf); err != nil {
		return nil, malformed("fault: %v", err)
	}
	f := &Fault{Code: strings.TrimSpace(gf.Code), String: strings.TrimSpace(gf.Description)}
	for _, c := range e.Fields {
		if c.Name != "detail" {
			continue
		}
		for _, d := range c.Fields {
			if d.Name == "hostname" {
				f.Hostname = strings.TrimSpace(d.Text)
				continue
			}
			if f.Detail == nil {
				v, err := r.resolve(d, 0)
				if err != nil {
					return nil, err
				}
				f.Detail = v
			}
		}
	}
	msg.Fault = f
	return msg, nil
}
