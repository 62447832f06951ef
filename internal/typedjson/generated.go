package typedjson

import (
	"encoding/json"
	"errors"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// The decoders of decoders_gen.go (written by hack/gendecoders) read the
// judged kinds with a parser of their own instead of v2's reflection;
// this file holds the parser. It is strict: whatever it does not read
// exactly as sigs.k8s.io/json would — invalid JSON, a value of the wrong
// type, a number that is not a plain integer, a member or map key given
// twice, invalid UTF-8 in a string it keeps, nesting deeper than
// maxDepth — is errUnexpected, and the document is then decoded again by
// sigs.k8s.io/json, whose value and error count (fastThenLegacy).

// errUnexpected is input the generated decoders leave to sigs.k8s.io/json.
var errUnexpected = errors.New("typedjson: input left to sigs.k8s.io/json")

// maxDepth bounds the nesting of skipped values (sigs.k8s.io/json allows
// 10000).
const maxDepth = 1000

// parser reads one JSON document.
type parser struct {
	data []byte
	pos  int
	// strings keeps the short strings made lately, to be made once: kinds,
	// versions, verbs, protocols and policies repeat in every object.
	strings *stringCache
}

// stringCache holds recently made strings of up to 16 bytes, by a hash
// of their bytes (as v2 does).
type stringCache [256]string

var stringCaches = sync.Pool{New: func() any { return new(stringCache) }}

// string returns b as a string: the cached one when it holds the same
// bytes.
func (p *parser) string(b []byte) string {
	if len(b) == 0 || len(b) > 16 {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	e := &p.strings[h%uint32(len(p.strings))]
	if *e != string(b) {
		*e = string(b)
	}
	return *e
}

// decodeFast decodes data into v (a pointer to a zero value) with the
// generated decoder of v's type; handled is false when v's type has none
// (then v is untouched).
func decodeFast(data []byte, v any) (handled bool, err error) {
	p := &parser{data: data, strings: stringCaches.Get().(*stringCache)}
	defer stringCaches.Put(p.strings)
	handled, err = decodeGenerated(p, v)
	if !handled || err != nil {
		return handled, err
	}
	p.ws()
	if p.pos != len(p.data) {
		return true, errUnexpected // more than one value
	}
	return true, nil
}

// ws skips white space.
func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (p *parser) peek() byte {
	p.ws()
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// literal consumes lit when it comes next.
func (p *parser) literal(lit string) bool {
	if len(p.data)-p.pos >= len(lit) && string(p.data[p.pos:p.pos+len(lit)]) == lit {
		p.pos += len(lit)
		return true
	}
	return false
}

// null consumes a null when one comes next.
func (p *parser) null() bool {
	return p.peek() == 'n' && p.literal("null")
}

// beginObject reads the '{' of an object, or a null (null true).
func (p *parser) beginObject() (null bool, err error) {
	return p.begin('{')
}

// beginArray reads the '[' of an array, or a null (null true).
func (p *parser) beginArray() (null bool, err error) {
	return p.begin('[')
}

func (p *parser) begin(open byte) (bool, error) {
	switch p.peek() {
	case open:
		p.pos++
		return false, nil
	case 'n':
		if p.literal("null") {
			return true, nil
		}
	}
	return false, errUnexpected
}

// next moves to the next member or element of the object or array being
// read (closed by end): false once end is read.
func (p *parser) next(end byte, first bool) (bool, error) {
	switch c := p.peek(); {
	case c == end:
		p.pos++
		return false, nil
	case first:
		return true, nil
	case c == ',':
		p.pos++
		return true, nil
	}
	return false, errUnexpected
}

// name reads a member name and its colon: the name's text, a part of the
// document when it holds no escape.
func (p *parser) name() ([]byte, error) {
	if p.peek() != '"' {
		return nil, errUnexpected
	}
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	if p.peek() != ':' {
		return nil, errUnexpected
	}
	p.pos++
	return s, nil
}

// str reads the string at p.pos (its quote) and returns its text.
func (p *parser) str() ([]byte, error) {
	start := p.pos
	ascii := true
	for i := start + 1; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.pos = i + 1
			s := p.data[start+1 : i]
			if !ascii && !utf8.Valid(s) {
				return nil, errUnexpected // sigs.k8s.io/json replaces what is invalid
			}
			return s, nil
		case c == '\\':
			if err := p.skipString(); err != nil {
				return nil, err
			}
			s, err := jsontext.AppendUnquote(nil, p.data[start:p.pos])
			if err != nil {
				return nil, errUnexpected
			}
			return s, nil
		case c < 0x20:
			return nil, errUnexpected
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, errUnexpected
}

// skipString moves past the string at p.pos (its quote), checking its
// escapes as JSON has them.
func (p *parser) skipString() error {
	for i := p.pos + 1; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.pos = i + 1
			return nil
		case c == '\\':
			i++
			if i >= len(p.data) {
				return errUnexpected
			}
			switch p.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(p.data) {
					return errUnexpected
				}
				for _, h := range p.data[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return errUnexpected
					}
				}
				i += 4
			default:
				return errUnexpected
			}
		case c < 0x20:
			return errUnexpected
		}
	}
	return errUnexpected
}

// skipNumber moves past the number at p.pos, checking JSON's grammar.
func (p *parser) skipNumber() error {
	d, i := p.data, p.pos
	digits := func() bool {
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return errUnexpected
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return errUnexpected
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return errUnexpected
		}
	}
	p.pos = i
	return nil
}

// skip moves past the next value, checking it.
func (p *parser) skip() error {
	return p.skipDepth(0)
}

func (p *parser) skipDepth(depth int) error {
	if depth > maxDepth {
		return errUnexpected
	}
	switch c := p.peek(); c {
	case '"':
		return p.skipString()
	case '{', '[':
		p.pos++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		for first := true; ; first = false {
			more, err := p.next(end, first)
			if err != nil || !more {
				return err
			}
			if c == '{' {
				if _, err := p.name(); err != nil {
					return err
				}
			}
			if err := p.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case 't', 'f', 'n':
		if _, ok := p.keyword(); ok {
			return nil
		}
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return p.skipNumber()
		}
	}
	return errUnexpected
}

// keyword consumes the true, false or null that comes next (after white
// space) and returns its first letter.
func (p *parser) keyword() (byte, bool) {
	switch c := p.peek(); c {
	case 't':
		return c, p.literal("true")
	case 'f':
		return c, p.literal("false")
	case 'n':
		return c, p.literal("null")
	}
	return 0, false
}

// decString reads a string into s; a null leaves s as it is (the zero
// value: a member given twice is refused, so s was never set).
func decString(p *parser, s *string) error {
	switch p.peek() {
	case '"':
		b, err := p.str()
		if err != nil {
			return err
		}
		*s = p.string(b)
		return nil
	case 'n':
		if p.literal("null") {
			return nil
		}
	}
	return errUnexpected
}

// decBool reads true or false into b; a null leaves b as it is.
func decBool(p *parser, b *bool) error {
	k, ok := p.keyword()
	if !ok {
		return errUnexpected
	}
	if k == 't' {
		*b = true
	}
	return nil
}

// decUnmarshaler hands the next value, raw, to the UnmarshalJSON of u, a
// value that is not a pointer (pointers to such types are handled before:
// null makes them nil), null included, as sigs.k8s.io/json does.
func decUnmarshaler(p *parser, u json.Unmarshaler) error {
	p.ws()
	start := p.pos
	if err := p.skip(); err != nil {
		return err
	}
	return u.UnmarshalJSON(p.data[start:p.pos])
}

// readInt reads a plain JSON integer (no fraction, no exponent, no -0)
// that fits in bits; a null is null=true.
func readInt(p *parser, bits uint) (n int64, null bool, err error) {
	if p.null() {
		return 0, true, nil
	}
	start := p.pos
	if err := p.skipNumber(); err != nil {
		return 0, false, err
	}
	v := p.data[start:p.pos]
	neg := v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 19 || (digits[0] == '0' && (len(digits) > 1 || neg)) {
		return 0, false, errUnexpected
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false, errUnexpected // a fraction or an exponent
		}
		u = u*10 + uint64(c-'0')
	}
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	if (!neg && u >= limit) || (neg && u > limit) {
		return 0, false, errUnexpected
	}
	if neg {
		return -int64(u), false, nil
	}
	return int64(u), false, nil
}

func decInt32(p *parser, v *int32) error {
	n, null, err := readInt(p, 32)
	if err == nil && !null {
		*v = int32(n)
	}
	return err
}

func decInt64(p *parser, v *int64) error {
	n, null, err := readInt(p, 64)
	if err == nil && !null {
		*v = n
	}
	return err
}

func decInt(p *parser, v *int) error {
	n, null, err := readInt(p, 64)
	if err == nil && !null {
		*v = int(n)
	}
	return err
}
