package amtypes

import (
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

const (
	nsTokData = "http://data.tokenmgt.admin.authmgr.rsa.com"
	nsAdmData = "http://data.admin.rsa.com"
)

func TestTableFacts(t *testing.T) {
	if n := len(All()); n != 1048 {
		t.Fatalf("%d classes, want the 1,048 of AM 8.4", n)
	}
	tok := soapenc.QName{Space: nsTokData, Local: "TokenDTO"}
	for _, c := range []struct {
		class soapenc.QName
		name  string
		want  string
	}{
		{tok, "rowVersion", "xsd:long"},
		{tok, "dateTokenShutdown", "xsd:dateTime?"},
		{soapenc.QName{Space: nsAdmData, Local: "IdentitySourceDTO"}, "srcType", "xsd:int"},
		{soapenc.QName{Space: "http://admin.rsa.com", Local: "GetIdentitySourcesCommand"}, "identitySourceScope", "xsd:boolean"},
		{soapenc.QName{Space: nsTokData, Local: "TokenEmergencyAccessDTO"}, "oneTimeTokencodeSet", "xsd:string[]"},
		{soapenc.QName{Space: "http://command.rsa.com", Local: "InvalidSessionException"}, "stackTrace", "{http://lang.java}StackTraceElement[]"},
		{soapenc.QName{Space: "http://tokenmgt.admin.authmgr.rsa.com", Local: "LookupTokenCommand"}, "backgroundCommand", "xsd:boolean"},
	} {
		m, ok := MemberOf(c.class, c.name)
		if !ok || m.Type.String() != c.want {
			t.Errorf("%s.%s = %v %v, want %s", c.class.Local, c.name, m.Type, ok, c.want)
		}
	}
	realm := Lookup(soapenc.QName{Space: nsAdmData, Local: "RealmDTO"})
	if _, ok := MemberOf(realm.Name, "guid"); ok || len(realm.Members) != 2 {
		t.Errorf("RealmDTO members %v: the real type has identitySources and topLevelSecurityDomain only", realm.Members)
	}
	if sys := Lookup(soapenc.QName{Space: "http://common.rsa.com", Local: "SystemException"}); !sys.Base.IsZero() {
		t.Errorf("SystemException has base %v; it has none", sys.Base)
	}
	// every class a member or base names is in the table, but one JDK class
	for _, c := range All() {
		if !c.Base.IsZero() && Lookup(c.Base) == nil {
			t.Errorf("%s extends %v, not in the table", c.Java, c.Base)
		}
		for _, m := range c.Members {
			n := m.Type.Name
			if n.Space != soapenc.NSXSD && n.Space != NSApacheSOAP && Lookup(n) == nil && n.Local != "Certificate" {
				t.Errorf("%s.%s: %v not in the table", c.Java, m.Name, n)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	ea := soapenc.QName{Space: nsTokData, Local: "TokenEmergencyAccessDTO"}
	good := soapenc.Obj("dto", ea, soapenc.Int("eaMode", 1), soapenc.Nil("eaExpiration"),
		soapenc.StrArray("oneTimeTokencodeSet", []string{"a"}), &soapenc.Value{Name: "id", Text: "x"})
	if bad := Check("dto", good, Type{Name: ea}); len(bad) != 0 {
		t.Fatalf("a fitting value: %v", bad)
	}
	cases := map[string]*soapenc.Value{
		"no member frob": soapenc.Obj("dto", ea, soapenc.Str("frob", "x")),
		"sent as {http://www.w3.org/2001/XMLSchema}string, declared xsd:int": soapenc.Obj("dto", ea, soapenc.Str("eaMode", "1")),
		"primitive": soapenc.Obj("dto", ea, soapenc.Nil("lostMode")),
		"array of":  soapenc.Obj("dto", ea, &soapenc.Value{Name: "oneTimeTokencodeSet", IsArray: true, Type: soapenc.ArrayType, ItemType: soapenc.XSD("int")}),
		"declared {http://data.tokenmgt.admin.authmgr.rsa.com}TokenEmergencyAccessDTO": soapenc.Obj("dto", soapenc.QName{Space: nsTokData, Local: "TokenDTO"}),
	}
	for want, v := range cases {
		bad := Check("dto", v, Type{Name: ea})
		if len(bad) != 1 || !strings.Contains(bad[0].String(), want) {
			t.Errorf("want one mismatch saying %q, got %v", want, bad)
		}
	}
	// a class AM does not have, where anything may stand
	if bad := Check("v", soapenc.Obj("v", soapenc.QName{Space: "urn:x", Local: "Y"}), Type{Name: soapenc.XSD("anyType")}); len(bad) != 1 || !strings.Contains(bad[0].What, "not in AM's type table") {
		t.Errorf("unknown class: %v", bad)
	}
	// a subclass stands where its base is declared
	cmd := soapenc.Obj("in1", soapenc.QName{Space: "http://tokenmgt.admin.authmgr.rsa.com", Local: "LookupTokenCommand"}, soapenc.Bool("backgroundCommand", false))
	if bad := Check("in1", cmd, Type{Name: soapenc.QName{Space: "http://command.rsa.com", Local: "TargetableCommand"}}); len(bad) != 0 {
		t.Fatalf("subclass: %v", bad)
	}
}

// TestAllMembersSharedSafely: the member lists of classes that share a base
// are independent (appending to one never changes another), and concurrent
// readers are safe (run under -race).
func TestAllMembersSharedSafely(t *testing.T) {
	a := Lookup(soapenc.QName{Space: "http://tokenmgt.admin.authmgr.rsa.com", Local: "LookupTokenCommand"})
	b := Lookup(soapenc.QName{Space: "http://tokenmgt.admin.authmgr.rsa.com", Local: "EnableTokensCommand"})
	ma, mb := AllMembers(a), AllMembers(b)
	if ma[0].Name != "backgroundCommand" || mb[0].Name != "backgroundCommand" {
		t.Fatalf("inherited members not first: %v / %v", ma, mb)
	}
	_ = append(ma, Member{Name: "x"})
	if got := AllMembers(b); len(got) != len(mb) || got[len(got)-1] != mb[len(mb)-1] {
		t.Fatalf("appending to one class's members changed another's: %v", got)
	}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				_, _ = Complete("in1", a.Name)
				_, _ = Complete("in1", b.Name)
			}
		}()
	}
	for range 4 {
		<-done
	}
}
