package am

import (
	"errors"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// A typed fault with an empty faultstring (as Axis sends for some
// exceptions) is read from its <detail> bean: the class from its type, the
// message from its members.
func TestFaultFromDetailAlone(t *testing.T) {
	bean := soapenc.Obj("fault", soapenc.QName{Space: "http://exception.command.rsa.com", Local: "DataNotFoundException"},
		soapenc.Str("message", "Token-Lookup : Token 1 not found"), soapenc.Str("messageKey", "TOKEN_NOT_FOUND"))
	f := faultFromSOAP("LookupTokenCommand", &soapenc.Fault{Code: "soapenv:Server.userException", Detail: bean})
	if f.Class != amproto.ExDataNotFound || f.Message != "Token-Lookup : Token 1 not found" || f.MessageKey != "TOKEN_NOT_FOUND" {
		t.Fatalf("%+v", f)
	}
	if !errors.Is(f, ErrNotFound) {
		t.Fatal("not ErrNotFound")
	}
}
