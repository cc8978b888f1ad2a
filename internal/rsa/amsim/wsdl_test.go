package amsim

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
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

// TestWSDLDeclaresAMFaults: executeCommand declares a fault for every
// exception class of AM's type table (61), each with its own message whose
// one part is the exception bean, in the portType and in the binding; and
// a fault the simulator sends carries, in <detail>, the bean of the
// exception class its faultstring names, fitting the table's type — what
// an Axis client turns into the typed Java exception.
func TestWSDLDeclaresAMFaults(t *testing.T) {
	var doc struct {
		Messages []struct {
			Name  string `xml:"name,attr"`
			Parts []struct {
				Name string `xml:"name,attr"`
				Type string `xml:"type,attr"`
			} `xml:"part"`
		} `xml:"message"`
		PortFaults []struct {
			Name    string `xml:"name,attr"`
			Message string `xml:"message,attr"`
		} `xml:"portType>operation>fault"`
		BindingFaults []struct {
			Name string `xml:"name,attr"`
			SOAP struct {
				Use       string `xml:"use,attr"`
				Namespace string `xml:"namespace,attr"`
			} `xml:"fault"`
		} `xml:"binding>operation>fault"`
	}
	if err := xml.Unmarshal(WSDL("https://am.example/ims-ws/services/CommandServer", ""), &doc); err != nil {
		t.Fatal(err)
	}
	var exceptions int
	for _, c := range amtypes.All() {
		if c.Wire && strings.HasSuffix(c.Name.Local, "Exception") {
			exceptions++
		}
	}
	if exceptions != 61 || len(doc.PortFaults) != exceptions || len(doc.BindingFaults) != exceptions {
		t.Fatalf("%d exception classes in the table; the operation declares %d faults, the binding %d",
			exceptions, len(doc.PortFaults), len(doc.BindingFaults))
	}
	messages := map[string]string{}
	for _, m := range doc.Messages {
		if len(m.Parts) == 1 && m.Parts[0].Name == "fault" {
			messages[m.Name] = m.Parts[0].Type
		}
	}
	seen := map[string]bool{}
	for i, f := range doc.PortFaults {
		if seen[f.Name] || messages[f.Name] == "" || f.Message != "impl:"+f.Name || doc.BindingFaults[i].Name != f.Name ||
			doc.BindingFaults[i].SOAP.Use != "encoded" || doc.BindingFaults[i].SOAP.Namespace != "http://webservice.rsa.com" {
			t.Errorf("fault %d %q: message %q, binding %+v", i, f.Name, messages[f.Name], doc.BindingFaults[i])
		}
		seen[f.Name] = true
	}

	// a fault on the wire: the bean of its class, every member by the table
	s := New(Options{})
	sid := login(t, s)
	rec := post(t, s, envelope(t, sid, soapenc.Obj("in1", amproto.LookupTokenCommand, soapenc.Str("serialNumber", "999999999999"))), true)
	msg, err := soapenc.Unmarshal(rec.Body.Bytes(), soapenc.DefaultLimits)
	if err != nil || msg.Fault == nil || !strings.HasPrefix(msg.Fault.String, amproto.ExDataNotFound+": ") {
		t.Fatalf("fault %v %+v", err, msg)
	}
	f := msg.Fault
	bean := f.Detail
	if bean == nil || bean.Name != "fault" || bean.Type != (soapenc.QName{Space: "http://exception.command.rsa.com", Local: "DataNotFoundException"}) {
		t.Fatalf("detail bean %+v", bean)
	}
	if bad := amtypes.Check("fault", bean, amtypes.Type{Name: bean.Type}); len(bad) > 0 || bean.Str("message") == "" {
		t.Fatalf("the bean does not fit its type: %v", bad)
	}
}

// The WSDL is rendered once per address, not per request; a flood of
// Host names does not grow the cache past its bound.
func TestWSDLRenderedOnce(t *testing.T) {
	var c wsdlCache
	a, b := c.get("https://am.example/x"), c.get("https://am.example/x")
	if &a[0] != &b[0] {
		t.Fatal("the WSDL was rendered again for the same address")
	}
	if !strings.Contains(string(a), `location="https://am.example/x"`) {
		t.Fatal("the address is not in the WSDL")
	}
	for i := range 3 * wsdlCacheSize {
		c.get("https://host" + strconv.Itoa(i) + "/x")
	}
	if len(c.docs) > wsdlCacheSize {
		t.Fatalf("%d WSDLs kept", len(c.docs))
	}
}

func BenchmarkWSDLFetch(b *testing.B) {
	s := New(Options{OpenWSDL: true})
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, amproto.ServicePath+"?wsdl", nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
