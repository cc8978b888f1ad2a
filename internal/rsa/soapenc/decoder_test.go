package soapenc

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// describeMessage prints everything a caller can see of a message, so two
// decodings can be compared.
func describeMessage(m *Message) string {
	var b strings.Builder
	if m.Fault != nil {
		fmt.Fprintf(&b, "fault %q %q host=%q\n", m.Fault.Code, m.Fault.String, m.Fault.Hostname)
		if m.Fault.Detail != nil {
			describeValue(&b, m.Fault.Detail, 1)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "op %s\n", m.Op)
	for _, p := range m.Parts {
		describeValue(&b, p, 1)
	}
	return b.String()
}

func describeValue(b *strings.Builder, v *Value, depth int) {
	if depth > 64 {
		b.WriteString("…\n")
		return
	}
	fmt.Fprintf(b, "%s%s type=%s nil=%v array=%v item=%s text=%q\n",
		strings.Repeat("  ", depth), v.Name, v.Type, v.Nil, v.IsArray, v.ItemType, v.Text)
	for _, f := range v.Fields {
		describeValue(b, f, depth+1)
	}
}

// TestDecoderReuse: a decoder's second message must not disturb what was
// taken from its first (strings), and must decode exactly as a fresh decoder
// would — in both directions between a big reply and a small request.
func TestDecoderReuse(t *testing.T) {
	reply, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	request, err := os.ReadFile("testdata/lookup_ea_request.xml")
	if err != nil {
		t.Fatal(err)
	}
	fault, err := MarshalFault(&Fault{Code: "soapenv:Server.userException", String: "com.rsa.X: gone",
		Detail: Obj("fault", QName{"urn:x", "X"}, Str("messageKey", "K"))}, "urn:w")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder()
	defer d.Release()
	for _, order := range [][][]byte{{reply, request, fault, reply}, {request, reply, reply, fault, request}} {
		var kept []string // strings taken from earlier messages, and what they said then
		var keptWant []string
		for _, data := range order {
			want, err := Unmarshal(data, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			buf := append([]byte(nil), data...) // the caller reuses its buffer too
			got, err := d.Unmarshal(buf, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := describeMessage(got), describeMessage(want); g != w {
				t.Fatalf("reused decoder:\n%s\nfresh decoder:\n%s", g, w)
			}
			clear(buf)
			for i := range kept {
				if kept[i] != keptWant[i] {
					t.Fatalf("a string from an earlier message changed: %q, was %q", kept[i], keptWant[i])
				}
			}
			if got.Fault == nil {
				for _, f := range got.Parts[len(got.Parts)-1].Fields {
					kept, keptWant = append(kept, f.Text, f.Name), append(keptWant, strings.Clone(f.Text), strings.Clone(f.Name))
				}
			}
		}
	}
}

// TestDecoderSteadyStateAllocations: once a reply's names are in the intern
// table, decoding it again with a pooled decoder allocates only the message's
// one text string and a little bookkeeping — the point of the pooled path. (A
// few allocations of slack: with a random hash seed, three of the reply's
// names can, rarely, share one set of the two-way table.)
func TestDecoderSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	data, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	decode := func() {
		d := NewDecoder()
		if _, err := d.Unmarshal(data, DefaultLimits); err != nil {
			t.Fatal(err)
		}
		d.Release()
	}
	decode()
	if n := testing.AllocsPerRun(200, decode); n > 6 {
		t.Fatalf("a pooled decode of a %d-byte reply made %.0f allocations, want at most 6", len(data), n)
	}
}
