package jsonstring

import (
	"encoding/json"
	"testing"
)

// TestAppend compares Append with encoding/json over every byte alone,
// within text and after a prefix already in the buffer, and over strings
// that take encoding/json's path (non-ASCII, invalid UTF-8, U+2028).
func TestAppend(t *testing.T) {
	inputs := []string{"", "plain", `a"b\c`, "<a href='x'>&amp;</a>", "line\nfeed\r\ttab", "\b\f\x00\x1f\x7f",
		"caf\u00e9", "\xff\xfe", "\u2028\u2029", "mixed \"quotes\" and caf\u00e9 <b>"}
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range inputs {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append(nil, s); string(got) != string(want) {
			t.Errorf("Append(%q) = %s, want %s", s, got, want)
		}
		if got := Append([]byte("prefix:"), s); string(got) != "prefix:"+string(want) {
			t.Errorf("Append after a prefix (%q) = %s, want prefix:%s", s, got, want)
		}
	}
}

// FuzzAppend holds Append to encoding/json on any string.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c<>&\n\r\t", "\b\x01\x7f", "caf\u00e9", "\xff", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := Append([]byte("p"), s); string(got) != "p"+string(want) {
			t.Errorf("Append(%q) = %s, want p%s", s, got, want)
		}
	})
}
