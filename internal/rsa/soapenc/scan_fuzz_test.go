package soapenc

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// stdTree parses with encoding/xml (strict) into the same shape as parse: the
// reference the scanner is checked against.
func stdTree(data []byte) (*Value, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*Value
	var texts []*strings.Builder
	var top *Value
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if top == nil || len(stack) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return top, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v := &Value{Name: t.Name.Local, ns: t.Name.Space}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Fields = append(p.Fields, v)
			} else {
				if top != nil {
					return nil, io.ErrUnexpectedEOF
				}
				top = v
			}
			stack = append(stack, v)
			texts = append(texts, &strings.Builder{})
		case xml.EndElement:
			v := stack[len(stack)-1]
			if len(v.Fields) == 0 {
				v.Text = texts[len(texts)-1].String()
			}
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			if len(texts) > 0 {
				texts[len(texts)-1].Write(t)
			}
		}
	}
}

// parseTree is the package's own parse as a Value tree (hrefs unresolved).
func parseTree(data []byte, lim Limits) (*Value, error) {
	doc := NewDoc()
	defer doc.Release()
	if err := doc.parse(data, lim); err != nil {
		return nil, err
	}
	return &doc.values()[0], nil
}

func sameTree(a, b *Value) bool {
	if a.Name != b.Name || a.ns != b.ns || len(a.Fields) != len(b.Fields) {
		return false
	}
	if len(a.Fields) == 0 && !a.Nil && a.Text != b.Text {
		return false
	}
	for i := range a.Fields {
		if !sameTree(a.Fields[i], b.Fields[i]) {
			return false
		}
	}
	return true
}

// FuzzScannerMatchesEncodingXML: whenever both parsers accept a document they
// must build the same tree, and the scanner must never accept a document that
// encoding/xml finds malformed. (The scanner is stricter by design: it refuses
// DTDs and undeclared prefixes, which encoding/xml lets through.)
func FuzzScannerMatchesEncodingXML(f *testing.F) {
	f.Add([]byte(`<a xmlns="urn:x" xmlns:p="urn:p"><p:b q="1 &amp; 2">t&lt;x&#65;&#x42;</p:b><c/><![CDATA[<raw>]]><!-- c --></a>`))
	f.Add([]byte("<?xml version=\"1.0\"?>\r\n<a>\r\nline\rtwo</a>"))
	b, _ := Marshal(opResp, []*Value{sampleCommand()}, MultiRef)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, oerr := parseTree(data, Limits{MaxDepth: 1000, MaxValues: 1 << 20})
		std, serr := stdTree(data)
		switch {
		case oerr == nil && serr != nil:
			t.Fatalf("scanner accepted what encoding/xml refuses (%v): %q", serr, data)
		case oerr == nil && serr == nil && !sameTree(ours, std):
			t.Fatalf("trees differ for %q", data)
		}
	})
}
