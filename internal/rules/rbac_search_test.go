package rules

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestRBACPowerSearchIsFind: the search that judges each power once finds
// in every scope what rbacFind finds, on rule sets made of each power's
// needs (one alternative each), pairs of them, none and everything.
func TestRBACPowerSearchIsFind(t *testing.T) {
	needsOf := func(p rbacPower, alt int) []rbacv1.PolicyRule {
		var out []rbacv1.PolicyRule
		for _, need := range p.needs {
			out = append(out, need[min(alt, len(need)-1)])
		}
		return out
	}
	sets := [][]rbacv1.PolicyRule{nil, {{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}, {{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	for _, powers := range [][]rbacPower{rbacAdminPowers, rbacSensitivePowers} {
		for i, p := range powers {
			sets = append(sets, needsOf(p, 0), needsOf(p, 1))
			if i > 0 {
				sets = append(sets, append(needsOf(powers[i-1], 1), needsOf(p, 0)...))
			}
		}
	}
	for _, powers := range [][]rbacPower{rbacAdminPowers, rbacSensitivePowers} {
		for _, set := range sets {
			rules := rbacOwnRules(set)
			search := newRBACPowerSearch(powers, rules)
			for _, sc := range []rbacScope{rbacScopeNamespace, rbacScopeSystem, rbacScopeCluster, rbacScopeNamespace} {
				wh, wok := rbacFind(powers, rules, sc)
				gh, gok := search.find(sc)
				if wok != gok || !reflect.DeepEqual(wh, gh) {
					t.Errorf("rules %v, scope %v: search %v %+v, rbacFind %v %+v", set, sc, gok, gh, wok, wh)
				}
			}
		}
	}
}
