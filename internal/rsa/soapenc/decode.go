package soapenc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// raw is a parsed element before href resolution. QName-valued attributes are
// resolved against the namespace scope in force where they appear.
type raw struct {
	name      xml.Name
	id, href  string
	root      string
	xsiType   QName
	nilAttr   bool
	arrayType QName
	text      strings.Builder
	children  []*raw
}

// Unmarshal decodes a SOAP 1.1 envelope. The envelope shape and fault detection go
// through gosoap's exported types (SoapEnvelope, Response.Unmarshal, FaultError);
// the section-5 values are decoded here because gosoap knows nothing of xsi:type,
// hrefs or arrays.
func Unmarshal(data []byte, lim Limits) (*Message, error) {
	var env gosoap.SoapEnvelope
	if err := xml.Unmarshal(data, &env); err != nil {
		return nil, malformed("not a SOAP envelope: %v", err)
	}
	resp := gosoap.Response{Body: env.Body.Contents}
	var sink struct{}
	faultErr := resp.Unmarshal(&sink)
	isFault := gosoap.IsFault(faultErr)
	if faultErr != nil && !isFault {
		return nil, malformed("body: %v", faultErr)
	}

	rootElem, err := parse(data, lim)
	if err != nil {
		return nil, err
	}
	if rootElem.name.Local != "Envelope" || rootElem.name.Space != NSEnvelope {
		return nil, malformed("root element is {%s}%s, not a SOAP 1.1 Envelope", rootElem.name.Space, rootElem.name.Local)
	}
	var body *raw
	for _, c := range rootElem.children {
		if c.name.Local == "Body" && c.name.Space == NSEnvelope {
			body = c
		}
	}
	if body == nil || len(body.children) == 0 {
		return nil, malformed("empty SOAP Body")
	}
	r := resolver{ids: map[string]*raw{}, lim: lim}
	for _, c := range body.children {
		r.index(c)
	}
	if isFault {
		return r.fault(body.children[0])
	}
	var wrapper *raw
	for _, c := range body.children {
		if c.id == "" && c.root != "0" {
			wrapper = c
			break
		}
	}
	if wrapper == nil {
		return nil, malformed("no RPC wrapper element in the Body")
	}
	msg := &Message{Op: QName{wrapper.name.Space, wrapper.name.Local}}
	for _, c := range wrapper.children {
		v, err := r.value(c, 0)
		if err != nil {
			return nil, err
		}
		msg.Parts = append(msg.Parts, v)
	}
	return msg, nil
}

// parse builds the raw element tree, tracking xmlns declarations so that
// xsi:type="p:Name" values can be resolved.
func parse(data []byte, lim Limits) (*raw, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	type frame struct {
		el     *raw
		scope  map[string]string
		parent int
	}
	var stack []frame
	var top *raw
	scope := map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= lim.MaxDepth*2+8 {
				return nil, malformed("elements nested deeper than %d", lim.MaxDepth*2+8)
			}
			cur := scope
			if len(stack) > 0 {
				cur = stack[len(stack)-1].scope
			}
			// copy-on-write: most elements declare no namespace of their own
			local, copied := cur, false
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					if !copied {
						local, copied = copyMap(cur), true
					}
					key := a.Name.Local
					if a.Name.Space == "" {
						key = ""
					}
					local[key] = a.Value
				}
			}
			el := &raw{name: t.Name}
			for _, a := range t.Attr {
				switch {
				case a.Name.Local == "type" && a.Name.Space == NSXSI:
					q, err := resolveQName(a.Value, local)
					if err != nil {
						return nil, err
					}
					el.xsiType = q
				case a.Name.Local == "nil" && a.Name.Space == NSXSI:
					el.nilAttr = a.Value == "true" || a.Value == "1"
				case a.Name.Local == "arrayType" && a.Name.Space == NSEncoding:
					base := a.Value
					if i := strings.IndexByte(base, '['); i >= 0 {
						base = base[:i]
					}
					q, err := resolveQName(base, local)
					if err != nil {
						return nil, err
					}
					el.arrayType = q
				case a.Name.Local == "id" && a.Name.Space == "":
					el.id = a.Value
				case a.Name.Local == "href" && a.Name.Space == "":
					el.href = a.Value
				case a.Name.Local == "root" && a.Name.Space == NSEncoding:
					el.root = a.Value
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1].el
				p.children = append(p.children, el)
			} else if top == nil {
				top = el
			}
			stack = append(stack, frame{el: el, scope: local})
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, malformed("unbalanced end element")
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].el.text.Write(t)
			}
		}
	}
	if top == nil {
		return nil, malformed("no root element")
	}
	return top, nil
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

type resolver struct {
	ids   map[string]*raw
	lim   Limits
	count int
	busy  map[string]bool
}

func (r *resolver) index(e *raw) {
	if e.id != "" {
		r.ids[e.id] = e
	}
	for _, c := range e.children {
		r.index(c)
	}
}

// value converts a raw element into a Value, following href="#id" to the
// referenced element (keeping the referencing element's name).
func (r *resolver) value(e *raw, depth int) (*Value, error) {
	if depth > r.lim.MaxDepth {
		return nil, malformed("values nested deeper than %d", r.lim.MaxDepth)
	}
	r.count++
	if r.count > r.lim.MaxValues {
		return nil, malformed("more than %d values", r.lim.MaxValues)
	}
	name := e.name.Local
	if e.href != "" {
		id, ok := strings.CutPrefix(e.href, "#")
		target := r.ids[id]
		if !ok || target == nil {
			return nil, malformed("href %q points nowhere", e.href)
		}
		if r.busy == nil {
			r.busy = map[string]bool{}
		}
		if r.busy[id] {
			return nil, malformed("href %q forms a cycle", e.href)
		}
		r.busy[id] = true
		v, err := r.value(target, depth+1)
		delete(r.busy, id)
		if err != nil {
			return nil, err
		}
		v.Name = name
		return v, nil
	}
	v := &Value{Name: name, Type: e.xsiType, Nil: e.nilAttr, ItemType: e.arrayType}
	if e.xsiType == ArrayType || !e.arrayType.IsZero() {
		v.IsArray = true
	}
	if v.Nil {
		return v, nil
	}
	if len(e.children) == 0 {
		v.Text = e.text.String()
		return v, nil
	}
	for _, c := range e.children {
		f, err := r.value(c, depth+1)
		if err != nil {
			return nil, err
		}
		v.Fields = append(v.Fields, f)
	}
	return v, nil
}

func (r *resolver) fault(e *raw) (*Message, error) {
	f := &Fault{}
	for _, c := range e.children {
		switch c.name.Local {
		case "faultcode":
			f.Code = strings.TrimSpace(c.text.String())
		case "faultstring":
			f.String = strings.TrimSpace(c.text.String())
		case "detail":
			for _, d := range c.children {
				if d.name.Local == "hostname" {
					f.Hostname = strings.TrimSpace(d.text.String())
					continue
				}
				if f.Detail == nil {
					v, err := r.value(d, 0)
					if err != nil {
						return nil, err
					}
					f.Detail = v
				}
			}
		}
	}
	if f.Code == "" && f.String == "" {
		return nil, malformed("fault without faultcode or faultstring")
	}
	return &Message{Fault: f}, nil
}
