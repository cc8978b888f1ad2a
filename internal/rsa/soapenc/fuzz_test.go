package soapenc

import (
	"errors"
	"os"
	"strings"
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
		checkDoc(t, data, msg, err)
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

// reused is one long-lived Doc per fuzz process: every input is also parsed
// into memory the previous inputs used, and read through Nodes, and must come
// out as Unmarshal decodes it.
var reused = NewDoc()

func checkDoc(t *testing.T, data []byte, want *Message, wantErr error) {
	t.Helper()
	got, _, fault, err := readDoc(reused, data)
	switch {
	case err != nil && wantErr == nil:
		t.Fatalf("Doc refused what Unmarshal decodes: %v", err)
	case err == nil && fault >= 0:
		// ParseReply hands faults to Unmarshal: the same result by construction
	case err == nil && wantErr != nil:
		// Nodes follow references when read, so only Unmarshal, which
		// resolves them all, sees a cycle
		if !strings.Contains(wantErr.Error(), "cycle") && !strings.Contains(wantErr.Error(), "nested deeper") {
			t.Fatalf("Doc accepted what Unmarshal refuses (%v)", wantErr)
		}
	case err == nil:
		if w := describeMessage(want); got != w {
			t.Fatalf("Doc reads\n%s\nUnmarshal decodes\n%s", got, w)
		}
	}
}
