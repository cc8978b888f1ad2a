package soapenc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

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
func Unmarshal(data []byte, lim Limits) (*Message, error) {
	root, ids, err := parse(data, lim)
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
	r := resolver{ids: ids, lim: lim, state: map[*Value]uint8{}}
	if first := body.Fields[0]; first.Name == "Fault" && first.ns == NSEnvelope {
		return r.fault(data, first)
	}
	var wrapper *Value
	for _, c := range body.Fields {
		if c.id == "" && c.root != "0" {
			wrapper = c
			break
		}
	}
	if wrapper == nil {
		return nil, malformed("no RPC wrapper element in the Body")
	}
	msg := &Message{Op: QName{wrapper.ns, wrapper.Name}, Parts: make([]*Value, 0, len(wrapper.Fields))}
	for _, c := range wrapper.Fields {
		v, err := r.resolve(c, 0)
		if err != nil {
			return nil, err
		}
		msg.Parts = append(msg.Parts, v)
	}
	return msg, nil
}

// parse builds the element tree as Values, resolving element and xsi:type
// prefixes against its own scope stack, and indexes elements that carry an id.
//
// Allocation matters here (a reply is decoded on every command): Values come
// from slabs, each object's Fields slice is allocated once at its exact size from
// a shared scratch stack, and all scalar texts share one string.
func parse(data []byte, lim Limits) (*Value, map[string]*Value, error) {
	sc := scanner{b: data}
	type frame struct {
		v             *Value
		scope         map[string]string
		prefix, local string // as written, for end-tag matching
		text          []byte // a slice of the input unless the text came in pieces
		kids          int    // where this element's children start in kids
	}
	type textRef struct {
		v          *Value
		start, end int
	}
	// one slab for every element: start tags = "<" minus "</" (comments and
	// PIs make it a slight over-estimate; growth below covers anything else)
	elements := bytes.Count(data, []byte("<")) - bytes.Count(data, []byte("</"))
	var (
		// capped: a hostile body of "<<<<" must not buy a big allocation
		slab  = make([]Value, 0, min(max(elements, 8), 1024))
		kids  []*Value
		arena []byte
		texts []textRef
	)
	newValue := func() *Value {
		if len(slab) == cap(slab) {
			slab = make([]Value, 0, min(8+2*cap(slab), 64)) // grows with the message
		}
		slab = slab[:len(slab)+1]
		return &slab[len(slab)-1]
	}
	maxDepth := lim.MaxDepth*2 + 8
	stack := make([]frame, 0, 16)
	var top *Value
	var ids map[string]*Value
	count := 0
	base := map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}
	var t token
	for {
		if err := sc.next(&t); err != nil {
			return nil, nil, err
		}
		switch t.kind {
		case tokEOF:
			if top == nil {
				return nil, nil, malformed("no root element")
			}
			if len(stack) != 0 {
				return nil, nil, malformed("document ends inside <%s>", stack[len(stack)-1].local)
			}
			all := string(arena)
			for _, t := range texts {
				t.v.Text = all[t.start:t.end]
			}
			return top, ids, nil
		case tokText:
			if len(stack) > 0 {
				f := &stack[len(stack)-1]
				if f.text == nil {
					f.text = t.text
				} else {
					f.text = append(f.text[:len(f.text):len(f.text)], t.text...)
				}
			} else if len(bytes.TrimLeft(t.text, " \t\r\n")) > 0 {
				return nil, nil, malformed("text outside the root element")
			}
		case tokEnd:
			if len(stack) == 0 {
				return nil, nil, malformed("unbalanced end element")
			}
			f := stack[len(stack)-1]
			if f.prefix != t.prefix || f.local != t.local {
				return nil, nil, malformed("element <%s> closed by </%s>", f.local, t.local)
			}
			if n := len(kids) - f.kids; n > 0 {
				f.v.Fields = append(make([]*Value, 0, n), kids[f.kids:]...)
				kids = kids[:f.kids]
			} else if !f.v.Nil && len(f.text) > 0 {
				texts = append(texts, textRef{f.v, len(arena), len(arena) + len(f.text)})
				arena = append(arena, f.text...)
			}
			stack = stack[:len(stack)-1]
		case tokStart:
			if len(stack) >= maxDepth {
				return nil, nil, malformed("elements nested deeper than %d", maxDepth)
			}
			if top != nil && len(stack) == 0 {
				return nil, nil, malformed("more than one root element")
			}
			if count++; count > lim.MaxValues {
				return nil, nil, malformed("more than %d elements", lim.MaxValues)
			}
			cur := base
			if len(stack) > 0 {
				cur = stack[len(stack)-1].scope
			}
			// copy-on-write: most elements declare no namespace of their own
			scope, copied := cur, false
			for _, a := range t.attrs {
				isDefault := a.prefix == "" && a.local == "xmlns"
				if a.prefix == "xmlns" || isDefault {
					if !copied {
						scope, copied = copyMap(cur), true
					}
					key := a.local
					if isDefault {
						key = ""
					}
					scope[key] = a.value
				}
			}
			space, ok := scope[t.prefix]
			if !ok && t.prefix != "" {
				return nil, nil, malformed("element %s:%s uses an undeclared prefix", t.prefix, t.local)
			}
			v := newValue()
			v.Name, v.ns = t.local, space
			for _, a := range t.attrs {
				attrNS := ""
				if a.prefix != "" && a.prefix != "xmlns" {
					ns, ok := scope[a.prefix]
					if !ok {
						return nil, nil, malformed("attribute %s:%s uses an undeclared prefix", a.prefix, a.local)
					}
					attrNS = ns
				}
				switch {
				case a.local == "type" && attrNS == NSXSI:
					q, err := resolveQName(a.value, scope)
					if err != nil {
						return nil, nil, err
					}
					v.Type = q
				case a.local == "nil" && attrNS == NSXSI:
					v.Nil = a.value == "true" || a.value == "1"
				case a.local == "arrayType" && attrNS == NSEncoding:
					base := a.value
					if i := strings.IndexByte(base, '['); i >= 0 {
						base = base[:i]
					}
					q, err := resolveQName(base, scope)
					if err != nil {
						return nil, nil, err
					}
					v.ItemType = q
				case a.local == "id" && a.prefix == "":
					v.id = a.value
					if ids == nil {
						ids = map[string]*Value{}
					}
					ids[a.value] = v
				case a.local == "href" && a.prefix == "":
					v.href = a.value
				case a.local == "root" && attrNS == NSEncoding:
					v.root = a.value
				}
			}
			v.IsArray = v.Type == ArrayType || !v.ItemType.IsZero()
			if len(stack) > 0 {
				kids = append(kids, v)
			} else {
				top = v
			}
			if !t.selfClosing {
				stack = append(stack, frame{v: v, scope: scope, prefix: t.prefix, local: t.local, kids: len(kids)})
			}
		}
	}
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func resolveQName(v string, scope map[string]string) (QName, error) {
	v = strings.TrimSpace(v)
	prefix, loc, ok := strings.Cut(v, ":")
	if !ok {
		return QName{scope[""], v}, nil
	}
	ns, found := scope[prefix]
	if !found {
		return QName{}, malformed("xsi:type %q uses an undeclared prefix %q", v, prefix)
	}
	return QName{ns, loc}, nil
}

// resolution states of a multi-ref target
const (
	unresolved uint8 = iota
	resolving
	resolved
)

type resolver struct {
	ids   map[string]*Value
	lim   Limits
	state map[*Value]uint8
}

// resolve replaces href="#id" members by (a shallow copy of) the referenced
// object, named as the referencing member. Each target is resolved once.
func (r *resolver) resolve(v *Value, depth int) (*Value, error) {
	if depth > r.lim.MaxDepth {
		return nil, malformed("values nested deeper than %d", r.lim.MaxDepth)
	}
	if v.href != "" {
		id, ok := strings.CutPrefix(v.href, "#")
		target := r.ids[id]
		if !ok || target == nil {
			return nil, malformed("href %q points nowhere", v.href)
		}
		switch r.state[target] {
		case resolving:
			return nil, malformed("href %q forms a cycle", v.href)
		case unresolved:
			r.state[target] = resolving
			if _, err := r.resolve(target, depth+1); err != nil {
				return nil, err
			}
			r.state[target] = resolved
		}
		c := *target
		c.Name = v.Name
		return &c, nil
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
func (r *resolver) fault(data []byte, e *Value) (*Message, error) {
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
	return &Message{Fault: f}, nil
}
