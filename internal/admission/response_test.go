package admission

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestAnyIndex: anyIndex replaces what the regular expression \[\d+\]
// matches with "[*]", and nothing else.
func TestAnyIndex(t *testing.T) {
	re := regexp.MustCompile(`\[\d+\]`)
	for _, path := range []string{
		"", "spec", "spec.containers[0].resources.requests.memory", "spec.rules[12].http.paths[3].path",
		"metadata.annotations[nginx.ingress.kubernetes.io/server-alias]", "a[]", "a[1", "a[1a]", "[0]", "a[0][1]",
		"a[[0]]", "a[01]x[", "metadata.labels[x[0]]", "subjects[٣]",
	} {
		if got, want := anyIndex(path), re.ReplaceAllString(path, "[*]"); got != want {
			t.Errorf("anyIndex(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestOneLine: oneLine (with its ASCII shortcut) replaces exactly the
// characters unicode.IsControl reports, every byte and a few runes
// around the ASCII and C1 control ranges.
func TestOneLine(t *testing.T) {
	reference := func(s string) string { // oneLine before its shortcut
		if strings.IndexFunc(s, unicode.IsControl) < 0 {
			return s
		}
		return strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	inputs := []string{"", "plain [rule] spec.x: message (hint)", "a\nb\tc\r", "caf\u00e9 \u0085 \u009f \u00a0 \u2028", "\xff\xfe broken", "del\x7f"}
	for b := 0; b < 256; b++ {
		inputs = append(inputs, "x"+string([]byte{byte(b)})+"y")
	}
	for _, s := range inputs {
		if got, want := oneLine(s), reference(s); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
	}
}
