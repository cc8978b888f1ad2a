package amsim

import (
	"bytes"
	"encoding/xml"
	"sort"
	"strings"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
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

// prefixOf returns the WSDL-wide prefix of a namespace.
func prefixOf(space string) string {
	switch space {
	case soapenc.NSXSD:
		return "xsd"
	case soapenc.NSEncoding:
		return "soapenc"
	}
	for p, ns := range prefixes {
		if ns == space {
			return p
		}
	}
	return ""
}

func qref(q soapenc.QName) string { return prefixOf(q.Space) + ":" + q.Local }

// arrayTypeName is the Axis-style name of the array type for item type t.
func arrayTypeName(item string) string {
	if !strings.Contains(item, ":") {
		return "ArrayOf_xsd_" + item
	}
	return "ArrayOf_" + qn(item).Local
}

// memberType returns the XSD type reference for a member type.
func memberType(t string) string {
	if strings.HasPrefix(t, "[]") {
		return "ws:" + arrayTypeName(t[2:])
	}
	if !strings.Contains(t, ":") {
		return "xsd:" + t
	}
	return qref(qn(t))
}

// WSDL renders the service description for the endpoint location; soapEncURL is
// where the soap-encoding schema is served (toolkits would otherwise fetch it
// from the internet).
func WSDL(location, soapEncURL string) []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	w := &xw{e: xml.NewEncoder(&buf)}
	w.e.Indent("", " ")
	attrs := []string{"targetNamespace", amproto.NSWebService,
		"xmlns:wsdl", nsWSDL, "xmlns:wsdlsoap", nsWSDLSOAP, "xmlns:xsd", soapenc.NSXSD,
		"xmlns:soapenc", soapenc.NSEncoding, "xmlns:impl", amproto.NSWebService}
	var ps []string
	for p := range prefixes {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	for _, p := range ps {
		attrs = append(attrs, "xmlns:"+p, prefixes[p])
	}
	w.open("wsdl:definitions", attrs...)
	w.open("wsdl:types")

	// one schema per namespace, classes in table order
	byNS := map[string][]*class{}
	var order []string
	for i := range classList {
		c := &classList[i]
		if _, ok := byNS[c.q.Space]; !ok {
			order = append(order, c.q.Space)
		}
		byNS[c.q.Space] = append(byNS[c.q.Space], c)
	}
	arrays := map[string]string{} // array type name -> item type
	for _, ns := range order {
		w.open("xsd:schema", "targetNamespace", ns, "elementFormDefault", "unqualified")
		w.leaf("xsd:import", "namespace", soapenc.NSEncoding, "schemaLocation", soapEncURL)
		for _, other := range append(append([]string{}, order...), amproto.NSWebService) {
			if other != ns {
				w.leaf("xsd:import", "namespace", other)
			}
		}
		for _, c := range byNS[ns] {
			w.open("xsd:complexType", "name", c.q.Local)
			if !c.base.IsZero() {
				w.open("xsd:complexContent")
				w.open("xsd:extension", "base", qref(c.base))
			}
			w.open("xsd:sequence")
			for _, m := range c.members {
				t := memberType(m.typ)
				if strings.HasPrefix(m.typ, "[]") {
					arrays[arrayTypeName(m.typ[2:])] = m.typ[2:]
				}
				switch m.typ {
				case "int", "long", "boolean":
					w.leaf("xsd:element", "name", m.name, "type", t)
				default:
					w.leaf("xsd:element", "name", m.name, "type", t, "nillable", "true")
				}
			}
			w.close("xsd:sequence")
			if !c.base.IsZero() {
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
	for _, other := range order {
		w.leaf("xsd:import", "namespace", other)
	}
	var names []string
	for n := range arrays {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		item := arrays[n]
		w.open("xsd:complexType", "name", n)
		w.open("xsd:complexContent")
		w.open("xsd:restriction", "base", "soapenc:Array")
		w.leaf("xsd:attribute", "ref", "soapenc:arrayType", "wsdl:arrayType", memberType(item)+"[]")
		w.close("xsd:restriction")
		w.close("xsd:complexContent")
		w.close("xsd:complexType")
	}
	w.close("xsd:schema")
	w.close("wsdl:types")

	w.open("wsdl:message", "name", "executeCommandRequest")
	w.leaf("wsdl:part", "name", amproto.PartSession, "type", "xsd:string")
	w.leaf("wsdl:part", "name", amproto.PartCommand, "type", qref(amproto.TargetableCommand))
	w.close("wsdl:message")
	w.open("wsdl:message", "name", "executeCommandResponse")
	w.leaf("wsdl:part", "name", amproto.PartReturn, "type", qref(amproto.TargetableCommand))
	w.close("wsdl:message")

	w.open("wsdl:portType", "name", "CommandServer")
	w.open("wsdl:operation", "name", "executeCommand", "parameterOrder", "in0 in1")
	w.leaf("wsdl:input", "message", "impl:executeCommandRequest", "name", "executeCommandRequest")
	w.leaf("wsdl:output", "message", "impl:executeCommandResponse", "name", "executeCommandResponse")
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
