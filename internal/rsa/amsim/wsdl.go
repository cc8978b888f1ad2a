package amsim

import (
	"bytes"
	"encoding/xml"
	"sort"
	"strconv"
	"strings"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

const (
	nsWSDL     = "http://schemas.xmlsoap.org/wsdl/"
	nsWSDLSOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
)

// xw writes XML through encoding/xml tokens with explicit prefixes.
type xw struct {
	e   *xml.Encoder
	err error
}

func (w *xw) open(name string, attrs ...string) {
	if w.err != nil {
		return
	}
	st := xml.StartElement{Name: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		st.Attr = append(st.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	w.err = w.e.EncodeToken(st)
}

func (w *xw) close(name string) {
	if w.err == nil {
		w.err = w.e.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
}

func (w *xw) leaf(name string, attrs ...string) {
	w.open(name, attrs...)
	w.close(name)
}

// wsdlNames gives every namespace of the table a prefix (tns1, tns2, … in
// the order of the namespaces' names, as Axis numbers them) and every array
// type an Axis-style name.
type wsdlNames struct {
	prefix map[string]string
	order  []string
}

func newWSDLNames() *wsdlNames {
	n := &wsdlNames{prefix: map[string]string{}}
	spaces := map[string]bool{amtypes.NSApacheSOAP: true, nsJavaCert: true}
	for _, c := range amtypes.All() {
		if c.Wire {
			spaces[c.Name.Space] = true
		}
	}
	for sp := range spaces {
		n.order = append(n.order, sp)
	}
	sort.Strings(n.order)
	for i, sp := range n.order {
		n.prefix[sp] = "tns" + strconv.Itoa(i+1)
	}
	n.prefix[amtypes.NSApacheSOAP] = "apachesoap"
	return n
}

func (n *wsdlNames) ref(q soapenc.QName) string {
	switch q.Space {
	case soapenc.NSXSD:
		return "xsd:" + q.Local
	case soapenc.NSEncoding:
		return "soapenc:" + q.Local
	}
	return n.prefix[q.Space] + ":" + q.Local
}

// arrayName is the Axis-style name of an array type: ArrayOf_xsd_string,
// ArrayOf_tns12_TokenDTO, ArrayOfArrayOf_xsd_string.
func (n *wsdlNames) arrayName(t amtypes.Type) string {
	item := t.Item()
	if item.Dims > 0 {
		return "ArrayOf" + n.arrayName(item)
	}
	return "ArrayOf_" + strings.Replace(n.ref(item.Name), ":", "_", 1)
}

// typeRef is the schema type of a member.
func (n *wsdlNames) typeRef(t amtypes.Type) string {
	if t.Dims > 0 {
		return "impl:" + n.arrayName(t)
	}
	return n.ref(t.Name)
}

// nsJavaCert holds the one class members refer to that the table lacks
// (java.security.cert.Certificate, a JDK class Axis maps as an empty bean).
const nsJavaCert = "http://cert.security.java"

// WSDL renders the service description for the endpoint location; soapEncURL is
// where the soap-encoding schema is served (toolkits would otherwise fetch it
// from the internet). It declares every class of AM's type table, as the real
// WSDL does: one schema per namespace, beans as complex types extending their
// base, enumerations as restrictions of xsd:string, arrays as soapenc:Array
// restrictions in the service namespace.
func WSDL(location, soapEncURL string) []byte {
	n := newWSDLNames()
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	w := &xw{e: xml.NewEncoder(&buf)}
	w.e.Indent("", " ")
	attrs := []string{"targetNamespace", amproto.NSWebService,
		"xmlns:wsdl", nsWSDL, "xmlns:wsdlsoap", nsWSDLSOAP, "xmlns:xsd", soapenc.NSXSD,
		"xmlns:soapenc", soapenc.NSEncoding, "xmlns:impl", amproto.NSWebService}
	for _, sp := range n.order {
		attrs = append(attrs, "xmlns:"+n.prefix[sp], sp)
	}
	w.open("wsdl:definitions", attrs...)
	w.open("wsdl:types")

	byNS := map[string][]*amtypes.Class{}
	for _, c := range amtypes.All() {
		if c.Wire {
			byNS[c.Name.Space] = append(byNS[c.Name.Space], c)
		}
	}
	arrays := map[string]amtypes.Type{} // array type name -> its type
	for _, ns := range n.order {
		w.open("xsd:schema", "targetNamespace", ns, "elementFormDefault", "unqualified")
		w.leaf("xsd:import", "namespace", soapenc.NSEncoding, "schemaLocation", soapEncURL)
		for _, other := range append(append([]string{}, n.order...), amproto.NSWebService) {
			if other != ns {
				w.leaf("xsd:import", "namespace", other)
			}
		}
		switch ns {
		case amtypes.NSApacheSOAP:
			writeAxisMap(w)
		case nsJavaCert:
			w.open("xsd:complexType", "name", "Certificate")
			w.leaf("xsd:sequence")
			w.close("xsd:complexType")
		}
		for _, c := range byNS[ns] {
			if c.Enum() {
				writeEnum(w, c)
				continue
			}
			w.open("xsd:complexType", "name", c.Name.Local)
			if !c.Base.IsZero() {
				w.open("xsd:complexContent")
				w.open("xsd:extension", "base", n.ref(c.Base))
			}
			w.open("xsd:sequence")
			for _, m := range c.Members {
				for t := m.Type; t.Dims > 0; t = t.Item() {
					arrays[n.arrayName(t)] = t
				}
				if m.Type.Primitive() {
					w.leaf("xsd:element", "name", m.Name, "type", n.typeRef(m.Type))
				} else {
					w.leaf("xsd:element", "name", m.Name, "type", n.typeRef(m.Type), "nillable", "true")
				}
			}
			w.close("xsd:sequence")
			if !c.Base.IsZero() {
				w.close("xsd:extension")
				w.close("xsd:complexContent")
			}
			w.close("xsd:complexType")
		}
		w.close("xsd:schema")
	}
	// the service namespace holds the SOAP-encoded array types, as Axis does
	w.open("xsd:schema", "targetNamespace", amproto.NSWebService, "elementFormDefault", "unqualified")
	w.leaf("xsd:import", "namespace", soapenc.NSEncoding, "schemaLocation", soapEncURL)
	for _, other := range n.order {
		w.leaf("xsd:import", "namespace", other)
	}
	var names []string
	for name := range arrays {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := arrays[name]
		w.open("xsd:complexType", "name", name)
		w.open("xsd:complexContent")
		w.open("xsd:restriction", "base", "soapenc:Array")
		w.leaf("xsd:attribute", "ref", "soapenc:arrayType", "wsdl:arrayType", n.typeRef(t.Item())+"[]")
		w.close("xsd:restriction")
		w.close("xsd:complexContent")
		w.close("xsd:complexType")
	}
	w.close("xsd:schema")
	w.close("wsdl:types")

	w.open("wsdl:message", "name", "executeCommandRequest")
	w.leaf("wsdl:part", "name", amproto.PartSession, "type", "xsd:string")
	w.leaf("wsdl:part", "name", amproto.PartCommand, "type", n.ref(amproto.TargetableCommand))
	w.close("wsdl:message")
	w.open("wsdl:message", "name", "executeCommandResponse")
	w.leaf("wsdl:part", "name", amproto.PartReturn, "type", n.ref(amproto.TargetableCommand))
	w.close("wsdl:message")
	faults := Faults()
	for _, f := range faults {
		w.open("wsdl:message", "name", f.Message)
		w.leaf("wsdl:part", "name", faultPart, "type", n.ref(f.Type))
		w.close("wsdl:message")
	}
	w.open("wsdl:portType", "name", "CommandServer")
	w.open("wsdl:operation", "name", "executeCommand", "parameterOrder", "in0 in1")
	w.leaf("wsdl:input", "message", "impl:executeCommandRequest", "name", "executeCommandRequest")
	w.leaf("wsdl:output", "message", "impl:executeCommandResponse", "name", "executeCommandResponse")
	for _, f := range faults {
		w.leaf("wsdl:fault", "message", "impl:"+f.Message, "name", f.Message)
	}
	w.close("wsdl:operation")
	w.close("wsdl:portType")

	body := []string{"encodingStyle", soapenc.NSEncoding, "namespace", amproto.NSWebService, "use", "encoded"}
	w.open("wsdl:binding", "name", "CommandServerSoapBinding", "type", "impl:CommandServer")
	w.leaf("wsdlsoap:binding", "style", "rpc", "transport", "http://schemas.xmlsoap.org/soap/http")
	w.open("wsdl:operation", "name", "executeCommand")
	w.leaf("wsdlsoap:operation", "soapAction", "")
	w.open("wsdl:input", "name", "executeCommandRequest")
	w.leaf("wsdlsoap:body", body...)
	w.close("wsdl:input")
	w.open("wsdl:output", "name", "executeCommandResponse")
	w.leaf("wsdlsoap:body", body...)
	w.close("wsdl:output")
	for _, f := range faults {
		w.open("wsdl:fault", "name", f.Message)
		w.leaf("wsdlsoap:fault", "encodingStyle", soapenc.NSEncoding, "name", f.Message, "namespace", amproto.NSWebService, "use", "encoded")
		w.close("wsdl:fault")
	}
	w.close("wsdl:operation")
	w.close("wsdl:binding")

	w.open("wsdl:service", "name", "CommandServerService")
	w.open("wsdl:port", "binding", "impl:CommandServerSoapBinding", "name", "CommandServer")
	w.leaf("wsdlsoap:address", "location", location)
	w.close("wsdl:port")
	w.close("wsdl:service")
	w.close("wsdl:definitions")
	if w.err == nil {
		w.err = w.e.Flush()
	}
	if w.err != nil {
		panic("amsim: writing the WSDL: " + w.err.Error()) // only fails on a broken table, caught by tests
	}
	return buf.Bytes()
}

// writeEnum declares an enumeration (a class with constants and no members,
// a value type in the proxy) by its constants' names, as Axis maps them.
func writeEnum(w *xw, c *amtypes.Class) {
	var names []string
	for k := range c.Constants {
		names = append(names, k)
	}
	sort.Strings(names)
	w.open("xsd:simpleType", "name", c.Name.Local)
	w.open("xsd:restriction", "base", "xsd:string")
	for _, k := range names {
		w.leaf("xsd:enumeration", "value", k)
	}
	w.close("xsd:restriction")
	w.close("xsd:simpleType")
}

// writeAxisMap declares Axis' apachesoap:Map (items of key and value).
func writeAxisMap(w *xw) {
	w.open("xsd:complexType", "name", "mapItem")
	w.open("xsd:sequence")
	w.leaf("xsd:element", "name", "key", "type", "xsd:anyType", "nillable", "true")
	w.leaf("xsd:element", "name", "value", "type", "xsd:anyType", "nillable", "true")
	w.close("xsd:sequence")
	w.close("xsd:complexType")
	w.open("xsd:complexType", "name", "Map")
	w.open("xsd:sequence")
	w.leaf("xsd:element", "name", "item", "type", "apachesoap:mapItem", "minOccurs", "0", "maxOccurs", "unbounded")
	w.close("xsd:sequence")
	w.close("xsd:complexType")
}

// SoapEncodingSchema is the minimal part of the SOAP 1.1 encoding schema that the
// WSDL's array types need (soapenc:Array, soapenc:arrayType and the common
// attributes), served so that toolkits can resolve it offline.
func SoapEncodingSchema() []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	w := &xw{e: xml.NewEncoder(&buf)}
	w.e.Indent("", " ")
	// No references to its own namespace: zeep would try to fetch the schema
	// again from the internet for every such reference.
	w.open("xsd:schema", "xmlns:xsd", soapenc.NSXSD, "targetNamespace", soapenc.NSEncoding)
	w.leaf("xsd:attribute", "name", "root", "type", "xsd:boolean")
	w.leaf("xsd:attribute", "name", "arrayType", "type", "xsd:string")
	w.leaf("xsd:attribute", "name", "offset", "type", "xsd:string")
	w.open("xsd:complexType", "name", "Array")
	w.open("xsd:sequence")
	w.leaf("xsd:any", "namespace", "##any", "minOccurs", "0", "maxOccurs", "unbounded", "processContents", "lax")
	w.close("xsd:sequence")
	w.leaf("xsd:attribute", "name", "id", "type", "xsd:ID")
	w.leaf("xsd:attribute", "name", "href", "type", "xsd:anyURI")
	w.leaf("xsd:anyAttribute", "namespace", "##other", "processContents", "lax")
	w.close("xsd:complexType")
	w.close("xsd:schema")
	if w.err == nil {
		w.err = w.e.Flush()
	}
	if w.err != nil {
		panic("amsim: writing the soap-encoding schema: " + w.err.Error())
	}
	return buf.Bytes()
}

// faultPart is the name of a fault message's one part and of the element
// that carries the exception bean in a fault's <detail>: Axis's Java2WSDL
// names it "fault" for every exception.
const faultPart = "fault"

// Fault is one fault executeCommand declares: an exception class of AM's
// type table, and the name of its message.
type Fault struct {
	Message string        // the class's simple name; a repeated one gets a number ("InvalidSessionException1")
	Type    soapenc.QName // the exception bean's type
}

// Faults are the faults executeCommand declares: every exception class of
// the type table (AM's CommandServer declares them, so that Axis clients
// get the typed exception — the public ones catch DataNotFoundException,
// InvalidArgumentException … around executeCommand). Ordered by Java class
// name; the first of a repeated simple name keeps it.
func Faults() []Fault {
	var cs []*amtypes.Class
	for _, c := range amtypes.All() {
		if c.Wire && strings.HasSuffix(c.Name.Local, "Exception") {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Java < cs[j].Java })
	seen := map[string]int{}
	out := make([]Fault, 0, len(cs))
	for _, c := range cs {
		name := c.Name.Local
		if k := seen[name]; k > 0 {
			name += strconv.Itoa(k)
		}
		seen[c.Name.Local]++
		out = append(out, Fault{Message: name, Type: c.Name})
	}
	return out
}
