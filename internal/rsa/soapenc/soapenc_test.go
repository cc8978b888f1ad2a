package soapenc

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
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

var envelopeTestRuns atomic.Int32

// TestEnvelopeCacheWritesWhatTokensWrite: an envelope from the cache (start,
// end, and for Inline the RPC wrapper) is byte for byte what encoding the same
// message token by token gives — the path taken when the cache is full or a
// message declares more namespaces than a key holds.
func TestEnvelopeCacheWritesWhatTokensWrite(t *testing.T) {
	// namespaces no earlier run in this process used, so the first Marshal
	// below is a cache miss even under -count=N
	run := itoa(int(envelopeTestRuns.Add(1)))
	op := QName{"urn:test:envelope-cache", "run"}
	for _, style := range []Style{Inline, MultiRef} {
		parts := []*Value{Str("in0", "s"), Obj("in1", QName{"urn:test:envelope-cache:" + run + ":" + itoa(int(style)), "Cmd"}, Int("n", 1),
			Obj("inner", QName{"urn:test:other", "Inner"}, Bool("b", true)))}
		full := envelopeCount.Load()
		envelopeCount.Store(maxEnvelopes) // a miss now is encoded token by token
		uncached, err := Marshal(op, parts, style)
		envelopeCount.Store(full)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Marshal(op, parts, style) // builds the cache entry
		if err != nil {
			t.Fatal(err)
		}
		cached, err := Marshal(op, parts, style)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(uncached, first) || !bytes.Equal(first, cached) {
			t.Fatalf("style %d:\ntokens: %s\nfirst:  %s\ncached: %s", style, uncached, first, cached)
		}
		if _, err := Unmarshal(cached, DefaultLimits); err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
	}
	// more namespaces than a key holds: never cached, still well-formed
	many := Obj("in1", QName{"urn:a", "A"}, Obj("b", QName{"urn:b", "B"}, Obj("c", QName{"urn:c", "C"}, Obj("d", QName{"urn:d", "D"}))))
	b, err := Marshal(op, []*Value{many}, Inline)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Unmarshal(b, DefaultLimits)
	if err != nil || msg.Part("in1").Field("b").Field("c").Field("d").Type.Space != "urn:d" {
		t.Fatalf("%v %s", err, b)
	}
}

// TestFreeze: frozen members encode exactly as the same members unfrozen; a
// changed copy of a frozen member encodes its own content; objects are not
// frozen.
func TestFreeze(t *testing.T) {
	op := QName{"http://webservice.rsa.com", "executeCommand"}
	typ := QName{"http://tokenmgt.admin.authmgr.rsa.com", "LookupTokenCommand"}
	plain := []*Value{Bool("backgroundCommand", false), Nil("commandJobId"), Str("guid", "a<b")}
	frozen := []*Value{Freeze(Bool("backgroundCommand", false)), Freeze(Nil("commandJobId")), Freeze(Str("guid", "a<b"))}
	for _, style := range []Style{Inline, MultiRef} {
		want, err := Marshal(op, []*Value{Obj("in1", typ, plain...)}, style)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Marshal(op, []*Value{Obj("in1", typ, frozen...)}, style)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("style %d: frozen\n%s\nplain\n%s", style, got, want)
		}
	}
	changed := *frozen[2]
	changed.Text = "other"
	b, err := Marshal(op, []*Value{Obj("in1", typ, &changed)}, Inline)
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := Unmarshal(b, DefaultLimits); err != nil || msg.Part("in1").Str("guid") != "other" {
		t.Fatalf("a changed copy of a frozen member: %v %s", err, b)
	}
	if obj := Freeze(Obj("x", typ, Str("a", "b"))); obj.frozen {
		t.Fatal("an object was frozen")
	}
	// unfrozen, a value is encoded as any other, to the same bytes
	before, _ := Marshal(op, []*Value{Obj("in1", typ, frozen...)}, Inline)
	for _, v := range frozen {
		Unfreeze(v)
	}
	after, err := Marshal(op, []*Value{Obj("in1", typ, frozen...)}, Inline)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("after Unfreeze: %v\n%s\n%s", err, after, before)
	}
}
