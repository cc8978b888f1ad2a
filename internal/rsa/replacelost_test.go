package rsa_test

import (
	"context"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// A replacement whose reply is lost is read back (#29 item 8: it was
// reported as not made, inviting a second one): AM's records of the old
// token and its successor decide, for a chosen successor and for AM's pick.
func TestReplaceLostReplyIsReadBack(t *testing.T) {
	for _, c := range []struct {
		name string
		cmd  soapenc.QName
		with func(e *env) string
	}{
		{"a chosen successor", amproto.ReplaceTokensCommand, func(e *env) string { return e.ds.Tokens[len(e.ds.Tokens)-1].Serial }},
		{"AM's pick", amproto.ReplaceWithNextAvailableTokenCmd, func(*env) string { return "" }},
	} {
		o, e := newOps(t, amsim.Options{})
		old := e.ds.TokensOf("jdoe")[0]
		with := c.with(e)
		e.sim.Inject(amsim.Rule{Command: c.cmd, Action: amsim.DropAfter})
		res, err := o.Replace(context.Background(), old, with, false)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Old.Token.ReplaceSerial != res.New.Token.Serial || res.New.Token.AssignedUserID != "jdoe" || (with != "" && res.New.Token.Serial != with) {
			t.Fatalf("%s: old %s → %q, new %s (%s)", c.name, res.Old.Token.Serial, res.Old.Token.ReplaceSerial, res.New.Token.Serial, res.New.Token.AssignedUserID)
		}
	}
}
