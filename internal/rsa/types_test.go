package rsa_test

import (
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// TestWireFitsAMTypes: every request the client sends and every reply and
// fault the simulator sends, over a run of every typed command, fits the
// type table of the real AM (internal/rsa/amtypes): no member the class does
// not have, no other type; and every bean of a reply carries all its
// members, as Axis writes them.
func TestWireFitsAMTypes(t *testing.T) {
	rec := recordWorkflow(t)
	if len(rec.exchanges) < 17 {
		t.Fatalf("recorded %d exchanges", len(rec.exchanges))
	}
	faults := 0
	for i, x := range rec.exchanges {
		req, err := soapenc.Unmarshal(x.request, soapenc.DefaultLimits)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		in1 := req.Part(amproto.PartCommand)
		for _, m := range amtypes.Check("in1", in1, amtypes.Type{Name: amproto.TargetableCommand}) {
			t.Errorf("client sent %s: %s", in1.Type.Local, m)
		}
		// like RSA's proxy, every member, nil when unset
		complete(t, "client's "+in1.Type.Local, in1)
		if in0 := req.Part(amproto.PartSession); in0 != nil && !in0.Nil && in0.Type != soapenc.XSD("string") {
			t.Errorf("%s: in0 sent as %s", in1.Type.Local, in0.Type)
		}
		reply, err := soapenc.Unmarshal(x.reply, soapenc.DefaultLimits)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if reply.Fault != nil {
			faults++
			d := reply.Fault.Detail
			if d == nil || amtypes.Lookup(d.Type) == nil {
				t.Fatalf("%s: fault without an exception bean of AM's: %+v", in1.Type.Local, reply.Fault)
			}
			checkReply(t, "fault "+in1.Type.Local, d, amtypes.Type{Name: d.Type})
			continue
		}
		ret := reply.Part(amproto.PartReturn)
		if ret.Type != in1.Type {
			t.Errorf("%s answered with %s", in1.Type.Local, ret.Type)
		}
		checkReply(t, in1.Type.Local, ret, amtypes.Type{Name: amproto.TargetableCommand})
	}
	// DataNotFound for a person without tokens, an unknown token, the seed's empty GUID
	if faults != 3 {
		t.Errorf("%d faults, want the three the workflow provokes", faults)
	}
}

func checkReply(t *testing.T, what string, v *soapenc.Value, want amtypes.Type) {
	t.Helper()
	for _, m := range amtypes.Check(what, v, want) {
		t.Errorf("simulator sent %s", m)
	}
	complete(t, what, v)
}

// complete checks that every bean in v carries every member of its class.
func complete(t *testing.T, path string, v *soapenc.Value) {
	t.Helper()
	if v.Nil {
		return
	}
	if v.IsArray {
		for _, it := range v.Fields {
			complete(t, path+"[]", it)
		}
		return
	}
	c := amtypes.Lookup(v.Type)
	if c == nil || c.Enum() {
		return
	}
	for _, m := range amtypes.AllMembers(c) {
		f := v.Field(m.Name)
		if f == nil {
			t.Errorf("%s: %s lacks member %s", path, v.Type.Local, m.Name)
			continue
		}
		complete(t, path+"."+m.Name, f)
	}
}
