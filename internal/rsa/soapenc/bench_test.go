package soapenc

import (
	"os"
	"testing"
)

// BenchmarkUnmarshal decodes what the client decodes on every lookup (an Axis
// multiRef reply from the simulator) and what the simulator decodes on every
// request.
func BenchmarkUnmarshal(b *testing.B) {
	for _, name := range []string{"axis_lookup_ea_reply.xml", "lookup_ea_request.xml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Unmarshal(data, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshalRequest encodes what the client sends for a lookup.
func BenchmarkMarshalRequest(b *testing.B) {
	cmd := []*Value{Str("in0", "0123456789abcdef0123456789abcdef"),
		Obj("in1", QName{"http://tokenmgt.admin.authmgr.rsa.com", "LookupTokenEmergencyAccessCommand"},
			Bool("backgroundCommand", false), Nil("commandJobId"), Nil("schedule"),
			Str("guid", "ee34e5ca978fb4f748376d5b9bb5d225"))}
	op := QName{"http://webservice.rsa.com", "executeCommand"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(op, cmd, Inline); err != nil {
			b.Fatal(err)
		}
	}
}
