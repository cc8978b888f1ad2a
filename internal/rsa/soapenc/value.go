// Package soapenc models SOAP 1.1 section-5 ("RPC/encoded") values as Apache Axis 1
// and RSA's .NET proxy put them on the wire: every object carries an xsi:type naming
// its class in the XML namespace of its Java package, members are unqualified
// elements, arrays are soapenc:Array, and objects may be shared through href/id
// multi-references.
//
// It is used in both directions by the AM client (internal/rsa) and by the
// CommandServer simulator (internal/rsa/amsim). The encoder writes tokens through
// encoding/xml (never string concatenation) and the decoder resolves inline and
// multi-reference forms alike, so both sides accept what the real product and
// WSDL-driven toolkits (zeep, .NET, Axis) send.
package soapenc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Well-known namespaces.
const (
	NSEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	NSEncoding = "http://schemas.xmlsoap.org/soap/encoding/"
	NSXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD      = "http://www.w3.org/2001/XMLSchema"
)

// QName is a namespace-qualified XML name, used for xsi:type values.
type QName struct {
	Space string
	Local string
}

func (q QName) String() string {
	if q.Space == "" {
		return q.Local
	}
	return "{" + q.Space + "}" + q.Local
}

// IsZero reports whether the name is empty.
func (q QName) IsZero() bool { return q.Local == "" }

// XSD returns the QName of an XML Schema built-in type such as "string".
func XSD(local string) QName { return QName{NSXSD, local} }

// ArrayType is the QName of soapenc:Array.
var ArrayType = QName{NSEncoding, "Array"}

// Value is one SOAP-encoded value: a scalar (Text), an object (Fields) or an
// array (Fields are the items, IsArray set). Name is the element's local name;
// members are unqualified in this protocol, so that is all that is needed.
type Value struct {
	Name   string
	Type   QName  // xsi:type; zero when the sender did not state one
	Text   string // character data of a scalar
	Fields []*Value
	// ItemType is the declared item type of an array (soapenc:arrayType), when known.
	ItemType QName
	Nil      bool // xsi:nil="true"
	IsArray  bool

	// Set by the decoder only: the element's namespace, its multi-ref id or
	// href (ref, which refKind tells apart), whether it said soapenc:root="0",
	// and its resolution state.
	notRoot bool
	refKind uint8
	state   uint8
	ns, ref string
}

// refKind values
const (
	noRef  uint8 = iota
	isID         // ref is the element's id
	isHref       // ref is the href, "#id"
)

// Field returns the first member named name, or nil.
func (v *Value) Field(name string) *Value {
	if v == nil {
		return nil
	}
	for _, f := range v.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Has reports whether a non-nil member named name is present.
func (v *Value) Has(name string) bool {
	f := v.Field(name)
	return f != nil && !f.Nil
}

// Set replaces the member with f.Name, or appends f when there is none.
func (v *Value) Set(f *Value) *Value {
	for i, old := range v.Fields {
		if old.Name == f.Name {
			v.Fields[i] = f
			return v
		}
	}
	v.Fields = append(v.Fields, f)
	return v
}

// Items returns the elements of an array member (whatever their element names:
// Axis writes "item", .NET "Item", zeep sometimes the member name itself).
func (v *Value) Items() []*Value {
	if v == nil || v.Nil {
		return nil
	}
	return v.Fields
}

// Str returns the text of member name ("" when absent or nil).
func (v *Value) Str(name string) string {
	f := v.Field(name)
	if f == nil || f.Nil {
		return ""
	}
	return f.Text
}

// Int returns member name as an int; absent or nil gives 0 and no error.
func (v *Value) Int(name string) (int, error) { return scalarInt(name, v.scalar(name)) }

// Bool returns member name as a bool; absent or nil gives false and no error.
func (v *Value) Bool(name string) (bool, error) { return scalarBool(name, v.scalar(name)) }

// Time returns member name as a time; absent or nil gives the zero time.
func (v *Value) Time(name string) (time.Time, error) { return scalarTime(name, v.scalar(name)) }

// AsInt reads v itself as an int (absent or nil: 0); label names it in errors.
func (v *Value) AsInt(label string) (int, error) { return scalarInt(label, v.text()) }

// AsBool reads v itself as a bool (absent or nil: false).
func (v *Value) AsBool(label string) (bool, error) { return scalarBool(label, v.text()) }

// AsTime reads v itself as a time (absent or nil: the zero time).
func (v *Value) AsTime(label string) (time.Time, error) { return scalarTime(label, v.text()) }

// IsNil reports whether v is absent or xsi:nil.
func (v *Value) IsNil() bool { return v == nil || v.Nil }

func (v *Value) text() string {
	if v.IsNil() {
		return ""
	}
	return v.Text
}

// scalar is the text of member name, "" when absent or nil.
func (v *Value) scalar(name string) string {
	f := v.Field(name)
	if f == nil || f.Nil {
		return ""
	}
	return f.Text
}

// The scalar readers: empty (after XML white space) reads as the zero value.

func scalarInt(name, text string) (int, error) {
	t := trimXML(text)
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("field %s: %q is not an integer", name, text)
	}
	return n, nil
}

func scalarBool(name, text string) (bool, error) {
	switch trimXML(text) {
	case "":
		return false, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("field %s: %q is not a boolean", name, text)
}

func scalarTime(name, text string) (time.Time, error) {
	t := trimXML(text)
	if t == "" {
		return time.Time{}, nil
	}
	tm, err := ParseDateTime(t)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", name, err)
	}
	return tm, nil
}

// trimXML trims XML white space (space, tab, CR, LF; not Unicode spaces).
func trimXML(s string) string { return strings.Trim(s, " \t\r\n") }

// Strings returns the texts of the items of array member name.
func (v *Value) Strings(name string) []string {
	items := v.Field(name).Items()
	if len(items) == 0 {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if !it.Nil {
			out = append(out, it.Text)
		}
	}
	return out
}

// Clone returns a deep copy.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Fields != nil {
		c.Fields = make([]*Value, len(v.Fields))
		for i, f := range v.Fields {
			c.Fields[i] = f.Clone()
		}
	}
	return &c
}

// dateTime layouts accepted on input: Axis writes milliseconds and Z, .NET writes
// offsets and up to 7 fractional digits, zeep writes microseconds.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"}

// ParseDateTime parses an xsd:dateTime (or xsd:date) value.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an xsd:dateTime", s)
}

// FormatDateTime writes t the way Axis 1 does: UTC with milliseconds.
func FormatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Constructors used to build commands and replies.

// Str is an xsd:string member.
func Str(name, s string) *Value { return &Value{Name: name, Type: XSD("string"), Text: s} }

// OptStr is an xsd:string member that is nil when s is empty.
func OptStr(name, s string) *Value {
	if s == "" {
		return Nil(name)
	}
	return Str(name, s)
}

// Int is an xsd:int member.
func Int(name string, n int) *Value {
	return &Value{Name: name, Type: XSD("int"), Text: strconv.Itoa(n)}
}

// Long is an xsd:long member.
func Long(name string, n int64) *Value {
	return &Value{Name: name, Type: XSD("long"), Text: strconv.FormatInt(n, 10)}
}

// Bool is an xsd:boolean member.
func Bool(name string, b bool) *Value {
	return &Value{Name: name, Type: XSD("boolean"), Text: strconv.FormatBool(b)}
}

// Time is an xsd:dateTime member, nil for the zero time.
func Time(name string, t time.Time) *Value {
	if t.IsZero() {
		return Nil(name)
	}
	return &Value{Name: name, Type: XSD("dateTime"), Text: FormatDateTime(t)}
}

// Nil is a member with xsi:nil="true".
func Nil(name string) *Value { return &Value{Name: name, Nil: true} }

// Obj is an object member of class typ.
func Obj(name string, typ QName, fields ...*Value) *Value {
	return &Value{Name: name, Type: typ, Fields: fields}
}

// StrArray is a soapenc:Array of xsd:string; nil slices become xsi:nil.
func StrArray(name string, items []string) *Value {
	if items == nil {
		return Nil(name)
	}
	a := &Value{Name: name, Type: ArrayType, IsArray: true, ItemType: XSD("string")}
	for _, s := range items {
		a.Fields = append(a.Fields, Str("item", s))
	}
	return a
}

// ObjArray is a soapenc:Array of objects whose declared item type is itemType.
func ObjArray(name string, itemType QName, items ...*Value) *Value {
	a := &Value{Name: name, Type: ArrayType, IsArray: true, ItemType: itemType}
	for _, it := range items {
		c := *it
		c.Name = "item"
		a.Fields = append(a.Fields, &c)
	}
	return a
}
