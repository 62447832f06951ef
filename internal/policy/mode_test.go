package policy

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestModeFor: the one decision of a request's mode. RBAC objects protect
// the whole cluster: a RoleBinding of cluster-admin in kube-system running
// in warn is still denied.
func TestModeFor(t *testing.T) {
	var (
		rb   = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
		role = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
		crb  = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}
		pod  = schema.GroupKind{Kind: "Pod"}
		ns   = schema.GroupKind{Kind: "Namespace"}
		// A kind of another group that happens to be called Role.
		otherRole = schema.GroupKind{Group: "example.com", Kind: "Role"}
	)
	cases := []struct {
		cluster    rules.Mode
		gk         schema.GroupKind
		namespaced bool
		nsMode     rules.Mode
		want       rules.Mode
	}{
		{rules.ModeEnforce, rb, true, rules.ModeWarn, rules.ModeEnforce},
		{rules.ModeEnforce, role, true, rules.ModeAudit, rules.ModeEnforce},
		{rules.ModeEnforce, rb, true, "", rules.ModeEnforce},
		{rules.ModeWarn, rb, true, rules.ModeEnforce, rules.ModeEnforce},
		{rules.ModeWarn, rb, true, rules.ModeAudit, rules.ModeWarn},
		{rules.ModeEnforce, pod, true, rules.ModeWarn, rules.ModeWarn},
		{rules.ModeEnforce, pod, true, "", ""},
		{rules.ModeEnforce, otherRole, true, rules.ModeWarn, rules.ModeWarn},
		{rules.ModeWarn, crb, false, "", rules.ModeWarn},
		{rules.ModeAudit, ns, true, rules.ModeEnforce, rules.ModeAudit},
	}
	for _, c := range cases {
		cfg := config.Default()
		cfg.ClusterMode = c.cluster
		if got := New(cfg).ModeFor(c.gk, c.namespaced, c.nsMode); got != c.want {
			t.Errorf("clusterMode %s, %s (namespaced %v) in a %q namespace: %q, want %q", c.cluster, c.gk, c.namespaced, c.nsMode, got, c.want)
		}
	}
}

func TestAggregationController(t *testing.T) {
	for user, want := range map[string]bool{
		"system:serviceaccount:kube-system:clusterrole-aggregation-controller": true,
		"system:kube-controller-manager":                                       true,
		"system:serviceaccount:kube-public:clusterrole-aggregation-controller": false,
		"clusterrole-aggregation-controller":                                   false,
	} {
		if got := (Requester{User: user}).AggregationController(); got != want {
			t.Errorf("%s: %v, want %v", user, got, want)
		}
	}
}
