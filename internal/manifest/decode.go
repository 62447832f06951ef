// Package manifest turns Kubernetes YAML/JSON documents into typed objects
// for the rule engine.
package manifest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"

	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/safeyaml"
)

// ErrUnknownKind is returned by Decode for kinds the scheme does not know
// (CRDs and the like): callers skip them.
type ErrUnknownKind struct{ GVK schema.GroupVersionKind }

func (e *ErrUnknownKind) Error() string { return fmt.Sprintf("unknown kind %s", e.GVK) }

var codecs = serializer.NewCodecFactory(scheme.Scheme)

// Decode decodes one JSON or YAML document into a typed object of client-go's
// scheme, applying no defaults. It returns *ErrUnknownKind for kinds outside
// the scheme and a descriptive error for anything that is not a Kubernetes
// object.
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
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	switch {
	case tm.Kind == "" && tm.APIVersion == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: no apiVersion and kind")
	case tm.Kind == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("not a Kubernetes object: no kind (apiVersion %q)", tm.APIVersion)
	case tm.APIVersion == "":
		return nil, rules.ObjectRef{}, fmt.Errorf("%s without apiVersion", tm.Kind)
	}
	gvk := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
	if !scheme.Scheme.Recognizes(gvk) {
		return nil, rules.ObjectRef{APIVersion: tm.APIVersion, Kind: tm.Kind}, &ErrUnknownKind{GVK: gvk}
	}
	obj, _, err := codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		return nil, rules.ObjectRef{APIVersion: tm.APIVersion, Kind: tm.Kind}, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, rules.RefOf(obj, tm.APIVersion, tm.Kind), nil
}
