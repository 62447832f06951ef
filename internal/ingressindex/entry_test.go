package ingressindex

import (
	"strings"
	"testing"
	"unsafe"

	networkingv1 "k8s.io/api/networking/v1"
)

// TestEntryPathTypeInterned: an Entry keeps the constant spelling of a
// path type, not the copy a decoder made.
func TestEntryPathTypeInterned(t *testing.T) {
	for _, pt := range []networkingv1.PathType{networkingv1.PathTypePrefix, networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific, "Other"} {
		decoded := networkingv1.PathType(strings.Clone(string(pt)))
		ing := &networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "h",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &decoded}}}}}}}}
		got := EntryOf(ing).routes[0].pathType
		shared := unsafe.StringData(got) == unsafe.StringData(string(pt))
		if got != string(pt) || shared != (pt != "Other") {
			t.Errorf("path type %q: got %q, shared with the constant %v", pt, got, shared)
		}
	}
}
