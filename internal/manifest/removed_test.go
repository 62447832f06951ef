package manifest_test

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func TestRemovedVersions(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
	}{
		{"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  backend: {serviceName: web, servicePort: 80}\n",
			"Ingress extensions/v1beta1 is no longer served by the Kubernetes API server (removed in v1.22): convert it to apiVersion networking.k8s.io/v1; the object was not checked"},
		{"apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: web}\n",
			"Ingress networking.k8s.io/v1beta1 is no longer served by the Kubernetes API server (removed in v1.22): convert it to apiVersion networking.k8s.io/v1; the object was not checked"},
		{"apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRoleBinding\nmetadata: {name: admin}\n",
			"ClusterRoleBinding rbac.authorization.k8s.io/v1beta1 is no longer served by the Kubernetes API server (removed in v1.22): convert it to apiVersion rbac.authorization.k8s.io/v1; the object was not checked"},
		{"apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: web}\n",
			"Deployment apps/v1beta2 is no longer served by the Kubernetes API server (removed in v1.16): convert it to apiVersion apps/v1; the object was not checked"},
		{"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: nightly}\n",
			"CronJob batch/v1beta1 is no longer served by the Kubernetes API server (removed in v1.25): convert it to apiVersion batch/v1; the object was not checked"},
	} {
		_, ref, err := manifest.Decode([]byte(tc.doc))
		var rv *manifest.ErrRemovedVersion
		if !errors.As(err, &rv) || err.Error() != tc.want {
			t.Errorf("Decode(%q):\n got %v\nwant %s", tc.doc, err, tc.want)
		}
		if ref.Kind == "" || ref.APIVersion == "" {
			t.Errorf("Decode(%q): ref %+v does not name the object", tc.doc, ref)
		}
	}
	// Served versions decode.
	if _, _, err := manifest.Decode([]byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n")); err != nil {
		t.Errorf("networking.k8s.io/v1 Ingress: %v", err)
	}
}

// TestNoSilentVersions: for every kind a rule judges, each version that
// client-go's scheme decodes (also under the old extensions group) is
// either the one the rules read or a removed one that Decode rejects. A
// new client-go bringing back an old version fails here instead of
// passing objects unjudged.
func TestNoSilentVersions(t *testing.T) {
	judged := map[string]string{} // kind → group the rules read
	for _, r := range rules.Catalogue() {
		for _, gk := range r.Kinds {
			judged[gk.Kind] = gk.Group
		}
	}
	read := map[string]bool{"v1": true}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		group, ok := judged[gvk.Kind]
		if !ok || gvk.Version == "__internal" || gvk.Group != group && gvk.Group != "extensions" || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		if gvk.Group == group && read[gvk.Version] {
			continue
		}
		doc := "apiVersion: " + gvk.GroupVersion().String() + "\nkind: " + gvk.Kind + "\nmetadata: {name: x}\n"
		_, _, err := manifest.Decode([]byte(doc))
		var rv *manifest.ErrRemovedVersion
		if !errors.As(err, &rv) {
			t.Errorf("%s: decodes (err %v) but no rule reads that version: list it in removedVersions", gvk, err)
		} else if rv.GVK != (schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}) {
			t.Errorf("%s: error names %s", gvk, rv.GVK)
		}
	}
}
