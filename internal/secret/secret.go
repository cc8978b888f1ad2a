// Package secret holds the string type for passwords and tokencodes: it never
// prints its value (fmt, %v, %#v, JSON and text marshalling all show
// [redacted]), so a secret that ends up in a log line or an error leaks nothing.
// Reveal is the one explicit way to read it.
package secret

// Secret is a password or a tokencode.
type Secret string

func (s Secret) String() string               { return "[redacted]" }
func (s Secret) GoString() string             { return "[redacted]" }
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Reveal returns the value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }
