package soapenc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
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
// (A switch: it runs for every value encoded.)
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

// xsdQName is "xsd:" + local without building the string, for the types
// nearly every scalar has.
func xsdQName(local string) string {
	switch local {
	case "string":
		return "xsd:string"
	case "boolean":
		return "xsd:boolean"
	case "int":
		return "xsd:int"
	case "long":
		return "xsd:long"
	case "dateTime":
		return "xsd:dateTime"
	}
	return "xsd:" + local
}

// encoder writes one envelope. Prefixes are chosen up front (ns1, ns2, … in order
// of first use) and declared on the Envelope element, so every xsi:type value in
// the body resolves without per-element declarations.
type encoder struct {
	buf      bytes.Buffer
	e        *xml.Encoder
	attrs    []xml.Attr // scratch, reused for every element
	prefix   map[string]string
	order    []string
	style    Style
	nextID   int
	deferred []*Value // MultiRef: objects still to be written, in id order
	tail     []byte   // the cached envelope end to write last, if the start came from the cache
	wrapper  string   // the RPC wrapper envelopeStart opened, if any
}

// Encoders are pooled: xml.NewEncoder allocates a 4 KiB buffer, more than a
// whole AM request. A pooled encoder is always left with balanced tags.
var encoders = sync.Pool{New: func() any {
	enc := &encoder{prefix: map[string]string{}}
	enc.e = xml.NewEncoder(&enc.buf)
	return enc
}}

func newEncoder(style Style) *encoder {
	enc := encoders.Get().(*encoder)
	enc.style = style
	return enc
}

// finish returns a copy of the encoded bytes and puts the encoder back.
func (enc *encoder) finish() []byte {
	out := bytes.Clone(enc.buf.Bytes())
	enc.release()
	return out
}

func (enc *encoder) release() {
	enc.buf.Reset()
	clear(enc.prefix)
	enc.order, enc.deferred, enc.nextID, enc.attrs, enc.tail, enc.wrapper = enc.order[:0], enc.deferred[:0], 0, enc.attrs[:0], nil, ""
	encoders.Put(enc)
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
	if v == nil || v.frozen { // a frozen value uses fixed prefixes only
		return
	}
	enc.use(v.Type.Space)
	enc.use(v.ItemType.Space)
	for _, f := range v.Fields {
		enc.collect(f)
	}
}

func (enc *encoder) qname(q QName) string {
	if q.Space == NSXSD {
		return xsdQName(q.Local)
	}
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

// envelope holds the encoded start (<Envelope …><Body>, and the RPC wrapper's
// start tag when it is part of the key) and end of an envelope declaring one
// list of namespaces. Both are written by encoding/xml once and then reused:
// the start tag declares every namespace, so it is the most expensive element
// of a message, and it is the same for every command of a kind.
type envelope struct{ head, tail []byte }

// envelopeKey names the namespaces an envelope declares besides the fixed
// four, in order (messages that need more are encoded without the cache), and
// the wrapper element inside the Body, if any.
type envelopeKey struct {
	spaces  [4]string
	wrapper string
}

var (
	envelopes     sync.Map // envelopeKey → *envelope
	envelopeCount atomic.Int32
)

// maxEnvelopes bounds the cache; AM's command set needs a few dozen.
const maxEnvelopes = 256

func (enc *encoder) envelopeAttrs() []xml.Attr {
	attrs := []xml.Attr{
		attr("xmlns:soapenv", NSEnvelope),
		attr("xmlns:soapenc", NSEncoding),
		attr("xmlns:xsd", NSXSD),
		attr("xmlns:xsi", NSXSI),
	}
	for _, space := range enc.order {
		attrs = append(attrs, attr("xmlns:"+enc.prefix[space], space))
	}
	return attrs
}

// envelopeStart writes the envelope's start and, when wrapper is not "", the
// start of the RPC wrapper element of that name (envelopeEnd closes both).
func (enc *encoder) envelopeStart(wrapper string) error {
	enc.tail, enc.wrapper = nil, wrapper
	key := envelopeKey{wrapper: wrapper}
	if len(enc.order) > len(key.spaces) {
		return enc.envelopeTokens()
	}
	copy(key.spaces[:], enc.order)
	e, ok := envelopes.Load(key)
	if !ok {
		built, err := enc.buildEnvelope()
		if err != nil {
			return err
		}
		if envelopeCount.Load() >= maxEnvelopes {
			return enc.envelopeTokens()
		}
		var loaded bool
		if e, loaded = envelopes.LoadOrStore(key, built); !loaded {
			envelopeCount.Add(1)
		}
	}
	env := e.(*envelope)
	// nothing has been encoded yet, so the head goes straight to the buffer;
	// the tail is written after the body (envelopeEnd)
	enc.buf.Write(env.head)
	enc.tail = env.tail
	return nil
}

// buildEnvelope encodes an envelope's start and end with encoding/xml.
func (enc *encoder) buildEnvelope() (*envelope, error) {
	var buf bytes.Buffer
	x := xml.NewEncoder(&buf)
	tokens := []xml.Token{
		xml.StartElement{Name: local("soapenv:Envelope"), Attr: enc.envelopeAttrs()},
		xml.StartElement{Name: local("soapenv:Body")},
	}
	ends := []xml.Token{xml.EndElement{Name: local("soapenv:Body")}, xml.EndElement{Name: local("soapenv:Envelope")}}
	if enc.wrapper != "" {
		tokens = append(tokens, xml.StartElement{Name: local(enc.wrapper), Attr: wrapperAttrs})
		ends = append([]xml.Token{xml.EndElement{Name: local(enc.wrapper)}}, ends...)
	}
	for _, t := range tokens {
		if err := x.EncodeToken(t); err != nil {
			return nil, err
		}
	}
	if err := x.Flush(); err != nil {
		return nil, err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	for _, t := range ends {
		if err := x.EncodeToken(t); err != nil {
			return nil, err
		}
	}
	if err := x.Flush(); err != nil {
		return nil, err
	}
	return &envelope{head: head, tail: bytes.Clone(buf.Bytes())}, nil
}

// wrapperAttrs are the RPC wrapper element's attributes.
var wrapperAttrs = []xml.Attr{attr("soapenv:encodingStyle", NSEncoding)}

// envelopeTokens writes the envelope start token by token (no cache).
func (enc *encoder) envelopeTokens() error {
	if err := enc.start("soapenv:Envelope", enc.envelopeAttrs()...); err != nil {
		return err
	}
	if err := enc.start("soapenv:Body"); err != nil {
		return err
	}
	if enc.wrapper != "" {
		return enc.start(enc.wrapper, wrapperAttrs...)
	}
	return nil
}

func (enc *encoder) envelopeEnd() error {
	if enc.tail != nil {
		if err := enc.e.Flush(); err != nil {
			return err
		}
		enc.buf.Write(enc.tail)
		return nil
	}
	if enc.wrapper != "" {
		if err := enc.end(enc.wrapper); err != nil {
			return err
		}
	}
	if err := enc.end("soapenv:Body"); err != nil {
		return err
	}
	if err := enc.end("soapenv:Envelope"); err != nil {
		return err
	}
	return enc.e.Flush()
}

// isObject reports whether v is a bean (written as a multi-ref in MultiRef style).
func isObject(v *Value) bool {
	return !v.Nil && !v.IsArray && !v.Type.IsZero() && v.Type.Space != NSXSD && v.Type != ArrayType
}

// frozenValues holds the encodings of frozen values (see Freeze).
var frozenValues sync.Map // *Value → []byte

// Freeze declares that v, a scalar or nil member of an XML Schema type (or of
// none), will never change again, and encodes it once with encoding/xml:
// messages then copy those bytes instead of encoding it each time. It is
// for the members every AM command repeats. It returns v; a value it cannot
// freeze (an object, an array) is returned as it is.
func Freeze(v *Value) *Value {
	if len(v.Fields) > 0 || v.IsArray || !v.Type.IsZero() && v.Type.Space != NSXSD {
		return v
	}
	enc := newEncoder(Inline)
	defer enc.release()
	if err := enc.value(v); err != nil {
		return v
	}
	if err := enc.e.Flush(); err != nil {
		return v
	}
	frozenValues.Store(v, bytes.Clone(enc.buf.Bytes()))
	v.frozen = true
	return v
}

// Unfreeze forgets v's stored encoding (v is encoded as any value from then
// on), for frozen values that do not live for ever, such as a session's id.
func Unfreeze(v *Value) { frozenValues.Delete(v) }

func (enc *encoder) value(v *Value, extra ...xml.Attr) error {
	if v.frozen && len(extra) == 0 {
		if b, ok := frozenValues.Load(v); ok { // a copy of a frozen value is not in the map
			if err := enc.e.Flush(); err != nil {
				return err
			}
			enc.buf.Write(b.([]byte))
			return nil
		}
	}
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
	attrs := append(enc.attrs[:0], extra...)
	if v.Nil {
		attrs = append(attrs, attr("xsi:nil", "true"))
		err := enc.start(v.Name, attrs...)
		enc.attrs = attrs[:0] // EncodeToken has written them; keep the buffer
		if err != nil {
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
	err := enc.start(v.Name, attrs...)
	enc.attrs = attrs[:0]
	if err != nil {
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
	// Inline: the wrapper's start and end come with the envelope's (cached);
	// MultiRef: the multi-refs follow the wrapper inside the Body
	if style == Inline {
		if err := enc.envelopeStart(wrapper); err != nil {
			return nil, err
		}
	} else {
		if err := enc.envelopeStart(""); err != nil {
			return nil, err
		}
		if err := enc.start(wrapper, wrapperAttrs...); err != nil {
			return nil, err
		}
	}
	for _, p := range parts {
		if err := enc.value(p); err != nil {
			return nil, err
		}
	}
	if style != Inline {
		if err := enc.end(wrapper); err != nil {
			return nil, err
		}
		if err := enc.flushMultiRefs(); err != nil {
			return nil, err
		}
	}
	if err := enc.envelopeEnd(); err != nil {
		return nil, err
	}
	return enc.finish(), nil
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
	if err := enc.envelopeStart(""); err != nil {
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
	return enc.finish(), nil
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
