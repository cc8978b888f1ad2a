package soapenc

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	nsTok  = "http://tokenmgt.admin.authmgr.rsa.com"
	nsData = "http://data.tokenmgt.admin.authmgr.rsa.com"
	opResp = QName{"http://webservice.rsa.com", "executeCommandResponse"}
)

func sampleCommand() *Value {
	return Obj("executeCommandReturn", QName{nsTok, "LookupTokenEmergencyAccessCommand"},
		Bool("backgroundCommand", false),
		Nil("commandJobId"),
		Str("guid", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
		Obj("tokenEmergencyAccess", QName{nsData, "TokenEmergencyAccessDTO"},
			Int("eaMode", 1),
			Str("serialNumber", "000523656192"),
			Time("eaExpiration", time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)),
			StrArray("oneTimeTokencodeSet", []string{"a<b&c", "12345678"}),
			Obj("marker", QName{"http://search.common.rsa.com", "Equal"}),
		),
	)
}

func TestRoundTripBothStyles(t *testing.T) {
	for _, style := range []Style{Inline, MultiRef} {
		want := sampleCommand()
		data, err := Marshal(opResp, []*Value{want}, style)
		if err != nil {
			t.Fatal(err)
		}
		if style == MultiRef && !strings.Contains(string(data), `<multiRef id="id1"`) {
			t.Fatalf("multiRef style wrote no nested multiRef:\n%s", data)
		}
		if strings.Contains(string(data), "a<b") {
			t.Fatalf("text not escaped:\n%s", data)
		}
		msg, err := Unmarshal(data, DefaultLimits)
		if err != nil {
			t.Fatalf("style %d: %v\n%s", style, err, data)
		}
		if msg.Op != opResp {
			t.Fatalf("op = %v", msg.Op)
		}
		got := msg.Part("executeCommandReturn")
		ea := got.Field("tokenEmergencyAccess")
		if got.Type != want.Type || ea.Type != (QName{nsData, "TokenEmergencyAccessDTO"}) {
			t.Fatalf("types lost: %v %v", got.Type, ea.Type)
		}
		if n, _ := ea.Int("eaMode"); n != 1 {
			t.Fatalf("eaMode = %d", n)
		}
		if ts, _ := ea.Time("eaExpiration"); !ts.Equal(time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("eaExpiration = %v", ts)
		}
		if codes := ea.Strings("oneTimeTokencodeSet"); !reflect.DeepEqual(codes, []string{"a<b&c", "12345678"}) {
			t.Fatalf("codes = %q", codes)
		}
		if !ea.Field("oneTimeTokencodeSet").IsArray {
			t.Fatal("array flag lost")
		}
		if m := ea.Field("marker"); m == nil || m.Type.Local != "Equal" || m.Nil {
			t.Fatalf("empty marker object lost: %+v", m)
		}
		if !got.Field("commandJobId").Nil {
			t.Fatal("nil lost")
		}
	}
}

func TestDecodeDotNetMultiRefLogin(t *testing.T) {
	data, err := os.ReadFile("testdata/dotnet_login.xml")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Unmarshal(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Op.Local != "executeCommand" {
		t.Fatalf("op %v", msg.Op)
	}
	if msg.Part("in0") != nil {
		t.Fatal("in0 should be absent")
	}
	in1 := msg.Part("in1")
	if in1.Type != (QName{"http://authn.rsa.com", "LoginCommand"}) {
		t.Fatalf("in1 type %v", in1.Type)
	}
	params := in1.Field("parameters").Items()
	if len(params) != 2 || params[1].Str("promptKey") != "PASSWORD_CREDENTIAL" || params[0].Str("value") != "admin" {
		t.Fatalf("params = %+v", params)
	}
	if params[0].Type.Space != "http://data.authn.rsa.com" {
		t.Fatalf("item type resolved against the wrong scope: %v", params[0].Type)
	}
}

func TestFaultRoundTrip(t *testing.T) {
	f := &Fault{Code: "soapenv:Server.userException",
		String:   "com.rsa.command.exception.DataNotFoundException: IdentitySource-Lookup : IdentitySource Guid is not specified",
		Detail:   Obj("fault", QName{"http://exception.command.rsa.com", "DataNotFoundException"}, Str("message", "x"), Str("messageKey", "k")),
		Hostname: "am-sim"}
	data, err := MarshalFault(f, "http://webservice.rsa.com")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Unmarshal(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Fault == nil || msg.Fault.String != f.String || msg.Fault.Hostname != "am-sim" {
		t.Fatalf("fault = %+v", msg.Fault)
	}
	if msg.Fault.Detail.Type.Local != "DataNotFoundException" || msg.Fault.Detail.Str("messageKey") != "k" {
		t.Fatalf("detail = %+v", msg.Fault.Detail)
	}
}

func TestHostileInput(t *testing.T) {
	cases := map[string]string{
		"html":       "<html><body>502 Bad Gateway</body></html>",
		"empty":      "",
		"truncated":  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x>`,
		"cycle":      `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a"/></w><m id="a"><x href="#a"/></m></e:Body></e:Envelope>`,
		"dangling":   `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#zz"/></w></e:Body></e:Envelope>`,
		"badprefix":  `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Body><w><r xsi:type="nope:X"/></w></e:Body></e:Envelope>`,
		"nobody":     `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"></e:Envelope>`,
		"wrongenvns": `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><w/></e:Body></e:Envelope>`,
		"doctype":    `<!DOCTYPE e:Envelope [<!ENTITY x "y">]><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w/></e:Body></e:Envelope>`,
		"dupattr":    `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><e:Body><w><r xsi:type="xsd:int" xsi:type="xsd:string">1</r></w></e:Body></e:Envelope>`,
		"dupattr2":   `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:j="http://www.w3.org/2001/XMLSchema-instance"><e:Body><w><r i:nil="true" j:nil="false"/></w></e:Body></e:Envelope>`,
		"duphref":    `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a" href="#b"/></w><m id="a"/><m id="b"/></e:Body></e:Envelope>`,
		"dupid":      `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a"/></w><m id="a"/><m id="a"/></e:Body></e:Envelope>`,
		"idhref":     `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a"/></w><m id="a" href="#a"/></e:Body></e:Envelope>`,
		"undeclared": `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><p:r/></w></e:Body></e:Envelope>`,
		"tworoots":   `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w/></e:Body></e:Envelope><x/>`,
		"unclosed":   `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w></x></e:Body></e:Envelope>`,
		"deep":       `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w>` + strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + `</w></e:Body></e:Envelope>`,
	}
	for name, in := range cases {
		_, err := Unmarshal([]byte(in), DefaultLimits)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
	// shared references that would expand to 2^20 values if copied: resolved
	// by pointer, each target once, so this decodes at once
	bomb := func(levels int) []byte {
		var b strings.Builder
		b.WriteString(`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a0"/></w>`)
		for i := 0; i < levels; i++ {
			b.WriteString(`<m id="a` + itoa(i) + `"><x href="#a` + itoa(i+1) + `"/><y href="#a` + itoa(i+1) + `"/></m>`)
		}
		b.WriteString(`<m id="a` + itoa(levels) + `">leaf</m></e:Body></e:Envelope>`)
		return []byte(b.String())
	}
	start := time.Now()
	msg, err := Unmarshal(bomb(20), DefaultLimits)
	if err != nil || time.Since(start) > time.Second {
		t.Fatalf("shared references: %v after %v", err, time.Since(start))
	}
	leaf := msg.Part("r")
	for i := 0; i < 20; i++ {
		leaf = leaf.Field("y")
	}
	if leaf.Text != "leaf" {
		t.Fatalf("deepest shared value = %q", leaf.Text)
	}
	// a chain deeper than MaxDepth is refused
	if _, err := Unmarshal(bomb(40), DefaultLimits); !errors.Is(err, ErrMalformed) {
		t.Errorf("deep chain: want ErrMalformed, got %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
