package typedjson

import (
	"sort"
	"testing"

	"k8s.io/client-go/kubernetes/scheme"
)

// TestSchemeTypesSafe walks every type of client-go's scheme (the kinds
// Guardrails decodes) and checks that each may take the fast path: no
// interface{}, time.Duration, v2-only tag option or ambiguous name is
// reachable without a custom UnmarshalJSON in between. A type that is
// not would still decode correctly (by the slow path), but slowly: this
// test tells when a client-go update brings one. The one exception is
// the internal WatchEvent (metav1.InternalEvent, whose Object is a
// runtime.Object), registered in every group and never decoded from JSON.
func TestSchemeTypesSafe(t *testing.T) {
	var slow []string
	n := 0
	for gvk, typ := range scheme.Scheme.AllKnownTypes() {
		n++
		r := unsafeReason(typ)
		if r == "" {
			continue
		}
		if gvk.Kind == "WatchEvent" && gvk.Version == "__internal" {
			continue
		}
		slow = append(slow, gvk.String()+": "+r)
	}
	if n < 500 {
		t.Fatalf("only %d types in the scheme", n)
	}
	sort.Strings(slow)
	for _, l := range slow {
		t.Error(l)
	}
}
