package soapenc

import (
	"errors"
	"os"
	"testing"
)

// FuzzUnmarshal feeds the reply/fault decoder arbitrary bytes: it must return a
// message or ErrMalformed, never panic or hang.
func FuzzUnmarshal(f *testing.F) {
	for _, p := range []string{"testdata/dotnet_login.xml"} {
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
		checkReusedDecoder(t, data, msg, err)
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

// reused is one long-lived decoder per fuzz process: every input is also
// decoded into memory the previous inputs used, and must come out the same.
var reused = NewDecoder()

func checkReusedDecoder(t *testing.T, data []byte, want *Message, wantErr error) {
	t.Helper()
	got, err := reused.Unmarshal(data, DefaultLimits)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("reused decoder: error %v, fresh decoder: error %v", err, wantErr)
	}
	if err == nil && describeMessage(got) != describeMessage(want) {
		t.Fatalf("reused decoder decoded\n%s\nfresh decoder\n%s", describeMessage(got), describeMessage(want))
	}
}
