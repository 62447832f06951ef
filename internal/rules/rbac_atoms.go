package rules

import (
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// rbacTableAtoms are the atoms (validation.BreakdownRule: one verb, group,
// resource and name each) of every rule of the powers' tables, computed
// once: the tables are fixed, and every role judged is matched against
// them.
var rbacTableAtoms = sync.OnceValue(func() map[*rbacv1.PolicyRule][]rbacv1.PolicyRule {
	out := map[*rbacv1.PolicyRule][]rbacv1.PolicyRule{}
	for _, table := range [][]rbacPower{rbacAdminPowers, rbacSensitivePowers} {
		for i := range table {
			for _, need := range table[i].needs {
				for j := range need {
					out[&need[j]] = validation.BreakdownRule(need[j])
				}
			}
		}
	}
	return out
})

// rbacAtoms returns validation.BreakdownRule(*want), from rbacTableAtoms
// for a rule of the tables. The result must not be changed.
func rbacAtoms(want *rbacv1.PolicyRule) []rbacv1.PolicyRule {
	if atoms, ok := rbacTableAtoms()[want]; ok {
		return atoms
	}
	return validation.BreakdownRule(*want)
}
