package rules

import (
	"fmt"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// describeRules renders what an aggregation says a role holds, with where
// each rule comes from and what it is blamed on.
func describeRules(rs []rbacRuleRef) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s|%d|%v|%v|%v|%s;", r.from, r.index, r.rule.Verbs, r.rule.APIGroups, r.rule.Resources, r.blame.String())
	}
	return b.String()
}

// TestRBACAggregationIndex: an aggregation over the stored roles' index
// with the judged role's new version standing in answers what the former
// computation answered, which built a map of every ClusterRole with the
// new version in it, for every role, aggregated role and new version.
func TestRBACAggregationIndex(t *testing.T) {
	sel := func(ks ...string) *rbacv1.AggregationRule {
		a := &rbacv1.AggregationRule{}
		for _, k := range ks {
			a.ClusterRoleSelectors = append(a.ClusterRoleSelectors, metav1.LabelSelector{MatchLabels: map[string]string{k: "true"}})
		}
		return a
	}
	cr := func(name string, labels map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, AggregationRule: agg, Rules: rules}
	}
	l := func(k string) map[string]string { return map[string]string{k: "true"} }
	stored := []*rbacv1.ClusterRole{
		cr("admin", nil, sel("to-admin"), rule(s("get"), s(""), s("stale"))),
		cr("edit", l("to-admin"), sel("to-edit"), rule(s("get"), s(""), s("stale"))),
		cr("view", l("to-edit"), sel("to-view")),
		cr("extra", l("to-edit"), nil, rule(s("create"), s(""), s("serviceaccounts/token"))),
		cr("other", l("to-admin"), nil, rule(s("get"), s(""), s("pods"))),
		cr("reader", l("to-view"), nil, rule(s("get"), s(""), s("configmaps"))),
		cr("loop", l("to-loop"), sel("to-loop", "to-view")),
		cr("plain", nil, nil, rule(s("*"), s("*"), s("*"))),
		cr("bad-selector", nil, &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"a b": "c"}}}}),
	}
	// New versions of stored roles and roles that are not stored yet.
	writes := []*rbacv1.ClusterRole{
		nil,
		cr("extra", l("to-view"), nil, rule(s("escalate"), s("rbac.authorization.k8s.io"), s("clusterroles"))),
		cr("extra", nil, nil, rule(s("get"), s(""), s("pods"))),
		cr("edit", l("to-admin"), nil, rule(s("*"), s("*"), s("*"))),
		cr("plain", l("to-edit"), sel("to-admin")),
		cr("new", l("to-admin"), nil, rule(s("impersonate"), s(""), s("users"))),
		cr("new-agg", l("to-loop"), sel("to-edit", "to-view")),
		cr("admin", nil, nil),
	}
	names := []string{"admin", "edit", "view", "extra", "other", "reader", "loop", "plain", "bad-selector", "new", "new-agg", "missing"}
	index := NewClusterRoleSet(stored)
	for _, w := range writes {
		// The former computation: every stored role, the new version in place.
		merged := append([]*rbacv1.ClusterRole{}, stored...)
		if w != nil {
			merged = append(merged, w)
		}
		whole := NewClusterRoleSet(merged)
		for _, judged := range names {
			if w != nil && judged != w.Name {
				continue
			}
			for _, now := range []bool{false, true} {
				name := fmt.Sprintf("write %v judged %s now %v", w != nil && true, judged, now)
				if w != nil {
					name = fmt.Sprintf("write %s (%v) now %v", w.Name, w.Labels, now)
				}
				got := newRBACAggregation(index, w, judged, now)
				want := newRBACAggregation(whole, nil, judged, now)
				for _, n := range names {
					if g, x := describeRules(got.rulesOf(n)), describeRules(want.rulesOf(n)); g != x {
						t.Errorf("%s: rules of %s:\n got %s\nwant %s", name, n, g, x)
					}
				}
				var g, x []string
				for _, a := range got.aggregatorsOf(judged) {
					g = append(g, a.Name+fmt.Sprint(a.Labels, a.Rules))
				}
				for _, a := range want.aggregatorsOf(judged) {
					x = append(x, a.Name+fmt.Sprint(a.Labels, a.Rules))
				}
				if strings.Join(g, ",") != strings.Join(x, ",") {
					t.Errorf("%s: flows into %v, want %v", name, g, x)
				}
			}
		}
	}
	// Without an index (the view cannot list ClusterRoles) only the new
	// version is known.
	w := writes[4]
	got := newRBACAggregation(nil, w, w.Name, false)
	want := newRBACAggregation(NewClusterRoleSet([]*rbacv1.ClusterRole{w}), nil, w.Name, false)
	if g, x := describeRules(got.rulesOf(w.Name)), describeRules(want.rulesOf(w.Name)); g != x {
		t.Errorf("no index: got %s, want %s", g, x)
	}
	if len(got.aggregatorsOf(w.Name)) != 0 {
		t.Errorf("no index: flows into %v", got.aggregatorsOf(w.Name))
	}
}

// BenchmarkRBACClusterAdminRoles judges every ClusterRole of a view
// holding n of them (a few aggregated, as in a cluster), as webhook check
// does: the time per role must not grow with n.
func BenchmarkRBACClusterAdminRoles(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("roles=%d", n), func(b *testing.B) {
			roles := make([]*rbacv1.ClusterRole, n)
			for i := range roles {
				roles[i] = &rbacv1.ClusterRole{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ops-%d", i), Labels: map[string]string{"app.kubernetes.io/part-of": "ops"}},
					Rules:      []rbacv1.PolicyRule{rule(s("get", "list"), s(fmt.Sprintf("ops%d.example.com", i)), s("widgets"))},
				}
			}
			for i, name := range []string{"admin", "edit", "view"} {
				roles[i].Name = name
				roles[i].AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"aggregate-to-" + name: "true"}}}}
			}
			view := &roleSetView{index: NewClusterRoleSet(roles)}
			b.ResetTimer()
			for range b.N {
				for _, cr := range roles {
					checkRBACClusterAdminRole(&Input{Object: cr, Cluster: view}, &rbacRole{key: RoleKey{Kind: KindClusterRole, Name: cr.Name}, rules: cr.Rules, cr: cr})
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/role")
		})
	}
}

// roleSetView is a view of a fixed set of ClusterRoles and no bindings.
type roleSetView struct {
	EmptyView
	index *ClusterRoleSet
}

func (v *roleSetView) ClusterRoleIndex() (ClusterRoleIndex, error) { return v.index, nil }
func (v *roleSetView) Bindings(RoleKey) ([]*Binding, error)        { return nil, nil }
