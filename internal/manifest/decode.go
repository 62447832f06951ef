// Package manifest turns Kubernetes YAML/JSON documents into typed objects
// for the rule engine.
package manifest

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/safeyaml"
	"github.com/guardrails-dev/guardrails/internal/typedjson"
)

// ErrUnknownKind is returned by Decode for kinds the scheme does not know
// (CRDs and the like): callers skip them.
type ErrUnknownKind struct{ GVK schema.GroupVersionKind }

func (e *ErrUnknownKind) Error() string { return fmt.Sprintf("unknown kind %s", e.GVK) }

var codecs = serializer.NewCodecFactory(scheme.Scheme)

// Decode decodes one JSON or YAML document into a typed object of client-go's
// scheme, applying no defaults. It returns *ErrUnknownKind for kinds outside
// the scheme, *ErrRemovedVersion for a judged kind in an API version the
// API server no longer serves, and a descriptive error for anything that is
// not a Kubernetes object.
func Decode(data []byte) (runtime.Object, rules.ObjectRef, error) {
	js, err := safeyaml.ToJSON(data)
	if err != nil {
		return nil, rules.ObjectRef{}, err
	}
	return DecodeJSON(js)
}

// DecodeJSON is Decode for JSON input.
func DecodeJSON(js []byte) (runtime.Object, rules.ObjectRef, error) {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := typedjson.Unmarshal(js, &tm); err != nil {
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	return decodeKnownType(js, tm.APIVersion, tm.Kind, jsonFacts{})
}

// jsonFacts is what the caller knows of a document's JSON without reading
// it again.
type jsonFacts struct {
	// fromYAML: package fastyaml wrote it, so no object has a name twice
	// and it is valid UTF-8 (decoded with typedjson.UnmarshalUnique).
	fromYAML bool
	// typeKeysExact: what typeKeysExact would find (fastyaml's Head
	// tells it).
	typeKeysExact bool
}

func (f jsonFacts) unmarshal(js []byte, v any) error {
	if f.fromYAML {
		return typedjson.UnmarshalUnique(js, v)
	}
	return typedjson.Unmarshal(js, v)
}

// decodeWithHead is DecodeJSON for a document whose head was read already.
func decodeWithHead(js []byte, head *typeMeta, facts jsonFacts) (runtime.Object, rules.ObjectRef, error) {
	return decodeKnownType(js, head.APIVersion, head.Kind, facts)
}

func decodeKnownType(js []byte, apiVersion, kind string, facts jsonFacts) (runtime.Object, rules.ObjectRef, error) {
	tm := struct{ APIVersion, Kind string }{apiVersion, kind}
	switch {
	case tm.Kind == "" && tm.APIVersion == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: no apiVersion and kind")
	case tm.Kind == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: no kind (apiVersion %q)", tm.APIVersion)
	case tm.APIVersion == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("%s without apiVersion", tm.Kind)
	}
	return decodeTypedJSON(js, tm.APIVersion, tm.Kind, facts)
}

// decodeTypedJSON decodes js, whose apiVersion and kind (as written, in
// exactly these letter cases) are known, into a typed object.
func decodeTypedJSON(js []byte, apiVersion, kind string, facts jsonFacts) (runtime.Object, rules.ObjectRef, error) {
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	if err := removed(gvk); err != nil {
		return nil, rules.ObjectRef{APIVersion: apiVersion, Kind: kind}, err
	}
	if !scheme.Scheme.Recognizes(gvk) {
		return nil, rules.ObjectRef{APIVersion: apiVersion, Kind: kind}, &ErrUnknownKind{GVK: gvk}
	}
	var obj runtime.Object
	var err error
	if facts.typeKeysExact || typeKeysExact(js) {
		// What the universal deserializer does for JSON (non-strict, no
		// conversion, no defaulting), without its two extra passes over
		// the document to find apiVersion and kind again; typedjson
		// decodes as its sigs.k8s.io/json does.
		if obj, err = scheme.Scheme.New(gvk); err == nil {
			if err = facts.unmarshal(js, obj); err != nil {
				obj = nil
			}
		}
	} else {
		obj, _, err = codecs.UniversalDeserializer().Decode(js, nil, nil)
	}
	if err != nil {
		return nil, rules.ObjectRef{APIVersion: apiVersion, Kind: kind}, fmt.Errorf("%s: %w", kind, err)
	}
	return obj, rules.RefOf(obj, apiVersion, kind), nil
}

// typeKeysExact tells that js spells "apiVersion" and "kind" only in
// these letter cases, so that the universal deserializer, which finds them
// case-insensitively (encoding/json), would find what the case-sensitive
// reading found. It is conservative: JSON with escapes or non-ASCII bytes
// (Unicode case folding: "\u212aind" is "kind" to encoding/json) is not.
func typeKeysExact(js []byte) bool {
	// One pass for what was five (the byte check, and for each key a
	// case-folding count and an exact count): every quote is looked at
	// once, and only one followed by a k or an a is compared further.
	var kind, apiVersion keyCount
	for i, b := range js {
		if b >= 0x80 || b == '\\' {
			return false
		}
		if b != '"' || i+1 == len(js) {
			continue
		}
		switch js[i+1] | 0x20 { // ASCII letters in lower case
		case 'k':
			kind.at(js, i, `"kind"`)
		case 'a':
			apiVersion.at(js, i, `"apiVersion"`)
		}
	}
	return kind.folded == kind.exact && apiVersion.folded == apiVersion.exact
}

// keyCount counts the occurrences of a quoted key in JSON text: folded,
// those in any letter case (where they start with '"', overlapping ones
// too), and exact, those spelled exactly, not overlapping (as bytes.Count
// counts).
type keyCount struct {
	folded, exact int
	end           int // the end of the last exact occurrence
}

// at counts the occurrence of key at js[i:], if any.
func (c *keyCount) at(js []byte, i int, key string) {
	if i+len(key) > len(js) || !bytes.EqualFold(js[i:i+len(key)], []byte(key)) {
		return
	}
	c.folded++
	if i >= c.end && string(js[i:i+len(key)]) == key {
		c.exact++
		c.end = i + len(key)
	}
}
