package amsim

import (
	"fmt"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// The simulator's classes are AM's: internal/rsa/amtypes, the type table of
// the real 8.4 CommandServer, drives the WSDL (wsdl.go), the replies (every
// member of a bean written, nil when unset, as Axis does) and the check of
// every request (Axis refuses a member its bean does not have).

// isCommand reports whether q names a command class of AM's.
func isCommand(q soapenc.QName) bool {
	return q != amproto.TargetableCommand && amtypes.IsA(q, amproto.TargetableCommand)
}

// obj writes an object of class q with every member the class has, taking
// values from set (by member name) and nil (or a primitive's default) for
// the rest. A value the class does not have, or of another type, is a
// programming error of the simulator's, caught by the tests.
func obj(name string, q soapenc.QName, set ...*soapenc.Value) *soapenc.Value {
	out, err := amtypes.Complete(name, q, set...)
	if err != nil {
		panic("amsim: " + err.Error())
	}
	if bad := amtypes.Check(q.Local, out, amtypes.Type{Name: q}); len(bad) > 0 {
		panic(fmt.Sprintf("amsim: %v", bad))
	}
	return out
}

// checkRequest refuses a command that does not fit AM's types, in the words
// Axis 1's bean deserializer uses ("Invalid element in <class> - <member>").
func checkRequest(in *soapenc.Value) *simFault {
	bad := amtypes.Check("in1", in, amtypes.Type{Name: amproto.TargetableCommand})
	if len(bad) == 0 {
		return nil
	}
	return fault(amproto.ExSystem, "", "org.xml.sax.SAXException: Invalid element in %s - %s", amproto.JavaClass(in.Type), bad[0])
}

// normalize repairs, in place, what WSDL-driven toolkits send for SOAP-encoded
// arrays of objects. zeep (issues #521, #897) writes the members of every item
// straight into the array element, without item wrappers or arrayType:
//
//	<parameters><promptKey>A</promptKey><value>x</value><promptKey>B</promptKey>…</parameters>
//
// Using the declared member types, such a run is cut back into items, a new
// item starting whenever a member name repeats.
func normalize(v *soapenc.Value, q soapenc.QName) {
	c := amtypes.Lookup(q)
	if v == nil || v.Nil || c == nil {
		return
	}
	for _, m := range amtypes.AllMembers(c) {
		f := v.Field(m.Name)
		if f == nil || f.Nil || len(f.Fields) == 0 || m.Type.Scalar() {
			continue
		}
		if m.Type.Dims == 0 {
			t := f.Type
			if t.IsZero() {
				t = m.Type.Name
			}
			normalize(f, t)
			continue
		}
		if m.Type.Dims == 1 && flattened(f) {
			f.Fields = regroup(f.Fields)
			for _, it := range f.Fields {
				it.Type = itemClass(m.Type.Name, it)
			}
		}
		for _, it := range f.Fields {
			t := it.Type
			if t.IsZero() {
				t = m.Type.Name
			}
			normalize(it, t)
		}
	}
}

// itemClass names the class of a regrouped item, whose xsi:type zeep's
// flattening lost: the declared class if the item's members are all its
// own, else the one subclass of it that has them all (a FieldParameterDTO
// where AbstractParameterDTO is declared).
func itemClass(declared soapenc.QName, it *soapenc.Value) soapenc.QName {
	fits := func(q soapenc.QName) bool {
		for _, f := range it.Fields {
			if _, ok := amtypes.MemberOf(q, f.Name); !ok {
				return false
			}
		}
		return true
	}
	if fits(declared) {
		return declared
	}
	var found []soapenc.QName
	for _, c := range amtypes.All() {
		if c.Name != declared && amtypes.IsA(c.Name, declared) && fits(c.Name) {
			found = append(found, c.Name)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return declared // checkRequest names what does not fit
}

// flattened reports whether an array's children are item members rather than
// items: real items all carry the same element name (item, Item, …).
func flattened(a *soapenc.Value) bool {
	for _, c := range a.Fields[1:] {
		if c.Name != a.Fields[0].Name {
			return true
		}
	}
	return false
}

func regroup(members []*soapenc.Value) []*soapenc.Value {
	var items []*soapenc.Value
	var cur *soapenc.Value
	seen := map[string]bool{}
	for _, m := range members {
		if cur == nil || seen[m.Name] {
			cur = &soapenc.Value{Name: "item"}
			items = append(items, cur)
			clear(seen)
		}
		seen[m.Name] = true
		cur.Fields = append(cur.Fields, m)
	}
	return items
}
