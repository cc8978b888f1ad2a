package soapenc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Style selects how objects are laid out in a body.
type Style int

const (
	// Inline nests every object inside its parent (what Go and zeep clients send).
	Inline Style = iota
	// MultiRef writes every object as a top-level <multiRef id=…> referenced by
	// href, the way a stock Axis 1 server (and so, very likely, AM) answers.
	MultiRef
)

// fixedPrefix returns the prefix of a namespace every envelope declares.
func fixedPrefix(space string) (string, bool) {
	switch space {
	case NSXSD:
		return "xsd", true
	case NSXSI:
		return "xsi", true
	case NSEncoding:
		return "soapenc", true
	case NSEnvelope:
		return "soapenv", true
	}
	return "", false
}

// encoder writes one envelope. Prefixes are chosen up front (ns1, ns2, … in order
// of first use) and declared on the Envelope element, so every xsi:type value in
// the body resolves without per-element declarations.
type encoder struct {
	buf      bytes.Buffer
	e        *xml.Encoder
	prefix   map[string]string
	order    []string
	style    Style
	nextID   int
	deferred []*Value // MultiRef: objects still to be written, in id order
}

func newEncoder(style Style) *encoder {
	enc := &encoder{prefix: map[string]string{}, style: style}
	enc.e = xml.NewEncoder(&enc.buf)
	return enc
}

func (enc *encoder) use(space string) {
	if space == "" {
		return
	}
	if _, ok := fixedPrefix(space); ok {
		return
	}
	if _, ok := enc.prefix[space]; ok {
		return
	}
	enc.order = append(enc.order, space)
	enc.prefix[space] = "ns" + strconv.Itoa(len(enc.order))
}

func (enc *encoder) collect(v *Value) {
	if v == nil {
		return
	}
	enc.use(v.Type.Space)
	enc.use(v.ItemType.Space)
	for _, f := range v.Fields {
		enc.collect(f)
	}
}

func (enc *encoder) qname(q QName) string {
	if p, ok := fixedPrefix(q.Space); ok {
		return p + ":" + q.Local
	}
	if p, ok := enc.prefix[q.Space]; ok {
		return p + ":" + q.Local
	}
	return q.Local
}

func local(name string) xml.Name { return xml.Name{Local: name} }

func attr(name, value string) xml.Attr { return xml.Attr{Name: local(name), Value: value} }

func (enc *encoder) start(name string, attrs ...xml.Attr) error {
	return enc.e.EncodeToken(xml.StartElement{Name: local(name), Attr: attrs})
}

func (enc *encoder) end(name string) error {
	return enc.e.EncodeToken(xml.EndElement{Name: local(name)})
}

func (enc *encoder) text(s string) error {
	if s == "" {
		return nil
	}
	return enc.e.EncodeToken(xml.CharData(s))
}

func (enc *encoder) envelopeStart() error {
	attrs := []xml.Attr{
		attr("xmlns:soapenv", NSEnvelope),
		attr("xmlns:soapenc", NSEncoding),
		attr("xmlns:xsd", NSXSD),
		attr("xmlns:xsi", NSXSI),
	}
	for _, space := range enc.order {
		attrs = append(attrs, attr("xmlns:"+enc.prefix[space], space))
	}
	if err := enc.start("soapenv:Envelope", attrs...); err != nil {
		return err
	}
	return enc.start("soapenv:Body")
}

func (enc *encoder) envelopeEnd() error {
	if err := enc.end("soapenv:Body"); err != nil {
		return err
	}
	if err := enc.end("soapenv:Envelope"); err != nil {
		return err
	}
	return enc.e.Flush()
}

// wrapperAttrs are the RPC wrapper element's attributes.
var wrapperAttrs = []xml.Attr{attr("soapenv:encodingStyle", NSEncoding)}

// isObject reports whether v is a bean (written as a multi-ref in MultiRef style).
func isObject(v *Value) bool {
	return !v.Nil && !v.IsArray && !v.Type.IsZero() && v.Type.Space != NSXSD && v.Type != ArrayType
}

func (enc *encoder) value(v *Value, extra ...xml.Attr) error {
	if enc.style == MultiRef && isObject(v) && len(extra) == 0 {
		id := "id" + strconv.Itoa(enc.nextID)
		enc.nextID++
		ref := *v
		enc.deferred = append(enc.deferred, &ref)
		if err := enc.start(v.Name, attr("href", "#"+id)); err != nil {
			return err
		}
		return enc.end(v.Name)
	}
	attrs := append([]xml.Attr(nil), extra...)
	if v.Nil {
		attrs = append(attrs, attr("xsi:nil", "true"))
		if err := enc.start(v.Name, attrs...); err != nil {
			return err
		}
		return enc.end(v.Name)
	}
	if !v.Type.IsZero() {
		attrs = append(attrs, attr("xsi:type", enc.qname(v.Type)))
	}
	if v.IsArray && !v.ItemType.IsZero() {
		attrs = append(attrs, attr("soapenc:arrayType", enc.qname(v.ItemType)+"["+strconv.Itoa(len(v.Fields))+"]"))
	}
	if err := enc.start(v.Name, attrs...); err != nil {
		return err
	}
	if len(v.Fields) > 0 {
		for _, f := range v.Fields {
			if err := enc.value(f); err != nil {
				return err
			}
		}
	} else if err := enc.text(v.Text); err != nil {
		return err
	}
	return enc.end(v.Name)
}

// flushMultiRefs writes the deferred objects as <multiRef id=…> elements. Writing
// one may defer more (nested objects), so it loops until none is left.
func (enc *encoder) flushMultiRefs() error {
	for i := 0; i < len(enc.deferred); i++ {
		v := *enc.deferred[i]
		v.Name = "multiRef"
		extra := []xml.Attr{
			attr("id", "id"+strconv.Itoa(i)),
			attr("soapenc:root", "0"),
			attr("soapenv:encodingStyle", NSEncoding),
		}
		if err := enc.value(&v, extra...); err != nil {
			return err
		}
	}
	return nil
}

// Marshal writes an RPC/encoded request or response envelope whose body holds the
// wrapper element op with the given parts (in0, in1 or executeCommandReturn).
func Marshal(op QName, parts []*Value, style Style) ([]byte, error) {
	enc := newEncoder(style)
	enc.use(op.Space)
	for _, p := range parts {
		enc.collect(p)
	}
	wrapper := enc.qname(op)
	if err := enc.envelopeStart(); err != nil {
		return nil, err
	}
	if err := enc.start(wrapper, wrapperAttrs...); err != nil {
		return nil, err
	}
	for _, p := range parts {
		if err := enc.value(p); err != nil {
			return nil, err
		}
	}
	if err := enc.end(wrapper); err != nil {
		return nil, err
	}
	// MultiRef: the multi-refs follow the wrapper inside the Body
	if err := enc.flushMultiRefs(); err != nil {
		return nil, err
	}
	if err := enc.envelopeEnd(); err != nil {
		return nil, err
	}
	return enc.buf.Bytes(), nil
}

// Fault is a SOAP 1.1 fault as Axis 1 writes it: the exception bean goes into
// <detail> as <ns:fault xsi:type="Exception class">, plus Axis' <hostname>.
type Fault struct {
	Code     string // e.g. "soapenv:Server.userException"
	String   string // "<java class>: <message>"
	Detail   *Value // the exception bean, or nil
	Hostname string
}

func (f *Fault) Error() string { return fmt.Sprintf("SOAP fault %s: %s", f.Code, f.String) }

// NSAxis is the namespace of Axis' own fault detail elements.
const NSAxis = "http://xml.apache.org/axis/"

// MarshalFault writes a fault envelope; wrapperNS is the namespace of the detail's
// <fault> element (the service namespace).
func MarshalFault(f *Fault, wrapperNS string) ([]byte, error) {
	enc := newEncoder(Inline)
	enc.use(wrapperNS)
	enc.collect(f.Detail)
	if f.Hostname != "" {
		enc.use(NSAxis)
	}
	if err := enc.envelopeStart(); err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { return enc.start("soapenv:Fault") },
		func() error { return simple(enc, "faultcode", f.Code) },
		func() error { return simple(enc, "faultstring", f.String) },
		func() error { return enc.start("detail") },
		func() error {
			if f.Detail == nil {
				return nil
			}
			d := *f.Detail
			d.Name = enc.qname(QName{wrapperNS, "fault"})
			return enc.value(&d)
		},
		func() error {
			if f.Hostname == "" {
				return nil
			}
			return simple(enc, enc.qname(QName{NSAxis, "hostname"}), f.Hostname)
		},
		func() error { return enc.end("detail") },
		func() error { return enc.end("soapenv:Fault") },
		enc.envelopeEnd,
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	return enc.buf.Bytes(), nil
}

func simple(enc *encoder, name, text string) error {
	if err := enc.start(name); err != nil {
		return err
	}
	if err := enc.text(text); err != nil {
		return err
	}
	return enc.end(name)
}
