package rsa_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// BenchmarkLookup measures what the client costs per command. Budget: at
// most 250 µs of client CPU per command on this 2-core machine (5 % of an
// AM answering in 5 ms; what a person waits for is round trips, not this).
//
//   - client-cpu/<command>: the client alone — envelope, HTTP request,
//     reading and decoding the reply, the typed DTO — against an in-memory
//     transport that answers with the simulator's recorded reply, so every
//     nanosecond is the client's. Three commands: the small EA lookup, the
//     token lookup (a TokenDTO of 68 members, every one written as Axis
//     does) and a token list.
//   - client and raw-http-post: the same EA lookup over loopback HTTP to the
//     in-process simulator, through the client and through a bare
//     http.Client posting the client's envelope and discarding the reply;
//     "interleaved" times the two in alternating rounds of 8 (the machine's
//     speed drifts within seconds, so only side-by-side timings compare) and
//     reports the difference per command, the client's own share.
//
// It also reports HTTP round trips per command (1) and WSDL fetches (0).
func BenchmarkLookup(b *testing.B) {
	e := newEnv(b, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	tok, err := e.client.LookupToken(ctx, rsaRef(serial))
	if err != nil {
		b.Fatal(err)
	}
	client := func(b *testing.B) {
		if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
			b.Fatal(err)
		}
	}
	raw := rawPost(b, e, tok.GUID)
	clientCPU(b, e, tok)
	b.Run("client", func(b *testing.B) {
		before := e.client.Stats().RoundTrips
		b.ReportAllocs()
		for b.Loop() {
			client(b)
		}
		b.ReportMetric(float64(e.client.Stats().RoundTrips-before)/float64(b.N), "roundtrips/op")
		b.ReportMetric(float64(e.sim.Stats().WSDLRequests), "wsdl-fetches")
	})
	b.Run("raw-http-post", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw(b)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		const round = 8
		var clientTime, rawTime time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			for range round {
				client(b)
			}
			t1 := time.Now()
			for range round {
				raw(b)
			}
			clientTime += t1.Sub(t0)
			rawTime += time.Since(t1)
			n += round
		}
		b.ReportMetric(float64(clientTime.Nanoseconds())/float64(n), "client-ns/cmd")
		b.ReportMetric(float64(rawTime.Nanoseconds())/float64(n), "raw-ns/cmd")
		b.ReportMetric(float64((clientTime-rawTime).Nanoseconds())/float64(n), "extra-ns/cmd")
	})
}

// canned answers every command with a reply recorded from the simulator.
type canned map[string][]byte

func (c canned) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	reply, ok := c[commandOf(body)]
	if !ok {
		return nil, io.ErrUnexpectedEOF
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml; charset=utf-8"}},
		Body: io.NopCloser(bytes.NewReader(reply)), Request: req}, nil
}

// clientCPU runs the client-cpu sub-benchmarks (see BenchmarkLookup).
func clientCPU(b *testing.B, e *env, tok rsa.Token) {
	rec := &recorder{next: http.DefaultTransport, seen: map[string][]byte{}}
	recording := newEnv(b, amsim.Options{}, func(c *rsa.Config) { c.Transport = rec })
	ctx := context.Background()
	if _, err := recording.client.LookupToken(ctx, rsa.TokenRef{Serial: tok.Serial}); err != nil {
		b.Fatal(err)
	}
	_, _ = recording.client.LookupEmergencyAccess(ctx, tok.GUID)
	_, _ = recording.client.ListTokensByPrincipal(ctx, tok.PrincipalGUID)
	replies := canned{}
	for _, x := range rec.exchanges {
		replies[commandOf(x.request)] = x.reply
	}
	c, err := rsa.New(rsa.Config{URL: "https://am.invalid:7002", CommandClientUser: "u", CommandClientPassword: "p",
		AdminUser: "admin", AdminPassword: "p", Transport: replies})
	if err != nil {
		b.Fatal(err)
	}
	for name, run := range map[string]func() error{
		"LookupTokenEmergencyAccess": func() error { _, err := c.LookupEmergencyAccess(ctx, tok.GUID); return err },
		"LookupToken":                func() error { _, err := c.LookupToken(ctx, rsa.TokenRef{Serial: tok.Serial}); return err },
		"ListTokensByPrincipal":      func() error { _, err := c.ListTokensByPrincipal(ctx, tok.PrincipalGUID); return err },
	} {
		b.Run("client-cpu/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(replies[name+"Command"])))
			b.ReportAllocs()
			for b.Loop() {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// rawPost returns a function that sends, with a bare http.Client, the
// envelope the client sends for LookupTokenEmergencyAccessCommand.
func rawPost(b *testing.B, e *env, guid string) func(*testing.B) {
	sid := sessionOf(b, e)
	body, err := soapenc.Marshal(amproto.OpExecute, []*soapenc.Value{soapenc.Str("in0", sid),
		soapenc.Obj("in1", amproto.LookupTokenEmergencyAccessCommand, soapenc.Bool("backgroundCommand", false),
			soapenc.Nil("commandJobId"), soapenc.Nil("schedule"), soapenc.Str("guid", guid))}, soapenc.Inline)
	if err != nil {
		b.Fatal(err)
	}
	url := e.srv.URL + amproto.ServicePath
	hc := &http.Client{}
	return func(b *testing.B) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.SetBasicAuth("CmdClient_sim", "sim-secret")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkSimulatorThroughput: lookup commands per second served by the
// simulator to 8 concurrent clients on loopback (target ≥ 2,000/s).
func BenchmarkSimulatorThroughput(b *testing.B) {
	e := newEnv(b, amsim.Options{})
	ctx := context.Background()
	tok, err := e.client.LookupToken(ctx, rsaRef(e.ds.TokensOf("jdoe")[0]))
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 concurrent clients on this machine
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
