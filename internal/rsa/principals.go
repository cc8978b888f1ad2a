package rsa

import (
	"strings"
	"sync"
	"time"
)

// PrincipalTTL is how long a login's AM principal is kept. Opening a
// person's tokens, and every change to them, starts from the principal:
// asking AM for it each time is a round trip that tells nothing new (a
// principal's GUID stays while the person exists). It is asked again after
// this, and at once when AM says the kept one is unknown (see UserTokens).
const PrincipalTTL = 10 * time.Minute

// principalCap bounds the principals kept (an SSH server's sessions share
// them); past it the expired ones go, then the oldest.
const principalCap = 4096

// principalCache maps logins (case-insensitive, as AD's) to principals.
type principalCache struct {
	mu sync.Mutex
	m  map[string]keptPrincipal
}

type keptPrincipal struct {
	p  Principal
	at time.Time
}

func newPrincipalCache() *principalCache {
	return &principalCache{m: map[string]keptPrincipal{}}
}

func (c *principalCache) get(login string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[strings.ToLower(login)]
	if !ok || now.Sub(k.at) >= PrincipalTTL || now.Before(k.at) {
		return Principal{}, false
	}
	return k.p, true
}

func (c *principalCache) put(login string, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= principalCap {
		oldest, at := "", now
		for l, k := range c.m {
			if now.Sub(k.at) >= PrincipalTTL {
				delete(c.m, l)
			} else if k.at.Before(at) {
				oldest, at = l, k.at
			}
		}
		if len(c.m) >= principalCap {
			delete(c.m, oldest)
		}
	}
	c.m[strings.ToLower(login)] = keptPrincipal{p: p, at: now}
}

func (c *principalCache) drop(login string) {
	c.mu.Lock()
	delete(c.m, strings.ToLower(login))
	c.mu.Unlock()
}

func (c *principalCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
