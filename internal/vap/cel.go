package vap

import (
	"fmt"
	"strings"
	"unicode"
)

// Helpers that write CEL source. Every string that comes from the rules or
// the configuration enters an expression through str or strList, never by
// concatenation into the source.

// str returns s as a CEL string literal.
func str(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff && (!unicode.IsPrint(r) || r == unicode.ReplacementChar):
			fmt.Fprintf(&b, `\u%04x`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// strList returns ss as a CEL list of string literals.
func strList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = str(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// or joins CEL conditions with ||, each in parentheses; "false" for none.
func or(conds ...string) string {
	switch len(conds) {
	case 0:
		return "false"
	case 1:
		return conds[0]
	}
	return "(" + strings.Join(conds, ") || (") + ")"
}

// and joins CEL conditions with &&, each in parentheses; "true" for none.
func and(conds ...string) string {
	switch len(conds) {
	case 0:
		return "true"
	case 1:
		return conds[0]
	}
	return "(" + strings.Join(conds, ") && (") + ")"
}

// quoted is the CEL for Go's %q of a value whose characters need no
// escaping (names the API server validates: namespaces, label values,
// container names).
func quoted(expr string) string { return `'"' + ` + expr + ` + '"'` }

// goQuote is the CEL for Go's %q of any string: strings.quote escapes
// backslashes, double quotes and the common control characters like %q
// (other control and non-printable characters differ; names with those
// are rare and still denied).
func goQuote(expr string) string { return "strings.quote(" + expr + ")" }

// expand fills a CEL template: each placeholder of kv ("$R", root, …)
// is replaced by its value; leading and trailing blank lines go.
func expand(tmpl string, kv ...string) string {
	return strings.Trim(strings.NewReplacer(kv...).Replace(tmpl), "\n")
}

// indent indents every line but the first of a CEL fragment by n spaces,
// to nest it in a template.
func indent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
