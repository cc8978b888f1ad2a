package sshserve

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/rsatui/rsatui/internal/rsa"
)

// Key is one line of the authorized-keys file. What its person may do is
// its Grant: the role's permissions (rsa's one table), changed by the
// line's perms= option; the operation layer enforces it, not only the
// screens.
type Key struct {
	Key         gossh.PublicKey
	Role        rsa.Role
	Grant       rsa.Grant
	Comment     string
	Fingerprint string // SHA256:…, as ssh-keygen -l prints it
	Line        int
}

// ErrNoKeys is returned for a file without any key: a server nobody can log
// in to is a mistake, not a configuration.
var ErrNoKeys = errors.New("no keys")

// ParseAuthorizedKeys reads OpenSSH authorized_keys lines with rsatui's
// options: role=admin|helpdesk|viewer (a key without one is a viewer: the
// least a key can do) and perms=, which narrows or widens the role the way
// RSA's Help Desk portal grants claims: perms="token:lost-emergency-tft"
// (exactly these) or perms="+token:assign,-token:lost-emergency-ott".
// Other OpenSSH options (from=, command=, …) are refused rather than
// ignored, since ignoring from="…" would silently widen who can connect.
func ParseAuthorizedKeys(data []byte) ([]Key, error) {
	var keys []Key
	seen := map[string]int{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		pub, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: not a public key (%v)", n+1, err)
		}
		k := Key{Key: pub, Role: rsa.RoleViewer, Comment: comment, Fingerprint: gossh.FingerprintSHA256(pub), Line: n + 1}
		roles, perms, spec := 0, 0, ""
		for _, opt := range options {
			name, value, _ := strings.Cut(opt, "=")
			value = strings.Trim(value, `"`)
			switch strings.ToLower(name) {
			case "role":
				// one role a key: a second would silently win (role=helpdesk,role=admin)
				if roles++; roles > 1 {
					return nil, fmt.Errorf("line %d: more than one role= option; give each key one role", n+1)
				}
				k.Role = rsa.Role(strings.ToLower(value))
			case "perms":
				if perms++; perms > 1 {
					return nil, fmt.Errorf("line %d: more than one perms= option; list them in one, separated by commas", n+1)
				}
				spec = value
			default:
				return nil, fmt.Errorf("line %d: option %q is not supported by rsatui serve (only role= and perms=)", n+1, name)
			}
		}
		g, err := rsa.GrantOf(k.Role, spec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
		k.Grant = g
		if prev, dup := seen[k.Fingerprint]; dup {
			return nil, fmt.Errorf("line %d: key %s is already on line %d; one role per key", n+1, k.Fingerprint, prev)
		}
		seen[k.Fingerprint] = k.Line
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: add lines like `role=admin ssh-ed25519 AAAA… alice@corp`", ErrNoKeys)
	}
	return keys, nil
}

// keyring is the authorized-keys file, read again when it changes (as
// OpenSSH does per connection), so removing a key needs no restart. A file
// that became invalid keeps the last good set and is reported.
type keyring struct {
	path string
	logf func(format string, args ...any)

	mu    sync.Mutex
	mtime time.Time
	size  int64
	keys  map[string]Key // by fingerprint
}

func loadKeyring(path string, logf func(string, ...any)) (*keyring, error) {
	k := &keyring{path: path, logf: logf}
	if err := k.reload(); err != nil {
		return nil, fmt.Errorf("authorized keys %s: %w", path, err)
	}
	return k, nil
}

// reload reads the file if it changed since the last read. Caller holds mu
// or is the constructor.
func (k *keyring) reload() error {
	fi, err := os.Stat(k.path)
	if err != nil {
		return err
	}
	if k.keys != nil && fi.ModTime().Equal(k.mtime) && fi.Size() == k.size {
		return nil
	}
	data, err := os.ReadFile(k.path)
	if err != nil {
		return err
	}
	keys, err := ParseAuthorizedKeys(data)
	if err != nil {
		// fail closed: no key gets in until the file is fixed — keeping
		// the last good set kept a key removed in the same edit
		k.keys, k.mtime, k.size = map[string]Key{}, fi.ModTime(), fi.Size()
		return err
	}
	m := make(map[string]Key, len(keys))
	for _, key := range keys {
		m[key.Fingerprint] = key
	}
	k.keys, k.mtime, k.size = m, fi.ModTime(), fi.Size()
	return nil
}

// lookup returns the entry for pub, comparing the whole key, not only its
// fingerprint.
func (k *keyring) lookup(pub gossh.PublicKey) (Key, bool) {
	if pub == nil {
		return Key{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reload(); err != nil {
		k.logf("authorized keys %s: %v (no key is accepted until the file is fixed)", k.path, err)
	}
	key, ok := k.keys[gossh.FingerprintSHA256(pub)]
	if !ok || !bytes.Equal(key.Key.Marshal(), pub.Marshal()) {
		return Key{}, false
	}
	return key, true
}

// count is the number of keys per role (for the start-up line).
func (k *keyring) count() map[rsa.Role]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := map[rsa.Role]int{}
	for _, key := range k.keys {
		n[key.Role]++
	}
	return n
}
