// Package jsonstring writes Go strings as JSON strings byte for byte as
// encoding/json's Marshal does, without its reflection: the AdmissionReview
// answers (internal/review) and the YAML-to-JSON conversion
// (internal/fastyaml) write their strings with it.
package jsonstring

import (
	"encoding/json"
	"strings"
)

// plain marks the bytes encoding/json writes as they are: printable ASCII
// and DEL, but '"', '\\' and the HTML characters <, > and &.
var plain = func() (p [256]bool) {
	for c := ' '; c <= 0x7f; c++ {
		p[c] = true
	}
	for _, c := range `"\<>&` {
		p[c] = false
	}
	return p
}()

const hex = "0123456789abcdef"

// Append appends s to b quoted as encoding/json writes it: printable
// ASCII as it is, but for the escapes it writes for quotes, backslashes,
// newlines, carriage returns, tabs and (for HTML) <, > and &. A string
// with any other byte (other control characters, anything outside
// ASCII: invalid UTF-8, U+2028 and U+2029) is written by encoding/json
// itself.
func Append(b []byte, s string) []byte {
	start := len(b)
	b = append(b, '"')
	run := 0 // s[run:i] is still to append as it is
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plain[c] {
			continue
		}
		b = append(b, s[run:i]...)
		run = i + 1
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '<', '>', '&':
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			// A string always encodes. A copy, so that s itself does not
			// escape (boxed into any) in every caller.
			m, _ := json.Marshal(strings.Clone(s))
			return append(b[:start], m...)
		}
	}
	b = append(b, s[run:]...)
	return append(b, '"')
}
