package rsa_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// BenchmarkLookup compares the client's full path (envelope build, POST,
// decode, typed DTO) with a raw http.Post of the same envelope against the same
// simulator, in one run. Target: client ≤ 1.2× raw. It also reports HTTP round
// trips per command (target 1) and WSDL fetches (target 0).
func BenchmarkLookup(b *testing.B) {
	e := newEnv(b, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	tok, err := e.client.LookupToken(ctx, rsaRef(serial))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("client", func(b *testing.B) {
		before := e.client.Stats().RoundTrips
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(e.client.Stats().RoundTrips-before)/float64(b.N), "roundtrips/op")
		b.ReportMetric(float64(e.sim.Stats().WSDLRequests), "wsdl-fetches")
	})
	b.Run("raw-http-post", func(b *testing.B) {
		sid := sessionOf(b, e)
		body, err := soapenc.Marshal(amproto.OpExecute, []*soapenc.Value{soapenc.Str("in0", sid),
			soapenc.Obj("in1", amproto.LookupTokenEmergencyAccessCommand, soapenc.Bool("backgroundCommand", false),
				soapenc.Nil("commandJobId"), soapenc.Nil("schedule"), soapenc.Str("guid", tok.GUID))}, soapenc.Inline)
		if err != nil {
			b.Fatal(err)
		}
		url := e.srv.URL + amproto.ServicePath
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
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
	})
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
