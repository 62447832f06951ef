package clustercache

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// aggregatedRoleIndex indexes ClusterRoles that have an aggregationRule,
// so that the RBAC rules find the roles a ClusterRole flows into without a
// scan of every ClusterRole.
const aggregatedRoleIndex = "guardrails:aggregated"

func aggregatedRoleIndexFunc(obj any) ([]string, error) {
	cr, ok := obj.(*rbacv1.ClusterRole)
	if !ok || cr.AggregationRule == nil {
		return nil, nil
	}
	return []string{"true"}, nil
}

// storeClusterRoles is the rules.ClusterRoleIndex of one request over the
// ClusterRole store.
type storeClusterRoles struct {
	store toolscache.Indexer
	all   []*rbacv1.ClusterRole // read on the first All
}

var _ rules.ClusterRoleIndex = (*storeClusterRoles)(nil)

func (s *storeClusterRoles) Get(name string) *rbacv1.ClusterRole {
	obj, ok, err := s.store.GetByKey(name)
	if err != nil || !ok {
		return nil
	}
	cr, _ := obj.(*rbacv1.ClusterRole)
	return cr
}

func (s *storeClusterRoles) Aggregated() []*rbacv1.ClusterRole {
	objs, err := s.store.ByIndex(aggregatedRoleIndex, "true")
	if err != nil {
		// A store without the index: look at every role.
		objs = s.store.List()
	}
	var out []*rbacv1.ClusterRole
	for _, o := range objs {
		if cr, ok := o.(*rbacv1.ClusterRole); ok && cr.AggregationRule != nil {
			out = append(out, cr)
		}
	}
	slices.SortFunc(out, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (s *storeClusterRoles) All() []*rbacv1.ClusterRole {
	if s.all == nil {
		objs := s.store.List()
		s.all = make([]*rbacv1.ClusterRole, 0, len(objs))
		for _, o := range objs {
			if cr, ok := o.(*rbacv1.ClusterRole); ok {
				s.all = append(s.all, cr)
			}
		}
	}
	return s.all
}
