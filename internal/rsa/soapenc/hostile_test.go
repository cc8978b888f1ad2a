package soapenc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// An element with thousands of attributes is refused at once (the checks
// compared every attribute with every other), and a decode gives up when
// its context ends (a crafted reply held a lookup 50 s past its timeout).
func TestHostileRepliesAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><r`)
	for i := range 50_000 {
		b.WriteString(` a` + strconv.Itoa(i) + `="x"`)
	}
	b.WriteString(`/></soapenv:Body></soapenv:Envelope>`)
	_, err := Unmarshal([]byte(b.String()), DefaultLimits)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "attributes (at most 512)") {
		t.Fatalf("50,000 attributes: %v", err)
	}

	b.Reset()
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:r xmlns:ns1="urn:x">`)
	for range 100_000 {
		b.WriteString(`<i>1</i>`)
	}
	b.WriteString(`</ns1:r></soapenv:Body></soapenv:Envelope>`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := UnmarshalContext(ctx, []byte(b.String()), DefaultLimits); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled decode: %v", err)
	}
}
