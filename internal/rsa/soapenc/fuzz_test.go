package soapenc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// FuzzUnmarshal feeds the reply/fault decoder arbitrary bytes: it must return a
// message or ErrMalformed, never panic or hang; what it decodes must encode
// and decode again to the same values.
func FuzzUnmarshal(f *testing.F) {
	for _, p := range []string{"testdata/dotnet_login.xml", "testdata/axis_lookup_ea_reply.xml", "testdata/lookup_ea_request.xml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, style := range []Style{Inline, MultiRef} {
		b, _ := Marshal(opResp, []*Value{sampleCommand()}, style)
		f.Add(b)
	}
	fb, _ := MarshalFault(&Fault{Code: "c", String: "com.x.Y: m", Detail: Obj("fault", QName{"urn:x", "Y"}, Str("message", "m"))}, "urn:w")
	f.Add(fb)
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := Unmarshal(data, DefaultLimits)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if msg.Fault == nil && msg.Op.Local == "" {
			t.Fatal("message without op or fault")
		}
	})
}

// readerTree is the walker's own reading of a document as a Value tree,
// hrefs unresolved (what Unmarshal resolves afterwards).
func readerTree(data []byte, lim Limits) (*Value, error) {
	w := &walker{d: xml.NewDecoder(bytes.NewReader(data)), lim: lim, ids: map[string]*Value{}}
	root, err := w.rootStart()
	if err != nil {
		return nil, err
	}
	v, err := w.element(root)
	if err != nil {
		return nil, err
	}
	if err := w.epilogue(); err != nil {
		return nil, err
	}
	return v, nil
}

// genericNode is encoding/xml's own generic reading of an element.
type genericNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr    `xml:",any,attr"`
	Nodes   []genericNode `xml:",any"`
	Text    string        `xml:",chardata"`
}

// describeGeneric writes what the walker should make of n: names, text of
// leaves, and the section-5 attributes with QName values resolved through
// the xmlns attributes on the path (scope maps prefix → namespace).
func describeGeneric(b *strings.Builder, n *genericNode, scope map[string]string, indent string) {
	inner := map[string]string{}
	for k, v := range scope {
		inner[k] = v
	}
	for _, a := range n.Attrs {
		switch {
		case a.Name.Space == "xmlns":
			inner[a.Name.Local] = a.Value
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			inner[""] = a.Value
		}
	}
	resolve := func(s string) string {
		p, l, ok := strings.Cut(strings.TrimSpace(s), ":")
		if !ok {
			p, l = "", strings.TrimSpace(s)
		}
		return QName{inner[p], l}.String()
	}
	var attrs []string
	for _, a := range n.Attrs {
		switch {
		case a.Name.Space == NSXSI && a.Name.Local == "type":
			attrs = append(attrs, "type="+resolve(a.Value))
		case a.Name.Space == NSXSI && a.Name.Local == "nil":
			attrs = append(attrs, fmt.Sprintf("nil=%v", a.Value == "true" || a.Value == "1"))
		case a.Name.Space == NSEncoding && a.Name.Local == "arrayType":
			base, _, _ := strings.Cut(a.Value, "[")
			attrs = append(attrs, "item="+resolve(base))
		case a.Name.Space == NSEncoding && a.Name.Local == "root":
			attrs = append(attrs, fmt.Sprintf("notroot=%v", strings.TrimSpace(a.Value) == "0"))
		case a.Name.Space == "" && (a.Name.Local == "id" || a.Name.Local == "href"):
			attrs = append(attrs, a.Name.Local+"="+a.Value)
		}
	}
	sort.Strings(attrs)
	fmt.Fprintf(b, "%s{%s}%s %v", indent, n.XMLName.Space, n.XMLName.Local, attrs)
	nilled := false
	for _, a := range n.Attrs {
		nilled = nilled || a.Name.Space == NSXSI && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1")
	}
	if len(n.Nodes) == 0 && !nilled {
		fmt.Fprintf(b, " %q", n.Text)
	}
	b.WriteString("\n")
	for i := range n.Nodes {
		describeGeneric(b, &n.Nodes[i], inner, indent+" ")
	}
}

// describeReader writes the walker's tree in describeGeneric's form.
func describeReader(b *strings.Builder, v *Value, indent string) {
	var attrs []string
	if !v.Type.IsZero() {
		attrs = append(attrs, "type="+v.Type.String())
	}
	if v.Nil {
		attrs = append(attrs, "nil=true")
	}
	if !v.ItemType.IsZero() {
		attrs = append(attrs, "item="+v.ItemType.String())
	}
	if v.notRoot {
		attrs = append(attrs, "notroot=true")
	}
	switch v.refKind {
	case isID:
		attrs = append(attrs, "id="+v.ref)
	case isHref:
		attrs = append(attrs, "href="+v.ref)
	}
	sort.Strings(attrs)
	fmt.Fprintf(b, "%s{%s}%s %v", indent, v.ns, v.Name, attrs)
	if len(v.Fields) == 0 && !v.Nil {
		fmt.Fprintf(b, " %q", v.Text)
	}
	b.WriteString("\n")
	for _, f := range v.Fields {
		describeReader(b, f, indent+" ")
	}
}

// normalizeGeneric drops the attributes that say false by default (nil=false,
// notroot=false) from a description, as the walker keeps only what is set.
func normalizeGeneric(s string) string {
	r := strings.NewReplacer("nil=false", "", "notroot=false", "")
	s = r.Replace(s)
	// attribute lists lose their emptied entries
	for strings.Contains(s, "  ") || strings.Contains(s, "[ ") || strings.Contains(s, " ]") {
		s = strings.NewReplacer("  ", " ", "[ ", "[", " ]", "]").Replace(s)
	}
	return s
}

// FuzzReaderMatchesEncodingXML: whenever the walker accepts a document,
// encoding/xml's generic reading of it must agree on every element, every
// leaf's text and every section-5 attribute (xsi:type and arrayType with
// their prefixes resolved, xsi:nil, soapenc:root, id, href). The walker is
// stricter by design: it refuses DOCTYPEs, undeclared prefixes and duplicate
// attributes, which encoding/xml lets through.
func FuzzReaderMatchesEncodingXML(f *testing.F) {
	f.Add([]byte(`<a xmlns="urn:x" xmlns:p="urn:p"><p:b q="1 &amp; 2">t&lt;x&#65;&#x42;</p:b><c/><![CDATA[<raw>]]><!-- c --></a>`))
	f.Add([]byte("<?xml version=\"1.0\"?>\r\n<a>\r\nline\rtwo</a>"))
	f.Add([]byte(`<a xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:t="urn:t"><b i:type="t:X" i:nil="1" id="x"/><c href="#x" i:type=" t:Y "/></a>`))
	for _, style := range []Style{Inline, MultiRef} {
		b, _ := Marshal(opResp, []*Value{sampleCommand()}, style)
		f.Add(b)
	}
	if b, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, oerr := readerTree(data, Limits{MaxDepth: 1000, MaxValues: 1 << 20})
		var std genericNode
		serr := xml.Unmarshal(data, &std)
		switch {
		case oerr == nil && serr != nil:
			t.Fatalf("reader accepted what encoding/xml refuses (%v): %q", serr, data)
		case oerr == nil:
			var a, b strings.Builder
			describeReader(&a, ours, "")
			describeGeneric(&b, &std, map[string]string{}, "")
			if got, want := normalizeGeneric(a.String()), normalizeGeneric(b.String()); got != want {
				t.Fatalf("trees differ for %q\nreader:\n%s\nencoding/xml:\n%s", data, got, want)
			}
		}
	})
}
