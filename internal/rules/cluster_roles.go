package rules

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// ClusterRoleIndex is what evaluating ClusterRole aggregation reads of a
// view's ClusterRoles. Lookups by name and the list of aggregated roles
// cost no scan of every ClusterRole; only All does, and the RBAC rules call
// it only to resolve the selectors of an aggregated ClusterRole.
type ClusterRoleIndex interface {
	// Get returns the ClusterRole of that name, nil when the index holds
	// none (it is never looked up elsewhere).
	Get(name string) *rbacv1.ClusterRole
	// Aggregated returns the ClusterRoles with an aggregationRule, sorted
	// by name. The slice is shared: read it, never modify it.
	Aggregated() []*rbacv1.ClusterRole
	// All returns every ClusterRole, in no particular order. The slice may
	// be shared: read it, never modify it.
	All() []*rbacv1.ClusterRole
}

// ClusterRoleSet is a ClusterRoleIndex over a fixed set of ClusterRoles.
type ClusterRoleSet struct {
	byName     map[string]*rbacv1.ClusterRole
	all        []*rbacv1.ClusterRole
	aggregated []*rbacv1.ClusterRole
}

var _ ClusterRoleIndex = (*ClusterRoleSet)(nil)

// NewClusterRoleSet indexes all (nil entries are left out; of two roles
// with one name, the later one counts). The set keeps the pointers: the
// roles must not change while it is in use.
func NewClusterRoleSet(all []*rbacv1.ClusterRole) *ClusterRoleSet {
	s := &ClusterRoleSet{byName: make(map[string]*rbacv1.ClusterRole, len(all))}
	for _, cr := range all {
		if cr != nil {
			s.byName[cr.Name] = cr
		}
	}
	s.all = make([]*rbacv1.ClusterRole, 0, len(s.byName))
	for _, cr := range s.byName {
		s.all = append(s.all, cr)
		if cr.AggregationRule != nil {
			s.aggregated = append(s.aggregated, cr)
		}
	}
	slices.SortFunc(s.aggregated, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	return s
}

func (s *ClusterRoleSet) Get(name string) *rbacv1.ClusterRole { return s.byName[name] }
func (s *ClusterRoleSet) Aggregated() []*rbacv1.ClusterRole   { return s.aggregated }
func (s *ClusterRoleSet) All() []*rbacv1.ClusterRole          { return s.all }
