// Package fastyaml converts the common shape of Kubernetes YAML to JSON
// quickly, with exactly the result of sigs.k8s.io/yaml.YAMLToJSON (go-yaml
// v2's YAML 1.1 reading, as kubectl applies it), and declines everything
// else so that the caller falls back to sigs.k8s.io/yaml.
//
// What it reads: one document of printable text (ASCII and UTF-8 that
// YAML 1.1 counts as printable: no tabs, no carriage returns, no C1
// controls, no NEL, LS or PS, which YAML 1.1 reads as line breaks, no byte
// order mark) whose top node is a block mapping; block mappings and block
// sequences nested by indentation (a sequence may sit at its key's
// indentation, a sequence item may start a mapping on its own line:
// "- name: x"); on a single line, plain scalars, single- and double-quoted
// scalars (escapes \\ \" \n \t only) and flow collections ({a: b},
// [a, b], nested); plain scalars continued over the following lines (on
// the key's line or starting on the next), and quoted ones of mapping
// values (without backslashes when double-quoted), folded as go-yaml
// folds them;
// literal block scalars of mapping values (|, |- and |+, the indentation
// found from the first line); comments. Plain scalars are resolved as
// go-yaml v2 does: null (~, null, empty), YAML 1.1 booleans (y, yes, on,
// off, no, n, true, false in their listed letter cases), integers
// (decimal, 0x hex, 0 octal, 0b binary, with _ separators, up to uint64),
// floats; anything else is a string (timestamps stay strings). Mapping
// keys must resolve to strings and be unique.
//
// What it declines (ok == false): anchors, aliases, tags, merge keys (<<),
// folded block scalars (>), block scalars with an indentation indicator,
// as sequence items or empty, quoted scalars spanning lines as sequence
// items or with escapes, flow collections spanning lines, continuation
// lines that start with an indicator or a comment,
// complex keys (?), directives and document markers, non-string or
// duplicate keys, .inf and .nan (JSON has no such numbers:
// sigs.k8s.io/yaml reports the error), a top node other than a mapping,
// anything malformed. Declining is never an error: it means "ask
// sigs.k8s.io/yaml".
//
// The output matches encoding/json's: object keys sorted, HTML characters
// (<, >, &) escaped.
package fastyaml

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/guardrails-dev/guardrails/internal/jsonstring"
)

// ToJSON converts y to JSON as sigs.k8s.io/yaml.YAMLToJSON does, or
// returns ok == false when y is outside what this package reads.
func ToJSON(y []byte) (js []byte, ok bool) {
	p := parsers.Get().(*parser)
	defer p.release()
	v, ok := p.parse(y)
	if !ok {
		return nil, false
	}
	return p.appendJSON(make([]byte, 0, jsonRoom(len(y))), &v), true
}

// jsonRoom is the room to give the JSON of a YAML document of n bytes.
// The JSON of a manifest is about as long as its YAML (quotes and braces
// where the YAML had indentation): 0.89-1.12 times on the generated
// corpora, up to 1.03 for Pods. Room for exactly n bytes made 40% of the
// documents grow their buffer, to twice its size, copying it: a fifth of
// the bytes webhook check allocated were these buffers.
func jsonRoom(n int) int { return n + n/8 + 64 }

// parse reads the document y, a block mapping, into p.
func (p *parser) parse(y []byte) (value, bool) {
	if !p.split(y) || len(p.lines) == 0 {
		return value{}, false
	}
	first := p.lines[0]
	if itemLine(first.text) {
		return value{}, false // a sequence: not an object, let the slow path word it
	}
	v, ok := p.mapping(first.indent)
	if !ok || p.i != len(p.lines) {
		return value{}, false
	}
	return v, true
}

// Head is what a document says it holds: the strings that decoding its
// JSON into apiVersion, kind and metadata's name, namespace and
// generateName (case-sensitive keys, unknown ones ignored) would give.
type Head struct {
	APIVersion, Kind, Name, Namespace, GenerateName string
	// TypeKeysExact tells that no key of the top mapping but "apiVersion"
	// and "kind" themselves equals either when case is folded (as
	// encoding/json matches names, Unicode folding included): a reader
	// that finds them case-insensitively finds what Head holds.
	TypeKeysExact bool
}

// AppendJSONHead is ToJSON that appends the JSON to dst (which it grows
// when it has not room for about the document's length, see jsonRoom) and
// also reads the document's Head from the tree it parsed, sparing the
// caller a pass over the JSON to find it. headOK is false when one of
// those fields is there but not a string, or metadata is not a mapping:
// the caller decodes the JSON and words the error. When ok is false, js is
// nil and dst untouched.
func AppendJSONHead(dst, y []byte) (js []byte, head Head, headOK, ok bool) {
	p := parsers.Get().(*parser)
	defer p.release()
	v, ok := p.parse(y)
	if !ok {
		return nil, Head{}, false, false
	}
	// Before appendJSON, which sorts entries in place: the head reads
	// them by key, in any order.
	head, headOK = p.head(&v)
	if room := jsonRoom(len(y)); cap(dst)-len(dst) < room {
		dst = append(make([]byte, 0, len(dst)+room), dst...)
	}
	return p.appendJSON(dst, &v), head, headOK, true
}

// head reads the Head of the top mapping v. Its strings are copied, in
// one allocation: the parsed ones share the document's memory, which the
// caller may reuse.
func (p *parser) head(v *value) (Head, bool) {
	var found [5]*value // apiVersion, kind, name, namespace, generateName
	var top [3]*value   // apiVersion, kind, metadata
	p.pick(v, []string{"apiVersion", "kind", "metadata"}, top[:])
	found[0], found[1] = top[0], top[1]
	if md := top[2]; md != nil {
		if md.kind != kMap {
			return Head{}, false
		}
		p.pick(md, []string{"name", "namespace", "generateName"}, found[2:])
	}
	size := 0
	for _, e := range found {
		if e != nil {
			if e.kind != kString {
				return Head{}, false
			}
			size += int(e.s.len)
		}
	}
	buf := make([]byte, 0, size)
	for _, e := range found {
		if e != nil {
			buf = append(buf, p.str(e.s)...)
		}
	}
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	var out [5]string
	for i, e := range found {
		if e != nil {
			out[i], all = all[:e.s.len], all[e.s.len:]
		}
	}
	exact := true
	for i := range p.children(v) {
		k := p.str(p.nodes[int(v.s.off)+i].key)
		if k != "apiVersion" && k != "kind" && (strings.EqualFold(k, "apiVersion") || strings.EqualFold(k, "kind")) {
			exact = false
		}
	}
	return Head{APIVersion: out[0], Kind: out[1], Name: out[2], Namespace: out[3], GenerateName: out[4], TypeKeysExact: exact}, true
}

// pick sets into[i] to the entry of mapping m whose key is keys[i], if any.
func (p *parser) pick(m *value, keys []string, into []*value) {
	for i := range p.children(m) {
		e := &p.nodes[int(m.s.off)+i]
		if k := slices.Index(keys, p.str(e.key)); k >= 0 {
			into[k] = e
		}
	}
}

type line struct {
	indent int
	text   string // from the first non-space byte, without the newline
	end    int    // offset in the document of the next line's first byte
}

// parser holds the state of one conversion. Its slices are kept between
// conversions (parsers is a pool) so that a document costs no allocations
// beyond its text and its JSON.
type parser struct {
	doc   string // the document (its memory: see split)
	lines []line
	i     int
	depth int
	// nodes holds the children of finished collections, each
	// collection's contiguously; open holds those of the collections
	// being read, innermost last.
	nodes []value
	open  []value
	// text holds the strings the parser built (unescaped, folded, block
	// scalars), which are not parts of doc (see span).
	text []byte
}

var parsers = sync.Pool{New: func() any { return new(parser) }}

// release clears what points into the document and returns p to the pool.
func (p *parser) release() {
	clear(p.lines) // values hold no pointers (see span)
	p.doc = ""
	p.lines, p.nodes, p.open, p.text = p.lines[:0], p.nodes[:0], p.open[:0], p.text[:0]
	p.i, p.depth = 0, 0
	parsers.Put(p)
}

// maxDepth bounds nesting; deeper documents are left to the slow path.
const maxDepth = 100

// maxKey bounds the text of a mapping key, quotes included: go-yaml v2
// reads a key only within 1024 characters of its start.
const maxKey = 1000

// split cuts y into its content lines (blank and comment-only lines are
// left out), refusing bytes outside printable ASCII and document markers.
//
// The lines, and the keys and scalars cut from them, share y's memory
// instead of a copy of it: none of them outlives ToJSON (the output is
// appended from them, and release clears the parser), and ToJSON does
// not write to y.
func (p *parser) split(y []byte) bool {
	if len(y) == 0 {
		return true
	}
	if len(y) >= inText {
		return false // spans could not tell where it is
	}
	s := unsafe.String(&y[0], len(y))
	p.doc = s
	for len(s) > 0 {
		var l string
		l, s, _ = cutLine(s)
		end := len(p.doc) - len(s)
		ind := indentOf(l)
		for i := ind; i < len(l); i++ {
			if c := l[i]; c < 0x20 || c == 0x7f {
				return false
			} else if c > 0x7f {
				r, size := utf8.DecodeRuneInString(l[i:])
				if !printable(r, size) {
					return false
				}
				i += size - 1
			}
		}
		t := l[ind:]
		if t == "" || t[0] == '#' {
			continue
		}
		if ind == 0 && (strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") || t[0] == '%') {
			return false
		}
		p.lines = append(p.lines, line{indent: ind, text: t, end: end})
	}
	return true
}

// printable tells a rune outside ASCII (of size bytes in UTF-8) that YAML
// 1.1 reads as text: valid UTF-8, none of the C1 controls, not NEL, LS or
// PS (line breaks to YAML 1.1), not a byte order mark, nothing beyond
// U+FFFD in the Basic Multilingual Plane.
func printable(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size <= 1:
		return false
	case r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff:
		return false
	case r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// cutLine returns the first line of s without its line break, what follows
// the break, and whether there was one (the last line may have none).
func cutLine(s string) (l, rest string, broke bool) {
	if nl := strings.IndexByte(s, '\n'); nl >= 0 {
		return s[:nl], s[nl+1:], true
	}
	return s, "", false
}

// indentOf counts the spaces l starts with.
func indentOf(l string) int {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	return n
}

// trimmedLine cuts the first line of s: its indentation, its text without
// the spaces around it, what follows its line break, and whether it had
// one.
func trimmedLine(s string) (sp int, t, rest string, broke bool) {
	l, rest, broke := cutLine(s)
	sp = indentOf(l)
	return sp, strings.TrimRight(l[sp:], " "), rest, broke
}

// foldBreak writes what go-yaml puts between two lines of a folded (plain
// or quoted) scalar with blank blank lines between them: a space, or as
// many line breaks.
func foldBreak(b *strings.Builder, blank int) {
	if blank == 0 {
		b.WriteByte(' ')
	}
	for ; blank > 0; blank-- {
		b.WriteByte('\n')
	}
}

// kinds of values
const (
	kNull = iota
	kTrue
	kFalse
	kInt   // n holds the int64
	kUint  // n holds it
	kFloat // n holds its bits (math.Float64bits)
	kString
	kMap
	kSeq
)

// value is a node of the document. It holds no pointers, so that the
// parser's slices of them cost the garbage collector nothing (no write
// barriers, no clearing, no scanning): strings are spans of the parser's
// memory, 32 bytes in all where strings made it 64.
type value struct {
	kind uint8
	key  span // the key of a mapping's entry
	// s is a string's text; for a mapping or sequence, its children:
	// parser.nodes[s.off : s.off+s.len] (see children). A mapping's
	// children carry their keys.
	s span
	n uint64 // kInt, kUint: the number; kFloat: its bits
}

// span is a string the parser read: bytes [off, off+len) of the document
// (parser.doc), or with inText set in off, of parser.text (a string the
// parser built). The empty string is the zero span.
type span struct{ off, len uint32 }

// inText marks a span of parser.text; documents are shorter.
const inText = 1 << 31

// span returns the span of s, a part of the document or else a string
// that it copies to p.text.
func (p *parser) span(s string) span {
	if s == "" {
		return span{}
	}
	doc := uintptr(unsafe.Pointer(unsafe.StringData(p.doc)))
	if at := uintptr(unsafe.Pointer(unsafe.StringData(s))); at >= doc && at+uintptr(len(s)) <= doc+uintptr(len(p.doc)) {
		return span{uint32(at - doc), uint32(len(s))}
	}
	off := len(p.text)
	p.text = append(p.text, s...)
	return span{uint32(off) | inText, uint32(len(s))}
}

// str returns the string of sp. One of p.text shares its memory: it must
// not outlive the conversion (release reuses p.text).
func (p *parser) str(sp span) string {
	if sp.off&inText != 0 {
		return unsafe.String(&p.text[sp.off&^inText], sp.len)
	}
	return p.doc[sp.off : sp.off+sp.len]
}

// children returns the entries of the mapping or sequence v.
func (p *parser) children(v *value) []value {
	return p.nodes[v.s.off : v.s.off+v.s.len]
}

// scalar is resolve keeping the text of a string.
func (p *parser) scalar(s string) (value, bool) {
	v, ok := resolve(s)
	if v.kind == kString {
		v.s = p.span(s)
	}
	return v, ok
}

// finish closes the collection whose children are p.open[base:]: they move
// to p.nodes.
func (p *parser) finish(kind uint8, base int) value {
	v := value{kind: kind, s: span{uint32(len(p.nodes)), uint32(len(p.open) - base)}}
	p.nodes = append(p.nodes, p.open[base:]...)
	p.open = p.open[:base]
	return v
}

// hasKey tells whether the open collection from base has an entry key.
func (p *parser) hasKey(base int, key string) bool {
	for i := base; i < len(p.open); i++ {
		if p.str(p.open[i].key) == key {
			return true
		}
	}
	return false
}

// node reads the block collection that starts on the current line at
// indent n.
func (p *parser) node(n int) (value, bool) {
	if p.depth++; p.depth > maxDepth {
		return value{}, false
	}
	defer func() { p.depth-- }()
	t := p.lines[p.i].text
	if itemLine(t) {
		return p.sequence(n)
	}
	return p.mapping(n)
}

// mapping reads a block mapping whose keys are at indent n.
func (p *parser) mapping(n int) (value, bool) {
	base := len(p.open)
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < n {
			break
		}
		if l.indent > n {
			return value{}, false
		}
		key, rest, ok := splitKey(l.text)
		if !ok || p.hasKey(base, key) {
			return value{}, false
		}
		var val value
		if rest == "" || rest[0] == '#' {
			// The value is on the next lines, or null.
			p.i++
			if p.i < len(p.lines) {
				next := p.lines[p.i]
				if next.indent > n && plainLine(next.text) {
					// A plain scalar on the next lines.
					if val, ok = p.continued(next.text, n, next.end); !ok {
						return value{}, false
					}
				} else if next.indent > n {
					if val, ok = p.node(next.indent); !ok {
						return value{}, false
					}
				} else if next.indent == n && itemLine(next.text) {
					if val, ok = p.sequence(n); !ok {
						return value{}, false
					}
				}
			}
		} else if rest[0] == '|' {
			if val, ok = p.literal(rest, n, l.end); !ok {
				return value{}, false
			}
		} else if val, ok = p.inlineValue(rest); ok {
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > n {
				// A plain scalar continued on the next lines, or an error.
				if val, ok = p.continued(rest, n, l.end); !ok {
					return value{}, false
				}
			}
		} else if rest[0] != '\'' && rest[0] != '"' {
			return value{}, false
		} else if val, ok = p.quotedLines(rest, n, l.end); !ok {
			return value{}, false // not a quoted scalar over several lines either
		}
		val.key = p.span(key)
		p.open = append(p.open, val)
	}
	return p.finish(kMap, base), true
}

// literal reads a literal block scalar, the value of a mapping entry
// whose key is at indent n and whose line ends at offset from; header is
// what follows "key: ": "|", "|-" or "|+", then at most spaces and a
// comment. It reads the document's lines itself (split leaves out blank
// and comment-only lines, which are content here) and moves p.i past
// those of the scalar. The content's indentation is that of its first
// non-blank line, as go-yaml finds it; declined: indentation indicators
// ("|2"), folded scalars (">"), an empty scalar, blank lines with more
// spaces than the content's indentation (before it: go-yaml would take
// their indentation; within it: spaces that are content), a line
// indented between the key and the content.
func (p *parser) literal(header string, n, from int) (value, bool) {
	chomp := byte(0) // clip: one final line break
	h := header[1:]
	if h != "" && (h[0] == '-' || h[0] == '+') {
		chomp, h = h[0], h[1:]
	}
	if h != "" && (h[0] != ' ' || !onlyComment(h)) {
		return value{}, false
	}
	rest := p.doc[from:]
	indent := -1              // the content's, found on its first non-blank line
	maxBlank, leading := 0, 0 // blank lines before the content: line breaks of it
	var b strings.Builder
	breaks := 0 // line breaks not yet written: after the last content line, and blank lines
	end := from // offset of the first line after the scalar
	for len(rest) > 0 {
		l, next, hasBreak := cutLine(rest)
		sp := indentOf(l)
		if sp == len(l) { // a blank line
			if indent < 0 {
				maxBlank = max(maxBlank, sp)
				leading++
			} else if sp > indent {
				return value{}, false
			}
		} else {
			if indent < 0 {
				if sp <= n || maxBlank > sp {
					return value{}, false
				}
				indent, breaks = sp, leading
			}
			if sp < indent {
				if sp > n {
					return value{}, false
				}
				break
			}
			for ; breaks > 0; breaks-- {
				b.WriteByte('\n')
			}
			b.WriteString(l[indent:])
		}
		if indent >= 0 && hasBreak {
			breaks++
		}
		rest = next
		end = len(p.doc) - len(rest)
	}
	if indent < 0 {
		return value{}, false
	}
	switch chomp {
	case 0:
		breaks = min(breaks, 1)
	case '-':
		breaks = 0
	}
	for ; breaks > 0; breaks-- {
		b.WriteByte('\n')
	}
	p.skipTo(end)
	return value{kind: kString, s: p.span(b.String())}, true
}

// continued reads a plain scalar that starts with first, the rest of a
// line (ending at offset from) of a mapping entry or sequence item at
// indent n, and goes on over the following lines indented deeper than n,
// folded as go-yaml folds them: a line break between two lines becomes a
// space, n blank lines become n line breaks, the spaces around each line
// are dropped. It reads the document's lines itself (split leaves out
// comment-only lines, which end a plain scalar) and moves p.i past those
// of the scalar. Declined: a first line that is not a plain scalar or ends
// in a comment; a continuation line that starts with an indicator or a
// comment, or holds ": " or " #" (where go-yaml ends the scalar).
func (p *parser) continued(first string, n, from int) (value, bool) {
	if !plainLine(first) || strings.Contains(first, " #") {
		return value{}, false
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(first, " "))
	rest := p.doc[from:]
	blank := 0 // blank lines since the last line of the scalar
	end := from
	for len(rest) > 0 {
		sp, t, next, _ := trimmedLine(rest)
		switch {
		case t == "":
			blank++
		case sp <= n:
			rest = "" // the next node
			continue
		case isIndicator(t[0]) || strings.Contains(t, ": ") || t[len(t)-1] == ':' || strings.Contains(t, " #"):
			return value{}, false
		default:
			foldBreak(&b, blank)
			blank = 0
			b.WriteString(t)
			end = len(p.doc) - len(next)
		}
		rest = next
	}
	v, ok := p.scalar(b.String())
	if !ok {
		return value{}, false
	}
	p.skipTo(end)
	return v, true
}

// quotedLines reads a quoted scalar that opens in first, the rest of the
// line (ending at offset from) of a mapping entry at indent n, and closes
// on one of the following lines, folded as go-yaml folds it: a line break
// becomes a space, n blank lines become n line breaks, the spaces around
// the breaks are dropped. It reads the document's lines itself (a line of
// the scalar may look like a comment) and moves p.i past those of the
// scalar. Declined: a scalar that closes on its first line (quoted reads
// those), backslashes in a double-quoted one (escaped line breaks), a
// line indented no deeper than n, what follows the closing quote other
// than a comment, a deeper line after it.
func (p *parser) quotedLines(first string, n, from int) (value, bool) {
	q := first[0]
	var b strings.Builder
	// add appends a line's text up to the closing quote, if there is one.
	add := func(t string) (closed bool, after string, ok bool) {
		for i := 0; i < len(t); i++ {
			switch c := t[i]; {
			case c == '\\' && q == '"':
				return false, "", false
			case c == q && q == '\'' && i+1 < len(t) && t[i+1] == '\'':
				b.WriteByte('\'')
				i++
			case c == q:
				return true, t[i+1:], true
			default:
				b.WriteByte(c)
			}
		}
		return false, "", true
	}
	if closed, _, ok := add(strings.TrimRight(first[1:], " ")); closed || !ok {
		return value{}, false
	}
	rest := p.doc[from:]
	blank := 0 // blank lines since the last line of the scalar
	for {
		sp, t, next, broke := trimmedLine(rest)
		switch {
		case t == "":
			blank++
		case sp <= n:
			return value{}, false
		default:
			foldBreak(&b, blank)
			blank = 0
			closed, after, ok := add(t)
			if !ok || closed && !onlyComment(after) {
				return value{}, false
			}
			if closed {
				end := len(p.doc) - len(next)
				p.skipTo(end)
				if p.i < len(p.lines) && p.lines[p.i].indent > n {
					return value{}, false
				}
				return value{kind: kString, s: p.span(b.String())}, true
			}
		}
		if !broke {
			return value{}, false // not closed
		}
		rest = next
	}
}

// itemLine tells a line (from its first non-space byte) that is a block
// sequence item: "-" alone or followed by a space.
func itemLine(t string) bool {
	return t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// skipTo moves p.i past the lines that end at or before offset end: those
// of a scalar read from the document's text (the line of its key too).
func (p *parser) skipTo(end int) {
	for p.i < len(p.lines) && p.lines[p.i].end <= end {
		p.i++
	}
}

// plainLine tells a line (from its first non-space byte) that starts a
// plain scalar and is neither a mapping entry nor a sequence item: no
// indicator first (but "-" glued to text), no ": ", no final ":".
func plainLine(t string) bool {
	if isIndicator(t[0]) && (t[0] != '-' || itemLine(t)) {
		return false
	}
	return !strings.Contains(t, ": ") && t[len(t)-1] != ':'
}

// sequence reads a block sequence whose "-" are at indent n.
func (p *parser) sequence(n int) (value, bool) {
	base := len(p.open)
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent != n || !itemLine(l.text) {
			if l.indent > n {
				return value{}, false
			}
			break
		}
		sp := 1 + indentOf(l.text[1:])
		rest := l.text[sp:]
		var item value
		var ok bool
		switch {
		case rest == "" || rest[0] == '#':
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > n {
				if item, ok = p.node(p.lines[p.i].indent); !ok {
					return value{}, false
				}
			}
		case itemLine(rest):
			return value{}, false // "- - a": left to the slow path
		default:
			if _, _, isKey := splitKey(rest); isKey {
				// "- key: value": a mapping whose keys are at the column
				// of this one.
				p.lines[p.i] = line{indent: n + sp, text: rest, end: l.end}
				if item, ok = p.node(n + sp); !ok {
					return value{}, false
				}
			} else {
				if item, ok = p.inlineValue(rest); !ok {
					return value{}, false
				}
				p.i++
				if p.i < len(p.lines) && p.lines[p.i].indent > n {
					if item, ok = p.continued(rest, n, l.end); !ok {
						return value{}, false
					}
				}
			}
		}
		p.open = append(p.open, item)
	}
	return p.finish(kSeq, base), true
}

// splitKey splits "key: rest" (or "key:") into the key and what follows
// the colon and its spaces. ok is false when the line is not a simple
// mapping entry with a string key.
func splitKey(t string) (key, rest string, ok bool) {
	var after string
	switch t[0] {
	case '"', '\'':
		s, r, ok := quoted(t)
		if !ok || r == "" || r[0] != ':' || len(t)-len(r) > maxKey {
			return "", "", false
		}
		key, after = s, r[1:]
	default:
		if isIndicator(t[0]) {
			return "", "", false
		}
		i := 0
		for {
			c := strings.IndexByte(t[i:], ':')
			if c < 0 {
				return "", "", false
			}
			i += c
			if i+1 == len(t) || t[i+1] == ' ' {
				break
			}
			i++
		}
		key, after = t[:i], t[i+1:]
		if key[len(key)-1] == ' ' || strings.Contains(key, " #") || len(key) > maxKey {
			return "", "", false
		}
		var r value
		if r, ok = resolve(key); !ok || r.kind != kString {
			return "", "", false
		}
	}
	if after != "" && after[0] != ' ' {
		return "", "", false
	}
	return key, strings.TrimLeft(after, " "), true
}

// isIndicator tells a byte that cannot start a plain scalar (or that this
// package does not read there).
func isIndicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '<', '=', '~':
		return true
	}
	return false
}

// inlineValue reads the value after "key: " or "- " (the rest of the
// line, a comment allowed at its end).
func (p *parser) inlineValue(t string) (value, bool) {
	switch t[0] {
	case '{', '[':
		v, r, ok := p.flowValue(t, 0)
		if !ok || !onlyComment(r) {
			return v, false
		}
		return v, true
	case '"', '\'':
		s, r, ok := quoted(t)
		if !ok || !onlyComment(r) {
			return value{}, false
		}
		return value{kind: kString, s: p.span(s)}, true
	}
	if isIndicator(t[0]) && !(t[0] == '-' && len(t) > 1 && t[1] != ' ') && t[0] != '~' {
		return value{}, false
	}
	if i := strings.Index(t, " #"); i >= 0 {
		t = t[:i]
	}
	t = strings.TrimRight(t, " ")
	if strings.Contains(t, ": ") || strings.HasSuffix(t, ":") {
		return value{}, false
	}
	return p.scalar(t)
}

// onlyComment tells that r, what follows a value on its line, holds
// nothing but spaces and a comment (which needs a space before it).
func onlyComment(r string) bool {
	t := strings.TrimLeft(r, " ")
	return t == "" || (t[0] == '#' && len(t) < len(r))
}

// flowValue reads a flow node at the start of t and returns what follows.
func (p *parser) flowValue(t string, depth int) (value, string, bool) {
	if depth > maxDepth {
		return value{}, "", false
	}
	t = strings.TrimLeft(t, " ")
	if t == "" {
		return value{}, "", false
	}
	switch t[0] {
	case '[':
		base := len(p.open)
		t = strings.TrimLeft(t[1:], " ")
		if strings.HasPrefix(t, "]") {
			return p.finish(kSeq, base), t[1:], true
		}
		for {
			e, r, ok := p.flowValue(t, depth+1)
			if !ok {
				return value{}, "", false
			}
			p.open = append(p.open, e)
			r = strings.TrimLeft(r, " ")
			if r == "" {
				return value{}, "", false
			}
			switch r[0] {
			case ']':
				return p.finish(kSeq, base), r[1:], true
			case ',':
				t = strings.TrimLeft(r[1:], " ")
				if t == "" || t[0] == ']' || t[0] == ',' {
					return value{}, "", false
				}
			default:
				return value{}, "", false
			}
		}
	case '{':
		base := len(p.open)
		t = strings.TrimLeft(t[1:], " ")
		if strings.HasPrefix(t, "}") {
			return p.finish(kMap, base), t[1:], true
		}
		for {
			k, r, ok := p.flowValue(t, depth+1)
			if !ok || k.kind != kString || p.hasKey(base, p.str(k.s)) || !strings.HasPrefix(r, ": ") || len(t)-len(r) > maxKey {
				return value{}, "", false
			}
			e, r, ok := p.flowValue(r[2:], depth+1)
			if !ok {
				return value{}, "", false
			}
			e.key = k.s
			p.open = append(p.open, e)
			r = strings.TrimLeft(r, " ")
			if r == "" {
				return value{}, "", false
			}
			switch r[0] {
			case '}':
				return p.finish(kMap, base), r[1:], true
			case ',':
				t = strings.TrimLeft(r[1:], " ")
				if t == "" || t[0] == '}' || t[0] == ',' {
					return value{}, "", false
				}
			default:
				return value{}, "", false
			}
		}
	case '"', '\'':
		s, r, ok := quoted(t)
		return value{kind: kString, s: p.span(s)}, r, ok
	}
	if isIndicator(t[0]) && !(t[0] == '-' && len(t) > 1 && t[1] != ' ' && t[1] != ',' && t[1] != ']' && t[1] != '}') {
		return value{}, "", false
	}
	// A plain scalar: up to a flow indicator or ": ".
	i := 0
	for ; i < len(t); i++ {
		c := t[i]
		if !flowSpecial[c] {
			continue
		}
		if c != ':' {
			break // go-yaml v2 ends a plain scalar in flow at '?' too
		}
		if i+1 < len(t) && t[i+1] == ' ' {
			break
		}
		return value{}, "", false // "a:b" in flow: left to the slow path
	}
	if i < len(t) && (t[i] == '#' || t[i] == '[' || t[i] == '{' || t[i] == '?') {
		return value{}, "", false
	}
	s := strings.TrimRight(t[:i], " ")
	if s == "" {
		return value{}, "", false
	}
	v, ok := p.scalar(s)
	return v, t[i:], ok
}

// flowSpecial marks the bytes that end a plain scalar in a flow
// collection, or may: , [ ] { } # ? and :.
var flowSpecial = [256]bool{',': true, '[': true, ']': true, '{': true, '}': true, '#': true, '?': true, ':': true}

// quoted reads a single- or double-quoted scalar at the start of t that
// ends on this line, and returns what follows the closing quote.
func quoted(t string) (string, string, bool) {
	q := t[0]
	// Most quoted scalars hold no escape: their text is a part of t.
	for i := 1; i < len(t); i++ {
		c := t[i]
		if c == q {
			if q == '\'' && i+1 < len(t) && t[i+1] == '\'' {
				break
			}
			return t[1:i], t[i+1:], true
		}
		if c == '\\' && q == '"' {
			break
		}
	}
	var b strings.Builder
	for i := 1; i < len(t); i++ {
		c := t[i]
		switch {
		case c == q && q == '\'':
			if i+1 < len(t) && t[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), t[i+1:], true
		case c == q:
			return b.String(), t[i+1:], true
		case c == '\\' && q == '"':
			if i+1 == len(t) {
				return "", "", false
			}
			i++
			switch t[i] {
			case '\\', '"': // not '/': go-yaml v2 refuses "\/" (YAML 1.1)
				b.WriteByte(t[i])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return "", "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false // not closed on this line
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolve gives a plain scalar its YAML 1.1 type as go-yaml v2 does when
// decoding into interface{}, and its value but for a string's text (see
// parser.scalar). ok is false for .inf and .nan.
func resolve(s string) (value, bool) {
	if s == "" {
		return value{kind: kNull}, true
	}
	switch c := s[0]; {
	case (c == '+' || c == '-' || (c >= '0' && c <= '9')) && !mayBeNumber(s):
		// "250m", "64Mi", "1.0.0": a string, without trying every
		// number syntax on it.
		switch s {
		case "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
			return value{}, false
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		plain := strings.ReplaceAll(s, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return value{kind: kInt, n: uint64(i)}, true
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return value{kind: kUint, n: u}, true
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return value{kind: kFloat, n: math.Float64bits(f)}, true
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return value{kind: kInt, n: uint64(i)}, true
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return value{kind: kUint, n: u}, true
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return value{kind: kInt, n: uint64(i)}, true
			}
		}
		if c == '+' || c == '-' {
			switch s {
			case "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
				return value{}, false
			}
		}
	case c == '.':
		switch s {
		case ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN":
			return value{}, false
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return value{kind: kFloat, n: math.Float64bits(f)}, true
		}
	case c == '~':
		if s == "~" {
			return value{kind: kNull}, true
		}
	default:
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return value{kind: kTrue}, true
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return value{kind: kFalse}, true
		case "null", "Null", "NULL":
			return value{kind: kNull}, true
		}
	}
	return value{kind: kString}, true
}

// mayBeNumber tells whether s holds only bytes that the number syntaxes
// resolve tries (digits, signs, '.', '_', the letters of 0x, 0o, 0b
// prefixes, hexadecimal digits and exponents): a plain scalar with any
// other byte is a string.
func mayBeNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F',
			c == '+', c == '-', c == '.', c == '_', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// appendJSON writes v as encoding/json would write what sigs.k8s.io/yaml
// decodes: map keys sorted.
func (p *parser) appendJSON(b []byte, v *value) []byte {
	switch v.kind {
	case kNull:
		return append(b, "null"...)
	case kTrue:
		return append(b, "true"...)
	case kFalse:
		return append(b, "false"...)
	case kInt:
		return strconv.AppendInt(b, int64(v.n), 10)
	case kUint:
		return strconv.AppendUint(b, v.n, 10)
	case kFloat:
		f, _ := json.Marshal(math.Float64frombits(v.n))
		return append(b, f...)
	case kString:
		return jsonstring.Append(b, p.str(v.s))
	}
	children := p.children(v)
	if v.kind == kSeq {
		b = append(b, '[')
		for i := range children {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.appendJSON(b, &children[i])
		}
		return append(b, ']')
	}
	byKey := func(x, y value) int { return strings.Compare(p.str(x.key), p.str(y.key)) }
	if !slices.IsSortedFunc(children, byKey) {
		slices.SortFunc(children, byKey) // keys are unique: any sort will do
	}
	b = append(b, '{')
	for i := range children {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstring.Append(b, p.str(children[i].key))
		b = append(b, ':')
		b = p.appendJSON(b, &children[i])
	}
	return append(b, '}')
}
