package soapenc

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/tiaguinho/gosoap"
)

// gosoap's envelope types cannot carry AM's RPC/encoded messages
// (docs/gosoap.md says why; these are the reasons, kept true):
//
//  1. SoapEnvelope marshals as a bare <Envelope> in no namespace, with no
//     attribute to declare one: a SOAP 1.1 server (Axis) answers such a
//     request with a VersionMismatch fault.
//  2. SoapBody keeps the body's inner XML as bytes, cut off from the
//     namespace declarations on the Envelope: the xsi:type values of AM's
//     reply (ns2:LookupTokenEmergencyAccessCommand, xsd:boolean) no longer
//     resolve, and a reader that checks its prefixes refuses it.
//
// If a later gosoap fixes either, this test fails, and the envelope can
// go to it.
func TestGosoapEnvelopeCannotCarryAM(t *testing.T) {
	out, err := xml.Marshal(gosoap.SoapEnvelope{Body: gosoap.SoapBody{Contents: []byte("<x/>")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "<Envelope>") || strings.Contains(string(out), NSEnvelope) {
		t.Fatalf("gosoap's envelope now names its namespace: %s", out)
	}

	reply, err := os.ReadFile("testdata/axis_lookup_ea_reply.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmarshal(reply, DefaultLimits); err != nil {
		t.Fatalf("the Axis reply itself: %v", err)
	}
	var env gosoap.SoapEnvelope
	if err := xml.Unmarshal(reply, &env); err != nil {
		t.Fatal(err)
	}
	// the body's content, as gosoap hands it over, put back in an envelope
	// of the SOAP namespace alone: the prefixes the Axis envelope declared
	// are gone with it
	again := `<soapenv:Envelope xmlns:soapenv="` + NSEnvelope + `"><soapenv:Body>` + string(env.Body.Contents) + `</soapenv:Body></soapenv:Envelope>`
	if _, err := Unmarshal([]byte(again), DefaultLimits); err == nil || !strings.Contains(err.Error(), "undeclared prefix") {
		t.Fatalf("the body gosoap hands over read: %v", err)
	}
}
