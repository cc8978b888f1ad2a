package soapenc

import (
	"bytes"
	"math"
	"sync"
	"time"
)

// Doc is a parsed message kept as a compact index into its bytes: one
// pointer-free node per element, names, texts and attribute values as spans
// of the input. It is the one parser of this package: Unmarshal builds Values
// from a Doc, and the AM client reads replies from a pooled Doc directly
// (Node), which turns a reply into DTOs without building a Value tree —
// decoding is most of the client's own work per command.
//
// A Doc refers to the bytes it parsed: they must stay unchanged while it is
// read. Strings taken from it are copies and stay valid for ever.
type Doc struct {
	data   []byte
	nodes  []node
	buf    []byte   // bytes that are not a slice of data: decoded or joined texts and values
	spaces []string // namespace URIs that nodes refer to by index
	ids    []int32  // nodes with an id, in document order
	byID   map[string]int32
	lim    Limits

	// scratch for one parse
	stack  []docFrame
	binds  []docBinding
	scope  uint32 // counts changes of binds, for recent
	recent [8]recentPrefix
	tok    token
}

// span locates bytes of a Doc: data[off:off+n], or buf[-off-1:][:n] when
// off is negative.
type span struct{ off, n int32 }

// node is one element. Indexes into Doc.nodes are int32; -1 means none.
type node struct {
	name, text, ref    span  // local name; text of a leaf; id or href value
	typeLocal, arrItem span  // xsi:type and soapenc:arrayType local names
	ns, typeNS, itemNS int32 // indexes into Doc.spaces
	first, last, next  int32 // children, as a list
	kids               int32
	flags              uint8
}

// node flags
const (
	fNil uint8 = 1 << iota
	fArray
	fNotRoot
	fID
	fHref
	fTyped
	fItemTyped
)

type docFrame struct {
	node  int32
	binds int32   // len(binds) before this element's declarations
	name  rawName // as written, for end-tag matching
	text  span
	join  bool // text came in pieces and is being joined in buf
}

// docBinding is a namespace declaration in scope: prefix → spaces index.
type docBinding struct {
	prefix []byte
	ns     int32
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

var prefixXML = []byte("xml")

var docs = sync.Pool{New: func() any { return new(Doc) }}

// NewDoc returns a Doc from a pool; Release puts it back.
func NewDoc() *Doc { return docs.Get().(*Doc) }

// Release returns d to the pool; its Nodes must not be used afterwards. A
// Doc that grew big for an unusual message drops its memory instead.
func (d *Doc) Release() {
	if cap(d.nodes) > 1<<14 || cap(d.buf) > 1<<20 {
		*d = Doc{}
	}
	// hold on to nothing of the caller's bytes while pooled
	d.data, d.byID, d.recent = nil, nil, [len(d.recent)]recentPrefix{}
	clear(d.binds[:cap(d.binds)])
	clear(d.tok.attrs[:cap(d.tok.attrs)])
	d.tok.text = nil
	docs.Put(d)
}

func (d *Doc) bytes(s span) []byte {
	if s.off < 0 {
		return d.buf[-s.off-1:][:s.n]
	}
	return d.data[s.off:][:s.n]
}

// toBuf copies b into buf and returns its span there.
func (d *Doc) toBuf(b []byte) span {
	s := span{off: -int32(len(d.buf)) - 1, n: int32(len(b))}
	d.buf = append(d.buf, b...)
	return s
}

// at returns the span of b, which starts at input offset off (-1: not in
// the input, so it is copied).
func (d *Doc) at(b []byte, off int32) span {
	if off < 0 {
		return d.toBuf(b)
	}
	return span{off: off, n: int32(len(b))}
}

func (d *Doc) space(uri []byte) int32 {
	s := namespace(uri)
	for i, have := range d.spaces {
		if have == s {
			return int32(i)
		}
	}
	d.spaces = append(d.spaces, s)
	return int32(len(d.spaces) - 1)
}

func (d *Doc) lookup(prefix []byte) (int32, bool) {
	// the same few prefixes (none, xsi, xsd) are looked up on nearly every
	// element: remember the last answers, found or not, while the scope stays
	// the same
	// no prefix has the last slot; xsi, xsd, soapenv and soapenc each have
	// one of their own among the others
	slot := len(d.recent) - 1
	if len(prefix) > 0 {
		slot = (3*len(prefix) + int(prefix[0]) + 5*int(prefix[len(prefix)-1])) % (len(d.recent) - 1)
	}
	c := &d.recent[slot]
	if c.scope == d.scope && c.valid && bytes.Equal(c.prefix, prefix) {
		return c.ns, c.found
	}
	*c = recentPrefix{prefix: prefix, scope: d.scope, valid: true}
	for i := len(d.binds) - 1; i >= 0; i-- {
		if bytes.Equal(d.binds[i].prefix, prefix) {
			c.ns, c.found = d.binds[i].ns, true
			break
		}
	}
	return c.ns, c.found
}

// recentPrefix is a remembered prefix lookup, valid while Doc.scope (the
// count of scope changes) is the same.
type recentPrefix struct {
	prefix       []byte
	ns           int32
	scope        uint32
	valid, found bool
}

// qname resolves an xsi:type (or arrayType) value such as "ns3:TokenDTO".
func (d *Doc) qname(raw []byte, off int32) (int32, span, error) {
	if len(raw) > 0 && (raw[0] <= ' ' || raw[len(raw)-1] <= ' ') {
		trimmed := bytes.TrimSpace(raw)
		if off >= 0 {
			off += int32(bytes.Index(raw, trimmed))
		}
		raw = trimmed
	}
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		ns, _ := d.lookup(nil)
		return ns, d.at(raw, off), nil
	}
	prefix := raw[:colon]
	ns, found := d.lookup(prefix)
	if !found {
		return 0, span{}, malformed("xsi:type %q uses an undeclared prefix %q", raw, prefix)
	}
	if off >= 0 {
		off += int32(colon) + 1
	}
	return ns, d.at(raw[colon+1:], off), nil
}

// parse indexes data. Nothing is interned or copied except what had to be
// decoded; namespace prefixes are resolved here, so an undeclared one is an
// error at once, as in encoding/xml.
func (d *Doc) parse(data []byte, lim Limits) error {
	if len(data) > math.MaxInt32 { // offsets are int32
		return malformed("message of %d bytes", len(data))
	}
	sc := scanner{b: data}
	d.data, d.lim, d.byID = data, lim, nil
	// spaces[0] is "no namespace", what an unprefixed name without a default
	// declaration has
	// and spaces[1] the one of the predeclared prefix xml
	d.nodes, d.buf, d.spaces, d.ids = d.nodes[:0], d.buf[:0], append(d.spaces[:0], "", nsXML), d.ids[:0]
	d.stack, d.binds = d.stack[:0], append(d.binds[:0], docBinding{prefixXML, 1})
	d.scope++ // forget the previous message's lookups
	t := &d.tok
	maxDepth := lim.MaxDepth*2 + 8
	root := int32(-1)
	for {
		if err := sc.next(t); err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			if root < 0 {
				return malformed("no root element")
			}
			if len(d.stack) != 0 {
				return malformed("document ends inside <%s>", d.stack[len(d.stack)-1].name.full(data))
			}
			return d.checkRefs()
		case tokText:
			if len(d.stack) == 0 {
				if len(bytes.TrimLeft(t.text, " \t\r\n")) > 0 {
					return malformed("text outside the root element")
				}
				continue
			}
			f := &d.stack[len(d.stack)-1]
			switch {
			case f.text.n == 0 && !f.join:
				f.text = d.at(t.text, t.textOff)
			case len(t.text) > 0:
				if !f.join || f.text.off >= 0 { // start joining: copy what there is
					f.text = d.toBuf(d.bytes(f.text))
					f.join = true
				}
				d.buf = append(d.buf, t.text...)
				f.text.n += int32(len(t.text))
			}
		case tokEnd:
			if len(d.stack) == 0 {
				return malformed("unbalanced end element")
			}
			f := d.stack[len(d.stack)-1]
			if !bytes.Equal(f.name.full(data), t.name.full(data)) {
				return malformed("element <%s> closed by </%s>", f.name.full(data), t.name.full(data))
			}
			if n := &d.nodes[f.node]; n.kids == 0 && n.flags&fNil == 0 {
				n.text = f.text
			}
			if len(d.binds) != int(f.binds) {
				d.binds = d.binds[:f.binds]
				d.scope++
			}
			d.stack = d.stack[:len(d.stack)-1]
		case tokStart:
			if len(d.stack) >= maxDepth {
				return malformed("elements nested deeper than %d", maxDepth)
			}
			if root >= 0 && len(d.stack) == 0 {
				return malformed("more than one root element")
			}
			if len(d.nodes) >= lim.MaxValues {
				return malformed("more than %d elements", lim.MaxValues)
			}
			isRoot := len(d.stack) == 0
			i, err := d.start(t)
			if err != nil {
				return err
			}
			if isRoot {
				root = i
			}
			if !t.selfClosing && !isRoot {
				if err := d.leaf(&sc); err != nil {
					return err
				}
			}
		}
	}
}

// leaf finishes the element just started if it is a leaf written the common
// way, <name …>text</name>, reading its text and end tag in one go instead of
// as two more tokens (most elements of a reply are such scalars). Anything
// else — a child, a comment, CDATA, text in pieces — is left untouched for
// the general path.
func (d *Doc) leaf(sc *scanner) error {
	f := &d.stack[len(d.stack)-1]
	b, i := sc.b, sc.i
	end, saw, err := sc.scanChars(b, i, '<')
	if err != nil {
		return err
	}
	name := f.name.full(b)
	j := end + 2 + len(name)
	if j >= len(b) || b[end+1] != '/' || !bytes.Equal(b[end+2:j], name) {
		return nil
	}
	for j < len(b) && isSpace(b[j]) {
		j++
	}
	if j >= len(b) || b[j] != '>' {
		return nil
	}
	raw := b[i:end]
	if saw&sawBracket != 0 && bytes.Contains(raw, []byte("]]>")) {
		return sc.errf("unescaped ]]> not in CDATA section")
	}
	v, err := sc.unescape(raw, false, saw)
	if err != nil {
		return err
	}
	if n := &d.nodes[f.node]; n.flags&fNil == 0 && len(v) > 0 {
		off := int32(i)
		if needsUnescape(false, saw) {
			off = -1
		}
		n.text = d.at(v, off)
	}
	if len(d.binds) != int(f.binds) {
		d.binds = d.binds[:f.binds]
		d.scope++
	}
	d.stack = d.stack[:len(d.stack)-1]
	sc.i = j + 1
	return nil
}

// start adds the node of a start tag and links it to its parent.
func (d *Doc) start(t *token) (int32, error) {
	b := d.data
	outer := len(d.binds)
	if t.declares {
		for _, a := range t.attrs {
			switch {
			case string(a.name.prefix(b)) == "xmlns":
				d.binds = append(d.binds, docBinding{a.name.local(b), d.space(a.value)})
			case string(a.name.full(b)) == "xmlns":
				d.binds = append(d.binds, docBinding{nil, d.space(a.value)})
			}
		}
		d.scope++
	}
	ns, ok := d.lookup(t.name.prefix(b))
	if !ok && t.name.colon >= 0 {
		return 0, malformed("element %s uses an undeclared prefix", t.name.full(b))
	}
	i := int32(len(d.nodes))
	local := t.name.local(b)
	d.nodes = append(d.nodes, node{name: span{t.name.end - int32(len(local)), int32(len(local))},
		ns: ns, typeNS: -1, itemNS: -1, first: -1, last: -1, next: -1})
	n := &d.nodes[i]
	for _, a := range t.attrs {
		attrNS := ""
		if p := a.name.prefix(b); p != nil && string(p) != "xmlns" {
			ns, ok := d.lookup(p)
			if !ok {
				return 0, malformed("attribute %s uses an undeclared prefix", a.name.full(b))
			}
			attrNS = d.spaces[ns]
		}
		unprefixed := a.name.colon < 0
		switch local := a.name.local(b); {
		case string(local) == "type" && attrNS == NSXSI:
			ns, s, err := d.qname(a.value, a.valOff)
			if err != nil {
				return 0, err
			}
			n.typeNS, n.typeLocal, n.flags = ns, s, n.flags|fTyped
		case string(local) == "nil" && attrNS == NSXSI:
			if string(a.value) == "true" || string(a.value) == "1" {
				n.flags |= fNil
			}
		case string(local) == "arrayType" && attrNS == NSEncoding:
			base := a.value
			if i := bytes.IndexByte(base, '['); i >= 0 {
				base = base[:i]
			}
			ns, s, err := d.qname(base, a.valOff)
			if err != nil {
				return 0, err
			}
			n.itemNS, n.arrItem, n.flags = ns, s, n.flags|fItemTyped
		case string(local) == "id" && unprefixed:
			if n.flags&fHref != 0 {
				return 0, malformed("element %s has both an id and an href", t.name.full(b))
			}
			n.ref, n.flags = d.at(a.value, a.valOff), n.flags|fID
			d.ids = append(d.ids, i)
		case string(local) == "href" && unprefixed:
			if n.flags&fID != 0 {
				return 0, malformed("element %s has both an id and an href", t.name.full(b))
			}
			n.ref, n.flags = d.at(a.value, a.valOff), n.flags|fHref
		case string(local) == "root" && attrNS == NSEncoding:
			if string(bytes.TrimSpace(a.value)) == "0" {
				n.flags |= fNotRoot
			}
		}
	}
	if n.flags&fItemTyped != 0 || n.typeNS >= 0 && d.spaces[n.typeNS] == NSEncoding && string(d.bytes(n.typeLocal)) == "Array" {
		n.flags |= fArray
	}
	if len(d.stack) > 0 {
		p := &d.nodes[d.stack[len(d.stack)-1].node]
		if p.last >= 0 {
			d.nodes[p.last].next = i
		} else {
			p.first = i
		}
		p.last = i
		p.kids++
	}
	if t.selfClosing {
		if len(d.binds) != outer {
			d.binds = d.binds[:outer]
			d.scope++
		}
	} else {
		d.stack = append(d.stack, docFrame{node: i, binds: int32(outer), name: t.name})
	}
	return i, nil
}

// checkRefs refuses duplicate ids and hrefs that point nowhere, so a broken
// reference is an error whether or not anybody reads it.
func (d *Doc) checkRefs() error {
	if len(d.ids) > 16 {
		d.byID = make(map[string]int32, len(d.ids))
	}
	for _, i := range d.ids {
		id := d.bytes(d.nodes[i].ref)
		if d.byID != nil {
			if _, dup := d.byID[string(id)]; dup {
				return malformed("two elements with id %q", id)
			}
			d.byID[string(id)] = i
		} else if docTarget(d, id) != i {
			return malformed("two elements with id %q", id)
		}
	}
	for i := range d.nodes {
		if n := &d.nodes[i]; n.flags&fHref != 0 {
			if _, err := d.follow(int32(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// docTarget returns the node of d whose id is id, or -1.
func docTarget[T string | []byte](d *Doc, id T) int32 {
	if d.byID != nil {
		if i, ok := d.byID[string(id)]; ok {
			return i
		}
		return -1
	}
	for _, i := range d.ids {
		if string(d.bytes(d.nodes[i].ref)) == string(id) {
			return i
		}
	}
	return -1
}

// follow returns the node an href node refers to (through chains of hrefs,
// up to the depth limit), or i itself when it is not a reference.
func (d *Doc) follow(i int32) (int32, error) {
	for range d.lim.MaxDepth + 1 {
		n := &d.nodes[i]
		if n.flags&fHref == 0 {
			return i, nil
		}
		ref := d.bytes(n.ref)
		id, ok := bytes.CutPrefix(ref, []byte("#"))
		t := int32(-1)
		if ok {
			t = docTarget(d, id)
		}
		if t < 0 {
			return -1, malformed("href %q points nowhere", ref)
		}
		i = t
	}
	return -1, malformed("href chain longer than %d", d.lim.MaxDepth)
}

// envelope finds the Body's RPC wrapper, or its Fault.
func (d *Doc) envelope() (wrapper, fault int32, err error) {
	root := &d.nodes[0]
	if d.spaces[root.ns] != NSEnvelope || string(d.bytes(root.name)) != "Envelope" {
		return -1, -1, malformed("root element is {%s}%s, not a SOAP 1.1 Envelope", d.spaces[root.ns], d.bytes(root.name))
	}
	body := int32(-1)
	for c := root.first; c >= 0; c = d.nodes[c].next {
		if n := &d.nodes[c]; d.spaces[n.ns] == NSEnvelope && string(d.bytes(n.name)) == "Body" {
			body = c
		}
	}
	if body < 0 || d.nodes[body].first < 0 {
		return -1, -1, malformed("empty SOAP Body")
	}
	if f := &d.nodes[d.nodes[body].first]; d.spaces[f.ns] == NSEnvelope && string(d.bytes(f.name)) == "Fault" {
		return -1, d.nodes[body].first, nil
	}
	for c := d.nodes[body].first; c >= 0; c = d.nodes[c].next {
		if n := &d.nodes[c]; n.flags&(fID|fNotRoot) == 0 {
			return c, -1, nil
		}
	}
	return -1, -1, malformed("no RPC wrapper element in the Body")
}

// ParseReply parses an RPC reply into d and returns the part named part of
// its wrapper (an absent Node when there is none), or the fault it carries.
// A fault is decoded in full through Unmarshal: faults are rare, and carry
// an exception bean worth having whole.
func (d *Doc) ParseReply(data []byte, lim Limits, part string) (Node, *Fault, error) {
	if err := d.parse(data, lim); err != nil {
		return Node{}, nil, err
	}
	wrapper, fault, err := d.envelope()
	if err != nil {
		return Node{}, nil, err
	}
	if fault >= 0 {
		msg, err := Unmarshal(data, lim)
		if err != nil {
			return Node{}, nil, err
		}
		return Node{}, msg.Fault, nil
	}
	return Node{d: d, i: wrapper, at: wrapper}.Field(part), nil, nil
}

// Node is an element of a Doc, href references followed. The zero Node is
// absent: it reads as nil, with no members.
type Node struct {
	d  *Doc
	i  int32 // the node with the content
	at int32 // the node that names it (the reference, for a followed href)
}

func (n Node) node() *node { return &n.d.nodes[n.i] }

// Exists reports whether the node is present in the message.
func (n Node) Exists() bool { return n.d != nil }

// IsNil reports whether the node is absent or xsi:nil.
func (n Node) IsNil() bool { return n.d == nil || n.node().flags&fNil != 0 }

// Name is the element's name (for a reference: the referring member's).
func (n Node) Name() string {
	if n.d == nil {
		return ""
	}
	return string(n.d.bytes(n.d.nodes[n.at].name))
}

// Type returns the xsi:type (zero when none was stated).
func (n Node) Type() QName {
	if n.d == nil || n.node().flags&fTyped == 0 {
		return QName{}
	}
	nd := n.node()
	return QName{n.d.spaces[nd.typeNS], string(n.d.bytes(nd.typeLocal))}
}

// HasType reports whether the node states xsi:type q.
func (n Node) HasType(q QName) bool {
	if n.d == nil || n.node().flags&fTyped == 0 {
		return false
	}
	nd := n.node()
	return n.d.spaces[nd.typeNS] == q.Space && string(n.d.bytes(nd.typeLocal)) == q.Local
}

// IsArray reports whether the node is a soapenc:Array (or states an arrayType).
func (n Node) IsArray() bool { return n.d != nil && n.node().flags&fArray != 0 }

// ItemType returns the declared item type of an array, when stated.
func (n Node) ItemType() QName {
	if n.d == nil || n.node().flags&fItemTyped == 0 {
		return QName{}
	}
	nd := n.node()
	return QName{n.d.spaces[nd.itemNS], string(n.d.bytes(nd.arrItem))}
}

// Typed reports whether the node states an xsi:type at all.
func (n Node) Typed() bool { return n.d != nil && n.node().flags&fTyped != 0 }

// Text is the character data of a scalar ("" when nil or absent).
func (n Node) Text() string { return string(n.text()) }

func (n Node) text() []byte {
	if n.IsNil() {
		return nil
	}
	return n.d.bytes(n.node().text)
}

// content returns the node that holds i's content: i, or what it refers to.
// References were checked when the Doc was parsed.
func (d *Doc) content(i int32) Node {
	t, err := d.follow(i)
	if err != nil {
		return Node{}
	}
	return Node{d: d, i: t, at: i}
}

// Field returns the first member named name (followed if it is a
// reference), or an absent Node.
func (n Node) Field(name string) Node {
	if n.d == nil {
		return Node{}
	}
	for c := n.node().first; c >= 0; c = n.d.nodes[c].next {
		if string(n.d.bytes(n.d.nodes[c].name)) == name {
			return n.d.content(c)
		}
	}
	return Node{}
}

// Find is Field for reading many members of one bean: the search starts
// after the member found last through the same cursor (initially 0) and
// wraps around, so reading members in their wire order costs one comparison
// each, and any other order no more than Field.
func (n Node) Find(name string, cursor *int32) Node {
	if n.d == nil {
		return Node{}
	}
	start := n.node().first
	if c := *cursor - 1; c >= 0 && n.d.nodes[c].next >= 0 {
		start = n.d.nodes[c].next
	}
	for pass := 0; pass < 2; pass++ {
		for c := start; c >= 0; c = n.d.nodes[c].next {
			if string(n.d.bytes(n.d.nodes[c].name)) == name {
				*cursor = c + 1
				return n.d.content(c)
			}
		}
		if start == n.node().first {
			break
		}
		start = n.node().first
	}
	return Node{}
}

// AsInt, AsBool and AsTime read the node itself as a scalar, as Int, Bool
// and Time read a member; label names it in errors.
func (n Node) AsInt(label string) (int, error) { return scalarInt(label, n.text()) }

// AsBool: see AsInt.
func (n Node) AsBool(label string) (bool, error) { return scalarBool(label, n.text()) }

// AsTime: see AsInt.
func (n Node) AsTime(label string) (time.Time, error) { return scalarTime(label, n.text()) }

// Items calls yield with each element of an array (whatever the element
// names), in order; nothing for a nil or absent array.
func (n Node) Items(yield func(Node) bool) {
	if n.IsNil() {
		return
	}
	for c := n.node().first; c >= 0; c = n.d.nodes[c].next {
		if !yield(n.d.content(c)) {
			return
		}
	}
}

// Str returns the text of member name ("" when absent or nil).
func (n Node) Str(name string) string { return n.Field(name).Text() }

// Int returns member name as an int; absent or nil gives 0 and no error.
func (n Node) Int(name string) (int, error) { return n.Field(name).AsInt(name) }

// Bool returns member name as a bool; absent or nil gives false and no error.
func (n Node) Bool(name string) (bool, error) { return n.Field(name).AsBool(name) }

// Time returns member name as a time; absent or nil gives the zero time.
func (n Node) Time(name string) (time.Time, error) { return n.Field(name).AsTime(name) }

// Strings returns the texts of the items of array member name.
func (n Node) Strings(name string) []string {
	var out []string
	for it := range n.Field(name).Items {
		if !it.IsNil() {
			out = append(out, it.Text())
		}
	}
	return out
}

// trimXML trims the white space XML allows around a scalar.
func trimXML[T string | []byte](s T) T {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
