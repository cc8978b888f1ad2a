package amsim

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// TestWSDLDeclaresAMTypes: the WSDL declares every wire class of AM's type
// table, each with exactly the table's own members and their types (arrays
// by their Axis names, primitives not nillable, everything else nillable),
// and the base class the table gives.
func TestWSDLDeclaresAMTypes(t *testing.T) {
	var doc struct {
		Attrs  []xml.Attr `xml:",any,attr"`
		Schema []struct {
			Target  string `xml:"targetNamespace,attr"`
			Complex []struct {
				Name     string    `xml:"name,attr"`
				Elements []xmlElem `xml:"sequence>element"`
				Ext      *struct {
					Base     string    `xml:"base,attr"`
					Elements []xmlElem `xml:"sequence>element"`
				} `xml:"complexContent>extension"`
			} `xml:"complexType"`
			Simple []struct {
				Name string `xml:"name,attr"`
			} `xml:"simpleType"`
		} `xml:"types>schema"`
	}
	if err := xml.Unmarshal(WSDL("https://am.example/ims-ws/services/CommandServer", "https://am.example/soapenc.xsd"), &doc); err != nil {
		t.Fatal(err)
	}
	n := newWSDLNames()
	declared := map[soapenc.QName]bool{}
	for _, s := range doc.Schema {
		for _, st := range s.Simple {
			declared[soapenc.QName{Space: s.Target, Local: st.Name}] = true
		}
		for _, ct := range s.Complex {
			q := soapenc.QName{Space: s.Target, Local: ct.Name}
			c := amtypes.Lookup(q)
			if c == nil {
				continue // array types, Axis' Map, the JDK's Certificate
			}
			declared[q] = true
			elems, base := ct.Elements, ""
			if ct.Ext != nil {
				elems, base = ct.Ext.Elements, ct.Ext.Base
			}
			if want := ""; !c.Base.IsZero() {
				want = n.ref(c.Base)
				if base != want {
					t.Errorf("%s extends %q, the table says %q", c.Java, base, want)
				}
			} else if base != "" {
				t.Errorf("%s extends %q; in the table it has no base", c.Java, base)
			}
			if len(elems) != len(c.Members) {
				t.Errorf("%s declares %d members, the table %d", c.Java, len(elems), len(c.Members))
				continue
			}
			for i, m := range c.Members {
				e := elems[i]
				wantNil := !m.Type.Primitive()
				if e.Name != m.Name || e.Type != n.typeRef(m.Type) || (e.Nillable == "true") != wantNil {
					t.Errorf("%s.%s declared as %+v, the table says %s", c.Java, m.Name, e, m.Type)
				}
			}
		}
	}
	for _, c := range amtypes.All() {
		if c.Wire && !declared[c.Name] {
			t.Errorf("%s is not declared", c.Java)
		}
	}
	if len(declared) < 1000 {
		t.Fatalf("only %d classes declared", len(declared))
	}
	// every prefix a type reference uses is declared on the definitions
	prefixes := map[string]bool{}
	for _, a := range doc.Attrs {
		if a.Name.Space == "xmlns" {
			prefixes[a.Name.Local] = true
		}
	}
	for _, p := range n.prefix {
		if !prefixes[p] {
			t.Errorf("prefix %s used but not declared", p)
		}
	}
	if strings.Count(string(WSDL("x", "y")), "<xsd:schema ") < 100 {
		t.Error("expected one schema per namespace")
	}
}

type xmlElem struct {
	Name     string `xml:"name,attr"`
	Type     string `xml:"type,attr"`
	Nillable string `xml:"nillable,attr"`
}
