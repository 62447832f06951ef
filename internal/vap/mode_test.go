package vap

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestRBACFollowsTheStricterMode: like the webhook (policy.ModeFor), the
// RBAC policies judge RoleBindings in warn and audit namespaces too while
// clusterMode is enforce; the other policies leave those namespaces out.
func TestRBACFollowsTheStricterMode(t *testing.T) {
	selects := func(p Pair, mode string) bool {
		s, err := metav1.LabelSelectorAsSelector(p.Binding.Spec.MatchResources.NamespaceSelector)
		if err != nil {
			t.Fatal(err)
		}
		return s.Matches(labels.Set{"guardrails.dev/mode": mode, "kubernetes.io/metadata.name": "team-a"})
	}
	got := generate(t, "")
	for _, rule := range []string{"rbac-cluster-admin", "rbac-broad-subject"} {
		for _, mode := range []string{"enforce", "warn", "audit"} {
			if !selects(got[rule], mode) {
				t.Errorf("%s: a %s namespace is not judged", rule, mode)
			}
		}
	}
	if selects(got["ingress-snippet"], "warn") {
		t.Error("ingress-snippet judges a warn namespace")
	}
	// clusterMode warn: only the namespaces whose own mode can deny.
	got = generate(t, "clusterMode: warn\n")
	if p := got["rbac-cluster-admin"]; selects(p, "warn") || !selects(p, "enforce") {
		t.Error("with clusterMode warn, rbac-cluster-admin does not follow the namespace's mode")
	}
}
