package manifest

import (
	"fmt"
	"testing"
)

// TestTypeKeysExact: only JSON that spells apiVersion and kind in exactly
// these cases, without escapes or non-ASCII bytes, skips the universal
// deserializer's own search for them (which folds case).
func TestTypeKeysExact(t *testing.T) {
	for _, c := range []struct {
		js   string
		want bool
	}{
		{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}`, true},
		{`{"apiVersion":"v1","kind":"Pod","KIND":"Service"}`, false},
		{`{"apiVersion":"v1","kind":"Pod","ApiVersion":"apps/v1"}`, false},
		{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\u212aind"}}`, false},
		{"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"x\":\"\xe2\x84\xaaind\"}", false},
		{`{"apiVersion":"v1","kind":"Pod","spec":{"kind":"x"}}`, true},
	} {
		if got := typeKeysExact([]byte(c.js)); got != c.want {
			t.Errorf("typeKeysExact(%s) = %v, want %v", c.js, got, c.want)
		}
	}
}

// TestDecodeFoldedKind: a document with a second, differently cased kind
// decodes as the universal deserializer decodes it.
func TestDecodeFoldedKind(t *testing.T) {
	js := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"Kind":"Service"}`)
	obj, _, err := DecodeJSON(js)
	want, _, werr := codecs.UniversalDeserializer().Decode(js, nil, nil)
	if (err == nil) != (werr == nil) {
		t.Fatalf("err %v, universal deserializer %v", err, werr)
	}
	if err == nil && fmt.Sprintf("%T", obj) != fmt.Sprintf("%T", want) {
		t.Errorf("decoded %T, universal deserializer %T", obj, want)
	}
}
