package soapenc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
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

// readDoc parses data into d and describes the message as read through
// Nodes, in the form of describeMessage ("" for a fault, which ParseReply
// hands to Unmarshal). It returns the wrapper and fault nodes as envelope does.
func readDoc(d *Doc, data []byte) (desc string, wrapper, fault int32, err error) {
	if err := d.parse(data, DefaultLimits); err != nil {
		return "", -1, -1, err
	}
	if wrapper, fault, err = d.envelope(); err != nil || fault >= 0 {
		return "", wrapper, fault, err
	}
	return describeDoc(d, wrapper), wrapper, fault, nil
}

// describeDoc prints a parsed message read through Nodes, in the form of
// describeMessage.
func describeDoc(d *Doc, wrapper int32) string {
	var b strings.Builder
	w := &d.nodes[wrapper]
	fmt.Fprintf(&b, "op %s\n", QName{d.spaces[w.ns], string(d.bytes(w.name))})
	for c := w.first; c >= 0; c = d.nodes[c].next {
		describeNode(&b, d.content(c), 1)
	}
	return b.String()
}

func describeNode(b *strings.Builder, n Node, depth int) {
	if depth > 64 {
		b.WriteString("…\n")
		return
	}
	fmt.Fprintf(b, "%s%s type=%s nil=%v array=%v item=%s text=%q\n",
		strings.Repeat("  ", depth), n.Name(), n.Type(), n.IsNil(), n.IsArray(), n.ItemType(), n.Text())
	if n.Exists() {
		for c := n.node().first; c >= 0; c = n.d.nodes[c].next {
			describeNode(b, n.d.content(c), depth+1)
		}
	}
}

// TestDocReuse: a Doc reused for message after message reads each exactly
// as Unmarshal decodes it, and strings taken from an earlier message do not
// change — in both directions between a big reply and a small request.
func TestDocReuse(t *testing.T) {
	reply, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	request, err := os.ReadFile("testdata/lookup_ea_request.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDoc()
	defer d.Release()
	for _, order := range [][][]byte{{reply, request, reply}, {request, reply, reply, request}} {
		var kept, keptWant []string // strings taken from earlier messages, and what they said then
		for _, data := range order {
			want, err := Unmarshal(data, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			buf := append([]byte(nil), data...)
			got, wrapper, _, err := readDoc(d, buf)
			if err != nil {
				t.Fatal(err)
			}
			if w := describeMessage(want); got != w {
				t.Fatalf("reused Doc:\n%s\nUnmarshal:\n%s", got, w)
			}
			last := Node{d: d, i: d.nodes[wrapper].last, at: d.nodes[wrapper].last}
			for it := range d.content(last.i).Items {
				kept, keptWant = append(kept, it.Text(), it.Name()), append(keptWant, it.Text(), it.Name())
			}
			clear(buf) // the caller reuses its buffer: taken strings must not change
			for i := range kept {
				if kept[i] != keptWant[i] {
					t.Fatalf("a string from an earlier message changed: %q, was %q", kept[i], keptWant[i])
				}
			}
		}
	}
}

// TestParseReplyFault: a fault comes back decoded in full, as Unmarshal
// decodes it.
func TestParseReplyFault(t *testing.T) {
	data, err := MarshalFault(&Fault{Code: "soapenv:Server.userException", String: "com.rsa.X: gone",
		Detail: Obj("fault", QName{"urn:x", "X"}, Str("messageKey", "K"))}, "urn:w")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDoc()
	defer d.Release()
	ret, f, err := d.ParseReply(data, DefaultLimits, "executeCommandReturn")
	if err != nil || ret.Exists() || f == nil {
		t.Fatalf("ParseReply = %v, %+v, %v", ret.Exists(), f, err)
	}
	if f.String != "com.rsa.X: gone" || f.Detail.Str("messageKey") != "K" {
		t.Fatalf("fault = %+v", f)
	}
}

// TestDocSteadyStateAllocations: parsing a reply into a pooled Doc and
// reading a DTO's worth of fields allocates only the strings read — the
// point of the Node path.
func TestDocSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	data, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	read := func() {
		d := NewDoc()
		ret, _, err := d.ParseReply(data, DefaultLimits, "executeCommandReturn")
		if err != nil {
			t.Fatal(err)
		}
		ea := ret.Field("tokenEmergencyAccess")
		if n, err := ea.Int("tokenType"); err != nil || n != 2 {
			t.Fatalf("tokenType = %d, %v", n, err)
		}
		if b, err := ea.Bool("tokenLost"); err != nil || b {
			t.Fatalf("tokenLost = %v, %v", b, err)
		}
		if ea.Str("serialNumber") != "000100001007" {
			t.Fatalf("serial = %q", ea.Str("serialNumber"))
		}
		d.Release()
	}
	read()
	if n := testing.AllocsPerRun(200, read); n > 1 {
		t.Fatalf("parsing a %d-byte reply and reading three fields made %.0f allocations, want 1 (the serial)", len(data), n)
	}
}

// TestFindMatchesField: reading a bean's members through one cursor finds
// what Field finds, in wire order, in reverse, in any order, absent names
// included.
func TestFindMatchesField(t *testing.T) {
	data, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDoc()
	defer d.Release()
	ret, _, err := d.ParseReply(data, DefaultLimits, "executeCommandReturn")
	if err != nil {
		t.Fatal(err)
	}
	ea := ret.Field("tokenEmergencyAccess")
	var names []string
	for m := range ea.Items {
		names = append(names, m.Name())
	}
	if len(names) < 20 {
		t.Fatalf("only %d members", len(names))
	}
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, order := range [][]string{names, reversed, shuffled, append([]string{"absent"}, names...), {names[3], "absent", names[3], names[0]}} {
		var cursor int32
		for _, name := range order {
			got, want := ea.Find(name, &cursor), ea.Field(name)
			if got != want {
				t.Fatalf("Find(%q) = %+v, Field = %+v (order %q)", name, got, want, order)
			}
		}
	}
}

// TestDocTextInPieces: text split by comments, CDATA and references reads
// joined, as Unmarshal (and encoding/xml) read it, also when another leaf's
// decoded text lies between in the Doc's buffer.
func TestDocTextInPieces(t *testing.T) {
	data := []byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<ns1:r xmlns:ns1="urn:x"><a>x&amp;<!--c-->y&lt;<![CDATA[<z>]]>&#65;</a><b>1&amp;2</b><c><![CDATA[p]]>q<?pi?>r</c>` +
		`<d>  </d><e/></ns1:r></soapenv:Body></soapenv:Envelope>`)
	want, err := Unmarshal(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDoc()
	defer d.Release()
	got, _, _, err := readDoc(d, data)
	if err != nil {
		t.Fatal(err)
	}
	if w := describeMessage(want); got != w {
		t.Fatalf("Doc reads\n%s\nUnmarshal decodes\n%s", got, w)
	}
	if a := want.Part("a").Text; a != "x&y<<z>A" {
		t.Fatalf("a = %q", a)
	}
}
