package typedjson

import (
	"fmt"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// outcome is how a document decodes.
type outcome int

const (
	fast     outcome = iota // v2 decodes it (to what sigs.k8s.io/json gives)
	fallback                // v2 fails, sigs.k8s.io/json decodes it
	failure                 // both fail (the result is sigs.k8s.io/json's error)
	refused                 // the type never takes the fast path
)

func (o outcome) String() string {
	return [...]string{"fast", "fallback", "failure", "refused"}[o]
}

// compare decodes data into new values of newV's type with v2 alone,
// sigs.k8s.io/json alone and Unmarshal, checks the contract (v2's
// successes equal sigs.k8s.io/json's value; Unmarshal gives
// sigs.k8s.io/json's value and error) and tells which way it went.
func compare(t testing.TB, data []byte, newV func() any) outcome {
	t.Helper()
	want := newV()
	wantErr := Legacy(data, want)

	got := newV()
	gotErr := Unmarshal(data, got)
	if !sameErr(gotErr, wantErr) {
		t.Fatalf("%.200q: Unmarshal error %v, sigs.k8s.io/json %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q: Unmarshal gives\n%#v\nsigs.k8s.io/json\n%#v", data, got, want)
	}
	// The generated decoder, where it reads the document, reads it as
	// sigs.k8s.io/json does.
	gen := newV()
	if handled, err := decodeFast(data, gen); handled && err == nil && (wantErr != nil || !reflect.DeepEqual(gen, want)) {
		t.Fatalf("%.200q: the generated decoder gives\n%#v\nsigs.k8s.io/json\n%#v, %v", data, gen, want, wantErr)
	}
	if jsontext.Value(data).IsValid() { // no name twice, valid UTF-8
		got := newV()
		gotErr := UnmarshalUnique(data, got)
		if !sameErr(gotErr, wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%.200q: UnmarshalUnique gives\n%#v, %v\nsigs.k8s.io/json\n%#v, %v", data, got, gotErr, want, wantErr)
		}
	}

	if !fastSafe(reflect.TypeOf(want).Elem()) {
		return refused
	}
	v2 := newV()
	if err := jsonv2.Unmarshal(data, v2); err != nil {
		if wantErr != nil {
			return failure
		}
		return fallback
	}
	if wantErr != nil {
		t.Fatalf("%.200q: v2 succeeds, sigs.k8s.io/json fails: %v", data, wantErr)
	}
	if !reflect.DeepEqual(v2, want) {
		t.Fatalf("%.200q: v2 gives\n%#v\nsigs.k8s.io/json\n%#v", data, v2, want)
	}
	return fast
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error() && fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}

func newOf[T any]() func() any { return func() any { return new(T) } }

func reflectTypeOf(v any) reflect.Type   { return reflect.TypeOf(v) }
func reflectValueOf(v any) reflect.Value { return reflect.ValueOf(v) }
func deepEqual(a, b any) bool            { return reflect.DeepEqual(a, b) }

func itoa(i int) string { return fmt.Sprint(i) }
