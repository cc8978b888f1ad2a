package rsa

import (
	"context"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// RawActivity sends ActivityMonitorCommand with lastLogTime as given, for
// the tests of AM's refusal of a malformed one.
func (c *Client) RawActivity(ctx context.Context, lastLogTime string) error {
	return c.run(ctx, command(amproto.ActivityMonitorCommand, equalFilter(amproto.FieldUser, "jdoe"),
		soapenc.Int("logType", amproto.LogTypeRuntime), soapenc.Str("lastLogTime", lastLogTime), soapenc.Int("maxFetchSize", 2)))
}
