package review

// A validating skipper of JSON values: it finds where a value ends and
// whether it is valid JSON (RFC 8259, as encoding/json's scanner accepts
// it: any byte from 0x20 on inside strings, invalid UTF-8 included), at a
// fraction of the cost of encoding/json's state machine, which the
// decoder runs twice over every byte it skips (once to validate the
// whole input, once to find the end of a value). FuzzSkipValue holds it
// to encoding/json.Valid.

// maxDepth is encoding/json's limit of nested arrays and objects: deeper
// values are not skipped (the caller falls back to the decoder, whose
// error they get).
const maxDepth = 10000

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// next reads what follows a member of an object or an element of an
// array that ends before d[i]: a comma (more follow; next returns where
// the next one starts) or the closing byte (next returns the end of the
// object or array); false for anything else.
func next(d []byte, i int, closing byte) (end int, more, ok bool) {
	i = skipSpace(d, i)
	if i >= len(d) {
		return i, false, false
	}
	switch d[i] {
	case ',':
		return skipSpace(d, i+1), true, true
	case closing:
		return i + 1, false, true
	}
	return i, false, false
}

// skipValue returns the end of the JSON value that starts at d[i] (no
// leading space), and false when d[i:] does not start with a valid value.
func skipValue(d []byte, i int) (int, bool) { return value(d, i, 0) }

func value(d []byte, i, depth int) (int, bool) {
	if i >= len(d) {
		return i, false
	}
	switch d[i] {
	case '{':
		if depth >= maxDepth {
			return i, false
		}
		i = skipSpace(d, i+1)
		if i < len(d) && d[i] == '}' {
			return i + 1, true
		}
		for {
			var ok bool
			if i >= len(d) || d[i] != '"' {
				return i, false
			}
			if i, ok = skipString(d, i); !ok {
				return i, false
			}
			i = skipSpace(d, i)
			if i >= len(d) || d[i] != ':' {
				return i, false
			}
			if i, ok = value(d, skipSpace(d, i+1), depth+1); !ok {
				return i, false
			}
			var more bool
			if i, more, ok = next(d, i, '}'); !ok || !more {
				return i, ok
			}
		}
	case '[':
		if depth >= maxDepth {
			return i, false
		}
		i = skipSpace(d, i+1)
		if i < len(d) && d[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = value(d, i, depth+1); !ok {
				return i, false
			}
			var more bool
			if i, more, ok = next(d, i, ']'); !ok || !more {
				return i, ok
			}
		}
	case '"':
		return skipString(d, i)
	case 't':
		return literal(d, i, "true")
	case 'f':
		return literal(d, i, "false")
	case 'n':
		return literal(d, i, "null")
	default:
		return skipNumber(d, i)
	}
}

func literal(d []byte, i int, lit string) (int, bool) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// skipString skips the string starting at d[i] == '"'.
func skipString(d []byte, i int) (int, bool) {
	for i++; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(d) {
				return i, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(d)-i < 6 || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			i++
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipNumber skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; what
// follows is for the caller to judge.
func skipNumber(d []byte, i int) (int, bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return i, false
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i++; i < len(d) && isDigit(d[i]); i++ {
		}
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return i, false
		}
		for i++; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return i, false
		}
		for i++; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	return i, true
}
