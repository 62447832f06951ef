package bindingindex

import (
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/guardrails-dev/guardrails/internal/heapcost"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// BenchmarkIndexMemory reports the live heap (after GC) the index holds
// per binding, 10,000 of them over 200 namespaces (B/binding), besides the
// Bindings themselves: what the index adds to the cached objects.
//
//	go test ./internal/bindingindex/ -run '^$' -bench IndexMemory
func BenchmarkIndexMemory(b *testing.B) {
	const n = 10_000
	bs := make([]*rules.Binding, n)
	for i := range bs {
		ns := fmt.Sprintf("team-%d", i%200)
		bs[i] = &rules.Binding{Kind: rules.KindRoleBinding, Namespace: ns, Name: fmt.Sprintf("app-%d", i),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: rules.KindRole, Name: fmt.Sprintf("app-%d", i)}}
		if i%20 == 0 {
			bs[i] = &rules.Binding{Kind: rules.KindClusterRoleBinding, Name: fmt.Sprintf("reader-%d", i),
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: rules.KindClusterRole, Name: fmt.Sprintf("reader-%d", i%50)}}
		}
	}
	var perBinding float64
	for b.Loop() {
		perBinding = heapcost.PerObject(n, func() any {
			x := New()
			for _, bd := range bs {
				x.Set(bd)
			}
			return x
		})
	}
	b.ReportMetric(perBinding, "B/binding")
}
