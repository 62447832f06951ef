package manifest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/safeyaml"
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
		{`{"apiVersion":"v1","kind":"Pod","x":"kind"kind"}`, false},
		{`{"apiVersion":"v1","kind":"Pod","x":"apiVersio"}`, true},
		{`{"kind":"Pod","apiVersion"`, true},
		{`"KIND"`, false},
		{`"a`, true},
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
	// From YAML, where fastyaml tells whether the type keys are exact: the
	// Kelvin sign folds to k, and "\u212aind" sorts after "kind", so the
	// deserializer takes it (a Service) where the case-sensitive head
	// reads a Pod.
	for _, y := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n\u212aind: Service\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nKind: Service\n",
	} {
		var got []*Item
		if err := DecodeDocument(&Document{Data: []byte(y)}, nil, func(it *Item) error { got = append(got, it); return nil }); err != nil || len(got) != 1 {
			t.Fatalf("%q: %d items, %v", y, len(got), err)
		}
		js, err := safeyaml.ToJSON([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		want, _, werr := codecs.UniversalDeserializer().Decode(js, nil, nil)
		if (got[0].Err == nil) != (werr == nil) || werr == nil && fmt.Sprintf("%T", got[0].Object) != fmt.Sprintf("%T", want) {
			t.Errorf("%q: decoded %T (%v), universal deserializer %T (%v)", y, got[0].Object, got[0].Err, want, werr)
		}
	}
}

// typeKeysExactByDefinition is typeKeysExact as first written: the
// reference for FuzzTypeKeysExact.
func typeKeysExactByDefinition(js []byte) bool {
	for _, b := range js {
		if b >= 0x80 || b == '\\' {
			return false
		}
	}
	countFold := func(lower string) int {
		n := 0
		for i := 0; i+len(lower) <= len(js); i++ {
			if js[i] == '"' && bytes.EqualFold(js[i:i+len(lower)], []byte(lower)) {
				n++
			}
		}
		return n
	}
	return countFold(`"kind"`) == bytes.Count(js, []byte(`"kind"`)) &&
		countFold(`"apiversion"`) == bytes.Count(js, []byte(`"apiVersion"`))
}

// FuzzTypeKeysExact: the one-pass typeKeysExact answers as its definition.
func FuzzTypeKeysExact(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"v1","kind":"Pod","KIND":"Service"}`, `"kind"kind"`, `"Kind""kind"`,
		`{"ApiVersion":"x","apiVersion":"y"}`, `"apiVersion"apiVersion"`, "\"\xe2\x84\xaaind\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		if got, want := typeKeysExact(js), typeKeysExactByDefinition(js); got != want {
			t.Errorf("typeKeysExact(%q) = %v, by definition %v", js, got, want)
		}
	})
}

// BenchmarkTypeKeysExact: the one pass against its definition, on a
// Deployment's JSON.
func BenchmarkTypeKeysExact(b *testing.B) {
	js := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"app-0","namespace":"team-0","labels":{"app.kubernetes.io/name":"app-0","app.kubernetes.io/part-of":"shop"}},"spec":{"replicas":2,"revisionHistoryLimit":5,"selector":{"matchLabels":{"app.kubernetes.io/name":"app-0"}},"template":{"metadata":{"annotations":{"prometheus.io/port":"9090","prometheus.io/scrape":"true"},"labels":{"app.kubernetes.io/name":"app-0","app.kubernetes.io/part-of":"shop"}},"spec":{"containers":[{"args":["--port=8080","--metrics-port=9090","--log-format=json"],"env":[{"name":"MODE","value":"production"},{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],"image":"ghcr.io/example/app-0:1.0.0","imagePullPolicy":"IfNotPresent","name":"app","ports":[{"containerPort":8080,"name":"http"},{"containerPort":9090,"name":"metrics"}],"resources":{"limits":{"memory":"128Mi"},"requests":{"cpu":"50m","memory":"64Mi"}}}],"securityContext":{"fsGroup":10001,"runAsNonRoot":true,"runAsUser":10001},"serviceAccountName":"app-0"}}}}`)
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			typeKeysExact(js)
		}
	})
	b.Run("definition", func(b *testing.B) {
		for b.Loop() {
			typeKeysExactByDefinition(js)
		}
	})
}
