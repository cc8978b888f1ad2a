package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"
)

// Forwarder sends the audit log's lines to syslog (RFC 5424) — a SIEM's
// collector, or the local syslog daemon or journald at unix:///dev/log.
// It reads the file, never the entries in memory: the file stays the
// record of truth (an intent is on disk before its change is sent), a
// forwarding failure never holds a change up, and what was not forwarded
// is sent later from where the last forward stopped (a cursor file beside
// the log, PATH.forwarded).
type Forwarder struct {
	target     *url.URL
	logPath    string
	cursorPath string
	hostname   string
	// OnError is told when a forward fails (what was not sent stays in
	// the file and is sent by the next forward). Called from the
	// forwarding goroutine.
	OnError func(error)

	mu      sync.Mutex // one forward at a time in this process
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

// SDID is the structured-data id of the audit's fields: rsatui's, under
// the enterprise number RFC 5424 reserves for examples until rsatui has
// its own.
const SDID = "rsatui@32473"

// facility is authpriv: security and authorization messages, kept private
// by syslog daemons' default rules.
const facility = 10

// ParseSyslogTarget checks a [audit] syslog setting: unix:///dev/log,
// tcp://host:514 or udp://host:514.
func ParseSyslogTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("audit syslog %q: %v", s, err)
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("audit syslog %q: give the socket's path, e.g. unix:///dev/log", s)
		}
	case "tcp", "udp":
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return nil, fmt.Errorf("audit syslog %q: give host and port, e.g. %s://siem.example.com:514", s, u.Scheme)
		}
	default:
		return nil, fmt.Errorf("audit syslog %q: give unix:///dev/log, tcp://host:514 or udp://host:514", s)
	}
	return u, nil
}

// NewForwarder forwards the log at logPath to target and starts its
// goroutine; Close stops it.
func NewForwarder(logPath, target string) (*Forwarder, error) {
	u, err := ParseSyslogTarget(target)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "-"
	}
	f := &Forwarder{target: u, logPath: logPath, cursorPath: logPath + ".forwarded", hostname: host,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go f.loop()
	f.Kick() // what an earlier run could not send
	return f, nil
}

// Target is where the lines go.
func (f *Forwarder) Target() string { return f.target.String() }

// Kick asks for a forward soon; it never waits.
func (f *Forwarder) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *Forwarder) loop() {
	defer close(f.stopped)
	for {
		select {
		case <-f.stop:
			return
		case <-f.kick:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := f.Forward(ctx); err != nil && f.OnError != nil {
				f.OnError(err)
			}
			cancel()
		}
	}
}

// Close forwards what is left (waiting at most until ctx ends) and stops
// the goroutine. What is still not sent is sent by the next run.
func (f *Forwarder) Close(ctx context.Context) error {
	close(f.stop)
	<-f.stopped
	return f.Forward(ctx)
}

// Forward sends every line after the cursor, advancing it line by line.
func (f *Forwarder) Forward(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	unlock, err := lockFile(f.cursorPath) // other rsatui processes share the log
	if err != nil {
		return fmt.Errorf("audit forwarding: %w", err)
	}
	defer unlock()
	offset := f.cursor()
	lf, err := os.Open(f.logPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("audit forwarding: %w", err)
	}
	defer lf.Close()
	if st, err := lf.Stat(); err == nil && st.Size() < offset {
		offset = 0 // the log was rotated: start its new file from the top
	}
	if _, err := lf.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("audit forwarding: %w", err)
	}
	rd := bufio.NewReaderSize(lf, 64<<10)
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	sent := offset
	defer func() { f.setCursor(sent) }()
	for {
		line, err := rd.ReadBytes('\n')
		if err == io.EOF {
			return nil // a line still being written (no newline yet) waits for the next forward
		}
		if err != nil {
			return fmt.Errorf("audit forwarding: reading %s: %w", f.logPath, err)
		}
		var e Entry
		if json.Unmarshal(line, &e) != nil {
			sent += int64(len(line)) // not an entry: nothing to forward
			continue
		}
		msg, err := Message(e, f.hostname)
		if err != nil {
			sent += int64(len(line))
			continue
		}
		if conn == nil {
			if conn, err = f.dial(ctx); err != nil {
				return fmt.Errorf("audit forwarding to %s: %w (the lines stay in %s and are sent later)", f.target, err, f.logPath)
			}
		}
		if err := f.send(ctx, conn, msg); err != nil {
			return fmt.Errorf("audit forwarding to %s: %w (the lines stay in %s and are sent later)", f.target, err, f.logPath)
		}
		sent += int64(len(line))
	}
}

func (f *Forwarder) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch f.target.Scheme {
	case "unix":
		// syslog daemons and journald listen on datagram sockets; a
		// stream socket is tried after
		c, err := d.DialContext(ctx, "unixgram", f.target.Path)
		if err != nil {
			c, err = d.DialContext(ctx, "unix", f.target.Path)
		}
		return c, err
	default:
		return d.DialContext(ctx, f.target.Scheme, f.target.Host)
	}
}

// send writes one message: a datagram as is; on a stream, RFC 6587's
// octet counting ("LEN SP MSG").
func (f *Forwarder) send(ctx context.Context, c net.Conn, msg string) error {
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetWriteDeadline(deadline)
	var err error
	switch c.LocalAddr().Network() {
	case "tcp", "unix":
		_, err = io.WriteString(c, strconv.Itoa(len(msg))+" "+msg)
	default:
		_, err = io.WriteString(c, msg)
	}
	return err
}

func (f *Forwarder) cursor() int64 {
	b, err := os.ReadFile(f.cursorPath)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func (f *Forwarder) setCursor(n int64) {
	tmp := f.cursorPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(n, 10)+"\n"), 0o600); err == nil {
		_ = os.Rename(tmp, f.cursorPath)
	}
}

// Message is e as an RFC 5424 message: the JSONL line's fields as
// structured data (SDID), params as p.NAME, and a line of words.
func Message(e Entry, hostname string) (string, error) {
	m := &rfc5424.SyslogMessage{}
	sev := uint8(5) // notice
	switch e.Outcome {
	case Refused, Failed, Unknown:
		sev = 4 // warning
	case Alarm:
		sev = 1 // alert
	}
	m.SetPriority(facility*8 + sev)
	m.SetVersion(1)
	m.SetTimestamp(e.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00")) // RFC 5424: at most 6 fractional digits
	m.SetHostname(hostname)
	m.SetAppname("rsatui")
	m.SetProcID(strconv.Itoa(os.Getpid()))
	if id := msgID(e.Operation); id != "" {
		m.SetMsgID(id)
	}
	set := func(name, v string) {
		if v != "" {
			// the builder takes PARAM-VALUE as RFC 5424 writes it (§6.3.3)
			m.SetParameter(SDID, name, sdEscaper.Replace(v))
		}
	}
	set("id", e.ID)
	set("outcome", e.Outcome)
	set("operation", e.Operation)
	set("target", e.Target)
	set("os_user", e.OSUser)
	set("ssh_user", e.SSHUser)
	set("ssh_key", e.KeyFP)
	set("am_admin", e.Admin)
	set("reason", e.Reason)
	set("fault", e.Fault)
	set("error", e.Error)
	set("am_endpoint", e.Endpoint)
	set("am_commands", strings.Join(e.Commands, ","))
	if e.Demo {
		set("demo", "true")
	}
	for k, v := range e.Params {
		if name := "p." + k; len(name) <= 32 && msgID(name) == name && !strings.ContainsAny(name, `="]`) {
			set(name, v)
		}
	}
	m.SetMessage(fmt.Sprintf("%s %s %s: %s", orDash(e.Admin), e.Operation, e.Target, e.Outcome))
	return m.String()
}

var sdEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

// msgID is s if it is a valid MSGID (printable US-ASCII, no space, at most
// 32 characters), else "".
func msgID(s string) string {
	if s == "" || len(s) > 32 {
		return ""
	}
	for _, r := range s {
		if r < 33 || r > 126 {
			return ""
		}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
