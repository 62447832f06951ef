package admission

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// TestPlanCopiesOnlyToChange: the mutator plans on a deep copy only when
// it changes something; the request's object is never changed.
func TestPlanCopiesOnlyToChange(t *testing.T) {
	fill := withRequestDefaults(t, map[corev1.ResourceName]string{"cpu": "100m", "memory": "128Mi"})
	for _, tc := range []struct {
		name, fixture string
		cfg           *config.Config
		changes       bool
	}{
		{"add-on without priority class", "deployment-coredns-create.json", config.Default(), true},
		{"workload, nothing to fill", "deployment-create.json", config.Default(), false},
		{"workload with a gap, filling on", "deployment-create.json", fill, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMutator(tc.cfg, testCluster(t), Options{})
			r := &request{}
			skip, ie := m.e.prepare(context.Background(), loadReview(t, tc.fixture), m.scope(), r)
			if skip || ie != nil {
				t.Fatalf("prepare: skip=%v %v", skip, ie)
			}
			before := r.cur.obj.DeepCopyObject()
			p := m.plan(r)
			if copied := p.obj != r.cur.obj; copied != tc.changes || (len(p.muts) > 0) != tc.changes {
				t.Errorf("copied=%v with %d mutations, want %v", copied, len(p.muts), tc.changes)
			}
			if !equality.Semantic.DeepEqual(before, r.cur.obj) {
				t.Error("the request's object was changed")
			}
		})
	}
}
