package rules

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// BenchmarkRBACPowerSearch compares, in one run, the admin powers a
// ClusterRole holds in its three scopes found by rbacPowerSearch
// ("search") and by three rbacFind calls ("find"), for a role widened to
// everything and for a reader role that holds no power.
func BenchmarkRBACPowerSearch(b *testing.B) {
	for _, tc := range []struct {
		name  string
		rules []rbacv1.PolicyRule
	}{
		{"widened", []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods", "services"}}, {Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
		{"reader", []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "services", "deployments", "configmaps"}}}},
	} {
		rules := rbacOwnRules(tc.rules)
		scopes := []rbacScope{rbacScopeCluster, rbacScopeNamespace, rbacScopeSystem}
		b.Run(tc.name+"/find", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, sc := range scopes {
					rbacFind(rbacAdminPowers, rules, sc)
				}
			}
		})
		b.Run(tc.name+"/search", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := newRBACPowerSearch(rbacAdminPowers, rules)
				for _, sc := range scopes {
					s.find(sc)
				}
			}
		})
	}
}
