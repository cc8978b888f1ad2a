package rsa_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

var update = flag.Bool("update", false, "rewrite golden files")

// recorder keeps every request body the client sends, by command class (the
// last of each), and every exchange in order.
type recorder struct {
	mu        sync.Mutex
	next      http.RoundTripper
	seen      map[string][]byte
	exchanges []exchange
}

type exchange struct{ request, reply []byte }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := r.next.RoundTrip(req)
	var reply []byte
	if err == nil {
		reply, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(reply))
	}
	r.mu.Lock()
	r.seen[commandOf(body)] = body
	r.exchanges = append(r.exchanges, exchange{body, reply})
	r.mu.Unlock()
	return resp, err
}

func commandOf(body []byte) string {
	i := bytes.Index(body, []byte(`xsi:type="ns`))
	j := bytes.IndexByte(body[i+len(`xsi:type="ns`):], ':')
	rest := body[i+len(`xsi:type="ns`)+j+1:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// indent pretty-prints XML so golden files are readable and diffable.
func indent(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	d := xml.NewDecoder(bytes.NewReader(b))
	e := xml.NewEncoder(&out)
	e.Indent("", " ")
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// keep prefixes as written: RawToken leaves them in Name.Space, which
		// the encoder would treat as a namespace URI
		flat := func(n xml.Name) xml.Name {
			if n.Space == "" {
				return n
			}
			return xml.Name{Local: n.Space + ":" + n.Local}
		}
		switch tt := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(tt)) == 0 {
				continue
			}
		case xml.StartElement:
			tt.Name = flat(tt.Name)
			for i := range tt.Attr {
				tt.Attr[i].Name = flat(tt.Attr[i].Name)
			}
			tok = tt
		case xml.EndElement:
			tt.Name = flat(tt.Name)
			tok = tt
		}
		if err := e.EncodeToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	_ = e.Flush()
	out.WriteByte('\n')
	return out.Bytes()
}

// TestGoldenRequestEnvelopes pins the exact envelopes the client sends for every
// command: real namespaces and class names, xsi:type on in1 and on every value,
// TargetableCommand members first. Regenerate with go test -run Golden -update.
func TestGoldenRequestEnvelopes(t *testing.T) {
	rec := recordWorkflow(t)
	if len(rec.seen) != 16 {
		t.Fatalf("recorded %d commands", len(rec.seen))
	}
	for name, body := range rec.seen {
		got := indent(t, body)
		path := filepath.Join("testdata", "golden", name+".xml")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, path, got)
		}
		if strings.Contains(string(body), "<in1>") {
			t.Errorf("%s: in1 without xsi:type", name)
		}
	}
}

func ignore[T any](_ T, err error) error { return err }

// recordWorkflow runs every typed command of the client once against the
// simulator and returns what went over the wire.
func recordWorkflow(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport, seen: map[string][]byte{}}
	e := newEnv(t, amsim.Options{}, func(c *rsa.Config) { c.Transport = rec })
	ctx := context.Background()
	// faults first (the golden files keep the last request of each command):
	// an unknown token, the seed's empty GUID
	if _, err := e.client.LookupToken(ctx, rsa.TokenRef{Serial: "999999999999"}); err == nil {
		t.Fatal("an unknown token was found")
	}
	if _, err := e.client.GenerateEmergencyAccessCode(ctx, ""); err == nil {
		t.Fatal("an empty token GUID was accepted")
	}
	src, _ := e.sim.IdentitySourceGUID("Corporate AD")
	tok := e.token(t, "jdoe", 0)
	pool := e.ds.Tokens[len(e.ds.Tokens)-1]
	ptok, _ := e.client.LookupToken(ctx, rsa.TokenRef{Serial: pool.Serial})
	p := e.principal(t, "fnotoken")
	steps := []error{
		ignore(e.client.SearchRealms(ctx, "SystemDomain")),
		ignore(e.client.GetIdentitySources(ctx)),
		ignore(e.client.LookupIdentitySource(ctx, src)),
		ignore(e.client.LookupPrincipal(ctx, p.GUID, src)),
		ignore(e.client.ListTokensByPrincipal(ctx, p.GUID)),
		e.client.LinkTokens(ctx, p.GUID, ptok.GUID),
		e.client.EnableTokens(ctx, false, ptok.GUID),
		e.client.UnlinkTokens(ctx, ptok.GUID),
		ignore(e.client.GenerateOneTimeCodes(ctx, tok.GUID, 2)),
	}
	code, err := e.client.GenerateEmergencyAccessCode(ctx, tok.GUID)
	steps = append(steps, err)
	ea, err := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	steps = append(steps, err)
	ea.Lost, ea.Mode, ea.LostMode, ea.TemporaryFixedTokencode = true, rsa.EAFixedCode, rsa.IfAvailableAllowAndEnd, code
	ea.Expiration, ea.ValidOnlineData, ea.ClearUnusedCodes = time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC), true, true
	steps = append(steps, e.client.UpdateEmergencyAccess(ctx, ea))
	steps = append(steps, e.client.Close(ctx))
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return rec
}
