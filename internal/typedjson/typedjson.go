// Package typedjson decodes JSON into typed Go objects (client-go's API
// types) exactly as sigs.k8s.io/json's UnmarshalCaseSensitivePreserveInts
// does — the decoder the API server and the universal deserializer use —
// in about half the time.
//
// Unmarshal first decodes with github.com/go-json-experiment/json (the
// upstream of encoding/json/v2) under its default, strict options:
// case-sensitive names, duplicate names and invalid UTF-8 rejected,
// unknown members ignored. Where that decoder reads a document at all, it
// reads it as sigs.k8s.io/json does; the documents where the two differ
// (duplicate names, invalid UTF-8, values of the wrong type, which
// sigs.k8s.io/json decodes "as best it can" besides its error) make it
// fail, and Unmarshal then decodes again, from a zero value, with
// sigs.k8s.io/json and returns its result and error. Types on which the
// two decoders could succeed with different values (interface{} fields,
// which sigs.k8s.io/json fills with int64 and v2 with float64;
// time.Duration and time.Time, which v2 reads its own way; text
// unmarshalers; v2-only tag options; ambiguous field names) never take
// the fast path: see fastSafe.
//
// The kinds Guardrails judges (the rules' catalogue: Pods, workloads,
// Ingresses, RBAC, Namespaces; hack/gendecoders) take a faster fast path:
// decoders generated for their types (decoders_gen.go) that read the
// document with a parser of their own, without v2's reflection. They read
// a document only where they read it exactly as sigs.k8s.io/json would,
// and leave every other one — a member or map key given twice, invalid
// UTF-8 in a kept string, a number that is not a plain integer, anything
// unexpected — to sigs.k8s.io/json (generated.go).
package typedjson

import (
	"bytes"
	"reflect"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	kjson "sigs.k8s.io/json"
)

// Unmarshal decodes data into v, a non-nil pointer, as
// sigs.k8s.io/json.UnmarshalCaseSensitivePreserveInts does: the same value
// when it succeeds, its error (and partly decoded value) when it fails.
// Only a v pointing to a zero value (such as a new object of the scheme)
// can take the fast path: v2 and sigs.k8s.io/json merge into existing
// values differently.
func Unmarshal(data []byte, v any) error {
	return unmarshal(data, v)
}

// uniqueValid are the options of v2 for data that needs neither check:
// the fast path is Unmarshal's, without tracking the names of every object
// (a quarter of its time on a Pod) or validating UTF-8.
var uniqueValid = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// UnmarshalUnique is Unmarshal for data that the caller knows holds no
// object with a name twice and only valid UTF-8, such as the JSON that
// package fastyaml writes: where v2's checks could not fail, they are
// skipped. On other data, its result is undefined.
func UnmarshalUnique(data []byte, v any) error {
	return unmarshal(data, v, uniqueValid)
}

func unmarshal(data []byte, v any, opts ...jsonv2.Options) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !fastSafe(rv.Type().Elem()) || !zeroMemory(rv) {
		return Legacy(data, v)
	}
	return fastThenLegacy(data, rv, v, opts...)
}

// fastThenLegacy decodes data into v (rv), which points to a zero value,
// with v2, and on any error of v2 again with sigs.k8s.io/json.
func fastThenLegacy(data []byte, rv reflect.Value, v any, opts ...jsonv2.Options) error {
	if fastOK(data, v, opts...) {
		return nil
	}
	// v2 may have filled part of v: start again from the zero value.
	rv.Elem().SetZero()
	return Legacy(data, v)
}

// fastOK decodes data into v with its generated decoder, else with v2,
// and tells whether it succeeded. A panic (a bug of either on some input)
// counts as a failure: the input is then the reference decoder's to
// judge. The generated decoders check names given twice and UTF-8
// themselves, so opts (which only relax v2's checks) do not concern them.
func fastOK(data []byte, v any, opts ...jsonv2.Options) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if handled, err := decodeFast(data, v); handled {
		return err == nil
	}
	return jsonv2.Unmarshal(data, v, opts...) == nil
}

// Legacy is the slow path alone: sigs.k8s.io/json's case-sensitive
// Unmarshal keeping integers. It is here for benchmarks and tests that
// compare the two.
func Legacy(data []byte, v any) error {
	return kjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// zeros is compared with the memory of the value to decode into.
var zeros [32 << 10]byte

// zeroMemory tells that the value p (a non-nil pointer) points to is all
// zero bits: the zero value of its type. It is reflect.Value.IsZero
// without the walk over every field (1.3 µs for a Deployment); a value
// whose padding is not zero counts as not zero, which only costs the fast
// path.
func zeroMemory(p reflect.Value) bool {
	size := p.Type().Elem().Size()
	if size > uintptr(len(zeros)) {
		return p.Elem().IsZero()
	}
	return bytes.Equal(unsafe.Slice((*byte)(p.UnsafePointer()), size), zeros[:size])
}
