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
)

// Role is what a key may do.
type Role string

const (
	// RoleAdmin may change tokens.
	RoleAdmin Role = "admin"
	// RoleHelpdesk may look at everything and change nothing; the operation
	// layer refuses its writes (rsa.Ops.ReadOnly), not only the screens.
	RoleHelpdesk Role = "helpdesk"
)

// ReadOnly reports whether the role may not change anything.
func (r Role) ReadOnly() bool { return r != RoleAdmin }

// Key is one line of the authorized-keys file.
type Key struct {
	Key         gossh.PublicKey
	Role        Role
	Comment     string
	Fingerprint string // SHA256:…, as ssh-keygen -l prints it
	Line        int
}

// ErrNoKeys is returned for a file without any key: a server nobody can log
// in to is a mistake, not a configuration.
var ErrNoKeys = errors.New("no keys")

// ParseAuthorizedKeys reads OpenSSH authorized_keys lines with one rsatui
// option per key: role=admin or role=helpdesk (a key without one is
// helpdesk: the least a key can do). Other OpenSSH options (from=,
// command=, …) are refused rather than ignored, since ignoring from="…"
// would silently widen who can connect.
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
		k := Key{Key: pub, Role: RoleHelpdesk, Comment: comment, Fingerprint: gossh.FingerprintSHA256(pub), Line: n + 1}
		roles := 0
		for _, opt := range options {
			name, value, _ := strings.Cut(opt, "=")
			switch strings.ToLower(name) {
			case "role":
				// one role a key: a second would silently win (role=helpdesk,role=admin)
				if roles++; roles > 1 {
					return nil, fmt.Errorf("line %d: more than one role= option; give each key one role", n+1)
				}
				switch r := Role(strings.ToLower(strings.Trim(value, `"`))); r {
				case RoleAdmin, RoleHelpdesk:
					k.Role = r
				default:
					return nil, fmt.Errorf("line %d: role %q: want role=admin or role=helpdesk", n+1, value)
				}
			default:
				return nil, fmt.Errorf("line %d: option %q is not supported by rsatui serve (only role=admin|helpdesk)", n+1, name)
			}
		}
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
		k.logf("authorized keys %s: %v (keeping the %d keys read before)", k.path, err, len(k.keys))
	}
	key, ok := k.keys[gossh.FingerprintSHA256(pub)]
	if !ok || !bytes.Equal(key.Key.Marshal(), pub.Marshal()) {
		return Key{}, false
	}
	return key, true
}

// count is the number of keys per role (for the start-up line).
func (k *keyring) count() (admins, helpdesk int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range k.keys {
		if key.Role == RoleAdmin {
			admins++
		} else {
			helpdesk++
		}
	}
	return admins, helpdesk
}
