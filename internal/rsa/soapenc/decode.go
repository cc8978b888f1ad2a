package soapenc

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tiaguinho/gosoap"
)

// Limits bound what a decoder accepts from an untrusted peer. (The size of a
// message is bounded by whoever reads it off the wire.)
type Limits struct {
	MaxDepth  int // element nesting, href chains included
	MaxValues int // elements in the message (guards against shared-ref blow-up too)
	// MaxAttrs is the attributes one element may have (0: 512). AM's
	// elements have a handful, an envelope a namespace declaration for
	// each of the WSDL's ~120 namespaces (node-soap); tens of thousands
	// made the checks of one crafted element take seconds.
	MaxAttrs int
}

// DefaultLimits suit AM replies: the largest (a token list) is a few hundred values.
var DefaultLimits = Limits{MaxDepth: 48, MaxValues: 200_000, MaxAttrs: 512}

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

// Unmarshal decodes a SOAP 1.1 envelope with one walk of encoding/xml's
// tokens. Section-5 values (xsi:type, xsi:nil, soapenc arrays, href/id
// multi-references) are read here, because neither encoding/xml nor gosoap
// knows them; a Fault is decoded through gosoap's Fault type, its exception
// bean (which gosoap would flatten to text) through the same walk.
//
// encoding/xml resolves the prefixes of element and attribute names, but not
// those inside attribute values, and xsi:type values are QNames; so the walk
// keeps its own stack of namespace declarations.
//
// Refused, as ErrMalformed: anything but a SOAP 1.1 Envelope, a DOCTYPE,
// undeclared prefixes, duplicate attributes, duplicate ids, an element with
// both id and href, hrefs that point nowhere or form a cycle, nesting deeper
// than lim.MaxDepth, more than lim.MaxValues elements.
func Unmarshal(data []byte, lim Limits) (*Message, error) {
	return UnmarshalContext(context.Background(), data, lim)
}

// UnmarshalContext is Unmarshal that gives up when ctx ends: the time a
// call may take includes reading its reply (a crafted one held a lookup
// for 50 s past its timeout).
func UnmarshalContext(ctx context.Context, data []byte, lim Limits) (*Message, error) {
	if lim.MaxAttrs <= 0 {
		lim.MaxAttrs = 512
	}
	w := &walker{d: xml.NewDecoder(bytes.NewReader(data)), lim: lim, ids: map[string]*Value{}, ctx: ctx, inScope: map[string]int{}}
	w.d.Strict = true
	msg, err := w.envelope()
	if err != nil {
		if errors.Is(err, ErrMalformed) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
			return nil, err
		}
		return nil, malformed("%v", err)
	}
	return msg, nil
}

// binding is one namespace declaration in scope.
type binding struct{ prefix, uri string }

type walker struct {
	ctx   context.Context
	ticks int // tokens read: ctx is looked at every 1,024
	d     *xml.Decoder
	lim   Limits
	binds []binding
	// inScope counts the declarations in binds of each namespace: whether
	// one is declared is a map look-up, not a walk of every declaration
	inScope map[string]int
	ids     map[string]*Value
	hrefs   []*Value // every reference, checked once the message is read
	count   int
	depth   int
	slab    []Value // Values are carved from here: one allocation per 64
}

// value returns a fresh Value from the slab.
func (w *walker) value() *Value {
	if len(w.slab) == 0 {
		w.slab = make([]Value, 64)
	}
	v := &w.slab[0]
	w.slab = w.slab[1:]
	return v
}

// token returns the next token, refusing DOCTYPEs (AM never sends one, and
// a parser that takes them is where entity tricks begin).
func (w *walker) token() (xml.Token, error) {
	if w.ticks++; w.ticks%1024 == 0 && w.ctx != nil {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
	}
	t, err := w.d.Token()
	if err != nil {
		return nil, err
	}
	if _, ok := t.(xml.Directive); ok {
		return nil, malformed("a DOCTYPE or other directive")
	}
	return t, nil
}

// envelope reads the whole message.
func (w *walker) envelope() (*Message, error) {
	root, err := w.rootStart()
	if err != nil {
		return nil, err
	}
	if root.Name.Space != NSEnvelope || root.Name.Local != "Envelope" {
		return nil, malformed("root element is {%s}%s, not a SOAP 1.1 Envelope", root.Name.Space, root.Name.Local)
	}
	outer, err := w.push(root)
	if err != nil {
		return nil, err
	}
	msg := &Message{}
	var body []*Value
	var fault *faultElement
	sawBody := false
	for {
		t, err := w.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Space == NSEnvelope && t.Name.Local == "Body" && !sawBody {
				sawBody = true
				if body, fault, err = w.body(t); err != nil {
					return nil, err
				}
				continue
			}
			// the Header and anything else: read (so that it is checked), unused
			if _, err := w.element(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			w.popTo(outer)
			if err := w.epilogue(); err != nil {
				return nil, err
			}
			return w.finish(msg, body, fault, sawBody)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, malformed("text in the Envelope")
			}
		}
	}
}

// rootStart skips the prolog (XML declaration, comments, white space).
func (w *walker) rootStart() (xml.StartElement, error) {
	for {
		t, err := w.token()
		if err == io.EOF {
			return xml.StartElement{}, malformed("no root element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, malformed("text outside the root element")
			}
		}
	}
}

// epilogue reads what follows the root element: comments and white space only.
func (w *walker) epilogue() error {
	for {
		t, err := w.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return malformed("more than one root element")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return malformed("text outside the root element")
			}
		}
	}
}

// body reads the Body's children: a Fault, or the RPC wrapper and the
// multi-ref objects beside it.
func (w *walker) body(start xml.StartElement) ([]*Value, *faultElement, error) {
	outer, err := w.push(start)
	if err != nil {
		return nil, nil, err
	}
	defer func() { w.popTo(outer) }()
	var kids []*Value
	var fault *faultElement
	for {
		t, err := w.token()
		if err != nil {
			return nil, nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Space == NSEnvelope && t.Name.Local == "Fault" && len(kids) == 0 && fault == nil {
				if fault, err = w.fault(t); err != nil {
					return nil, nil, err
				}
				continue
			}
			v, err := w.element(t)
			if err != nil {
				return nil, nil, err
			}
			kids = append(kids, v)
		case xml.EndElement:
			return kids, fault, nil
		}
	}
}

// faultElement is gosoap's Fault with its detail read as values: the field
// here shadows gosoap's Detail string (encoding/xml takes the shallower of
// two fields with one name).
type faultElement struct {
	gosoap.Fault
	Detail detailElement `xml:"detail"`
}

// detailElement reads <detail>'s children through the walker.
type detailElement struct {
	w    *walker
	kids []*Value
}

func (d *detailElement) UnmarshalXML(_ *xml.Decoder, start xml.StartElement) error {
	kids, err := d.w.children(start)
	d.kids = kids
	return err
}

func (w *walker) fault(start xml.StartElement) (*faultElement, error) {
	outer, err := w.push(start)
	if err != nil {
		return nil, err
	}
	defer func() { w.popTo(outer) }()
	f := &faultElement{Detail: detailElement{w: w}}
	if err := w.d.DecodeElement(f, &start); err != nil {
		return nil, err
	}
	return f, nil
}

// push enters an element: its namespace declarations come into scope, its
// names are checked. It returns the scope to go back to when it ends.
func (w *walker) push(t xml.StartElement) (int, error) {
	outer := len(w.binds)
	if len(t.Attr) > w.lim.MaxAttrs {
		return 0, malformed("element %s has %d attributes (at most %d)", t.Name.Local, len(t.Attr), w.lim.MaxAttrs)
	}
	var seen map[xml.Name]bool // past a few attributes, a set: comparing each with each is quadratic
	if len(t.Attr) > 16 {
		seen = make(map[xml.Name]bool, len(t.Attr))
	}
	for i, a := range t.Attr {
		dup := seen[a.Name]
		if seen == nil {
			for _, b := range t.Attr[:i] {
				dup = dup || b.Name == a.Name
			}
		} else {
			seen[a.Name] = true
		}
		if dup {
			w.popTo(outer)
			return 0, malformed("element %s has two %s attributes", t.Name.Local, a.Name.Local)
		}
		switch {
		case a.Name.Space == "xmlns":
			w.bind(binding{a.Name.Local, a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			w.bind(binding{"", a.Value})
		}
	}
	// encoding/xml leaves an undeclared prefix where the namespace would be
	if !w.declared(t.Name.Space) {
		return 0, malformed("element %s uses an undeclared prefix %s", t.Name.Local, t.Name.Space)
	}
	for _, a := range t.Attr {
		if a.Name.Space != "xmlns" && !w.declared(a.Name.Space) {
			return 0, malformed("attribute %s uses an undeclared prefix %s", a.Name.Local, a.Name.Space)
		}
	}
	return outer, nil
}

// declared reports whether a namespace as encoding/xml reports it is one
// that is declared in scope (or none, or the predeclared xml namespace).
func (w *walker) declared(space string) bool {
	return space == "" || space == nsXML || w.inScope[space] > 0
}

func (w *walker) bind(b binding) {
	w.binds = append(w.binds, b)
	w.inScope[b.uri]++
}

// popTo leaves the declarations made after the first n.
func (w *walker) popTo(n int) {
	for _, b := range w.binds[n:] {
		if w.inScope[b.uri]--; w.inScope[b.uri] == 0 {
			delete(w.inScope, b.uri)
		}
	}
	w.binds = w.binds[:n]
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

// lookup resolves a prefix in scope ("" is the default namespace).
func (w *walker) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for i := len(w.binds) - 1; i >= 0; i-- {
		if w.binds[i].prefix == prefix {
			return w.binds[i].uri, true
		}
	}
	return "", prefix == ""
}

// qname resolves a QName-valued attribute such as xsi:type="ns3:TokenDTO".
func (w *walker) qname(s string) (QName, error) {
	s = strings.TrimSpace(s)
	prefix, local, ok := strings.Cut(s, ":")
	if !ok {
		prefix, local = "", s
	}
	if local == "" || strings.ContainsAny(local, ": \t\r\n") {
		return QName{}, malformed("%q is not a QName", s)
	}
	space, ok := w.lookup(prefix)
	if !ok {
		return QName{}, malformed("type %q uses an undeclared prefix", s)
	}
	return QName{space, local}, nil
}

// element reads one element (start already read) and everything in it.
func (w *walker) element(start xml.StartElement) (*Value, error) {
	w.count++
	if w.count > w.lim.MaxValues {
		return nil, malformed("more than %d elements", w.lim.MaxValues)
	}
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > w.lim.MaxDepth*2+8 {
		return nil, malformed("elements nested deeper than %d", w.lim.MaxDepth*2+8)
	}
	outer, err := w.push(start)
	if err != nil {
		return nil, err
	}
	defer func() { w.popTo(outer) }()
	v := w.value()
	v.Name, v.ns = start.Name.Local, start.Name.Space
	if err := w.attributes(v, start); err != nil {
		return nil, err
	}
	kids, text, err := w.content(start)
	if err != nil {
		return nil, err
	}
	v.Fields = kids
	if len(kids) == 0 && !v.Nil {
		v.Text = text
	}
	return v, nil
}

// children reads the child elements of an element whose start was read.
func (w *walker) children(start xml.StartElement) ([]*Value, error) {
	outer, err := w.push(start)
	if err != nil {
		return nil, err
	}
	defer func() { w.popTo(outer) }()
	kids, _, err := w.content(start)
	return kids, err
}

// content reads up to the element's end: its children and its text (of a
// leaf; one piece of character data is the common case, kept as one string).
func (w *walker) content(start xml.StartElement) ([]*Value, string, error) {
	var kids []*Value
	var text string
	pieces := 0
	for {
		t, err := w.token()
		if err != nil {
			if err == io.EOF {
				return nil, "", malformed("document ends inside <%s>", start.Name.Local)
			}
			return nil, "", err
		}
		switch t := t.(type) {
		case xml.StartElement:
			c, err := w.element(t)
			if err != nil {
				return nil, "", err
			}
			kids = append(kids, c)
		case xml.CharData:
			if len(kids) == 0 && len(t) > 0 {
				if pieces++; pieces == 1 {
					text = string(t)
				} else {
					text += string(t)
				}
			}
		case xml.EndElement:
			return kids, text, nil
		}
	}
}

// attributes reads the section-5 attributes of an element.
func (w *walker) attributes(v *Value, t xml.StartElement) error {
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == NSXSI && a.Name.Local == "type":
			q, err := w.qname(a.Value)
			if err != nil {
				return err
			}
			v.Type = q
		case a.Name.Space == NSXSI && a.Name.Local == "nil":
			v.Nil = a.Value == "true" || a.Value == "1"
		case a.Name.Space == NSEncoding && a.Name.Local == "arrayType":
			base, _, _ := strings.Cut(a.Value, "[")
			q, err := w.qname(base)
			if err != nil {
				return err
			}
			v.ItemType = q
		case a.Name.Space == NSEncoding && a.Name.Local == "root":
			v.notRoot = strings.TrimSpace(a.Value) == "0"
		case a.Name.Space == "" && a.Name.Local == "id":
			if v.refKind == isHref {
				return malformed("element %s has both an id and an href", t.Name.Local)
			}
			if _, dup := w.ids[a.Value]; dup {
				return malformed("two elements with id %q", a.Value)
			}
			v.ref, v.refKind = a.Value, isID
			w.ids[a.Value] = v
		case a.Name.Space == "" && a.Name.Local == "href":
			if v.refKind == isID {
				return malformed("element %s has both an id and an href", t.Name.Local)
			}
			v.ref, v.refKind = a.Value, isHref
			w.hrefs = append(w.hrefs, v)
		}
	}
	v.IsArray = !v.ItemType.IsZero() || v.Type == ArrayType
	return nil
}

// finish checks every reference and resolves the parts of the message.
func (w *walker) finish(msg *Message, body []*Value, fault *faultElement, sawBody bool) (*Message, error) {
	for _, h := range w.hrefs {
		if _, err := w.follow(h); err != nil {
			return nil, err
		}
	}
	r := resolver{w: w}
	if fault != nil {
		return w.faultMessage(msg, fault, &r)
	}
	if !sawBody || len(body) == 0 {
		return nil, malformed("empty SOAP Body")
	}
	var wrapper *Value
	for _, c := range body {
		if c.refKind != isID && !c.notRoot {
			wrapper = c
			break
		}
	}
	if wrapper == nil {
		return nil, malformed("no RPC wrapper element in the Body")
	}
	msg.Op = QName{wrapper.ns, wrapper.Name}
	msg.Parts = make([]*Value, 0, len(wrapper.Fields))
	for _, c := range wrapper.Fields {
		v, err := r.resolve(c, 0)
		if err != nil {
			return nil, err
		}
		msg.Parts = append(msg.Parts, v)
	}
	return msg, nil
}

func (w *walker) faultMessage(msg *Message, fe *faultElement, r *resolver) (*Message, error) {
	if strings.TrimSpace(fe.Code) == "" {
		return nil, malformed("fault without faultcode")
	}
	f := &Fault{Code: strings.TrimSpace(fe.Code), String: strings.TrimSpace(fe.Description)}
	for _, d := range fe.Detail.kids {
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
	msg.Fault = f
	return msg, nil
}

// follow returns the value an href refers to, through chains of hrefs up to
// the depth limit.
func (w *walker) follow(v *Value) (*Value, error) {
	for range w.lim.MaxDepth + 1 {
		if v.refKind != isHref {
			return v, nil
		}
		id, ok := strings.CutPrefix(v.ref, "#")
		t := w.ids[id]
		if !ok || t == nil {
			return nil, malformed("href %q points nowhere", v.ref)
		}
		v = t
	}
	return nil, malformed("href chain longer than %d", w.lim.MaxDepth)
}

// resolution states of a multi-ref target
const (
	unresolved uint8 = iota
	resolving
	resolved
	claimed // resolved, and renamed in place for its first reference
)

type resolver struct{ w *walker }

// resolve replaces href="#id" members by the referenced object, named as the
// referencing member: the object itself for its first reference (Axis refers
// to each object once), a shallow copy for any further one. Each target is
// resolved once, so shared references share a subtree instead of copying it.
func (r *resolver) resolve(v *Value, depth int) (*Value, error) {
	if depth > r.w.lim.MaxDepth {
		return nil, malformed("values nested deeper than %d", r.w.lim.MaxDepth)
	}
	if v.refKind == isHref {
		id, _ := strings.CutPrefix(v.ref, "#")
		target := r.w.ids[id] // present: finish has followed every href
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
