package ad_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/ad/ldapsim"
)

// proxy is a misbehaving TCP hop between the client and the directory.
type proxy struct {
	ln       net.Listener
	upstream string
	mode     atomic.Int32
	after    int64 // server→client bytes before a reset or a stall
	mu       sync.Mutex
	conns    []net.Conn
}

const (
	pass int32 = iota
	slow
	resetMidReply
	stall
	garbage
)

func newProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, upstream: upstream, after: 6000}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *proxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, server)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(server, client); server.Close() }()
	var sent int64
	buf := make([]byte, 4096)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			switch p.mode.Load() {
			case slow:
				time.Sleep(20 * time.Millisecond)
			case resetMidReply:
				if sent+int64(n) > p.after {
					if tc, ok := client.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST, not FIN
					}
					client.Close()
					return
				}
			case stall:
				if sent+int64(n) > p.after {
					time.Sleep(time.Hour) // until the test closes us
					return
				}
			case garbage:
				if sent > 2000 { // after the handshake, the directory starts talking nonsense
					for i := range buf[:n] {
						buf[i] = 0x5a
					}
				}
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
		}
		if err != nil {
			client.Close()
			return
		}
	}
}

func (p *proxy) url() string { return "ldaps://" + p.ln.Addr().String() }

func TestDirectoryFaults(t *testing.T) {
	d := embedded(t, ldapsim.Options{})
	p := newProxy(t, d.ldapsURL[len("ldaps://"):])
	c := d.client(t, func(cfg *ad.Config) {
		cfg.URL, cfg.ServerName, cfg.PageSize, cfg.RequestTimeout = p.url(), "127.0.0.1", 10, 700*time.Millisecond
	})
	everyone := func() (int, error) {
		n := 0
		err := c.Search(context.Background(), "", 0, func(u []ad.User) error { n += len(u); return nil })
		return n, err
	}
	if n, err := everyone(); err != nil || n != len(d.ds.People) {
		t.Fatalf("through the proxy: %d %v", n, err)
	}

	p.mode.Store(slow)
	if n, err := everyone(); err != nil || n != len(d.ds.People) {
		t.Fatalf("slow network: %d %v", n, err)
	}

	for _, mode := range []struct {
		name string
		m    int32
		want error
	}{{"reset mid-reply", resetMidReply, ad.ErrUnreachable}, {"stalled reply", stall, ad.ErrUnreachable}, {"garbage", garbage, nil}} {
		p.mode.Store(mode.m)
		ad.DropConnection(c) // start from a fresh connection through the faulty hop
		start := time.Now()
		_, err := everyone()
		if err == nil {
			t.Fatalf("%s: no error", mode.name)
		}
		if mode.want != nil && !errors.Is(err, mode.want) {
			t.Fatalf("%s: %v", mode.name, err)
		}
		if ad.Explain(err) == "" || time.Since(start) > 5*time.Second {
			t.Fatalf("%s: %v after %v", mode.name, err, time.Since(start))
		}
		// the next search, on a healthy path, works again (reconnect)
		p.mode.Store(pass)
		if n, err := everyone(); err != nil || n != len(d.ds.People) {
			t.Fatalf("after %s: %d %v", mode.name, n, err)
		}
	}
}
