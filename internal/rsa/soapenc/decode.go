package soapenc

import (
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

// Unmarshal decodes a SOAP 1.1 envelope: a Doc (doc.go) indexes the bytes in
// one pass, Values are built from it, and href="#id" references are then
// resolved by pointer, each multi-ref object once, so shared references share
// a subtree instead of being copied. Faults are decoded through gosoap's
// exported types (SoapEnvelope, Response.Unmarshal, FaultError, Fault); the
// section-5 values (xsi:type, multi-refs, arrays) are decoded here because
// gosoap knows nothing of them. Keeping gosoap off the success path saves two
// extra tokenizations of every reply.
//
// The message and its Values belong to the caller. Nothing in them refers to
// data, which the caller may reuse at once.
func Unmarshal(data []byte, lim Limits) (*Message, error) {
	doc := NewDoc()
	defer doc.Release()
	if err := doc.parse(data, lim); err != nil {
		return nil, err
	}
	wrapper, fault, err := doc.envelope()
	if err != nil {
		return nil, err
	}
	r := resolver{doc: doc, vals: doc.values(), lim: lim}
	msg := &Message{}
	if fault >= 0 {
		return r.fault(data, &r.vals[fault], msg)
	}
	w := &r.vals[wrapper]
	msg.Op = QName{w.ns, w.Name}
	msg.Parts = make([]*Value, 0, len(w.Fields))
	for _, c := range w.Fields {
		v, err := r.resolve(c, 0)
		if err != nil {
			return nil, err
		}
		msg.Parts = append(msg.Parts, v)
	}
	return msg, nil
}

// values builds a Value for every node of d, in one slab, with the tree's
// shape (hrefs not yet resolved). All texts share one string.
func (d *Doc) values() []Value {
	vals := make([]Value, len(d.nodes))
	kids, texts := 0, 0
	for i := range d.nodes {
		kids += int(d.nodes[i].kids)
		texts += int(d.nodes[i].text.n)
	}
	ptrs := make([]*Value, kids)
	arena := make([]byte, 0, texts)
	for i := range d.nodes {
		arena = append(arena, d.bytes(d.nodes[i].text)...)
	}
	all := string(arena)
	for i := range d.nodes {
		n, v := &d.nodes[i], &vals[i]
		v.Name, v.ns = intern(d.bytes(n.name)), d.spaces[n.ns]
		if n.flags&fTyped != 0 {
			v.Type = d.typeName(n.typeNS, n.typeLocal)
		}
		if n.flags&fItemTyped != 0 {
			v.ItemType = d.typeName(n.itemNS, n.arrItem)
		}
		v.Nil, v.IsArray, v.notRoot = n.flags&fNil != 0, n.flags&fArray != 0, n.flags&fNotRoot != 0
		switch {
		case n.flags&fID != 0:
			v.ref, v.refKind = intern(d.bytes(n.ref)), isID
		case n.flags&fHref != 0:
			v.ref, v.refKind = intern(d.bytes(n.ref)), isHref
		}
		v.Text, all = all[:n.text.n], all[n.text.n:]
		if n.kids > 0 {
			v.Fields, ptrs = ptrs[:n.kids:n.kids], ptrs[n.kids:]
			j := 0
			for c := n.first; c >= 0; c = d.nodes[c].next {
				v.Fields[j] = &vals[c]
				j++
			}
		}
	}
	return vals
}

// typeName is the QName of a node's xsi:type or arrayType.
func (d *Doc) typeName(ns int32, local span) QName {
	space := d.spaces[ns]
	if space == NSXSD {
		return QName{NSXSD, xsdType(d.bytes(local))}
	}
	return QName{space, intern(d.bytes(local))}
}

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
	doc  *Doc    // for the ids
	vals []Value // vals[i] is the Value of doc node i
	lim  Limits
}

// target returns the element whose id is id (the Doc has checked that every
// href has one).
func (r *resolver) target(id string) *Value {
	if i := docTarget(r.doc, id); i >= 0 {
		return &r.vals[i]
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
		c := new(Value)
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
