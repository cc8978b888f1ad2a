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
