package clustercache

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
)

// TestClusterRoleIndex: the cache's aggregation index finds roles by name
// and lists the aggregated ones sorted, from the store's index, and sees a
// role added after it was built (the store changes under it).
func TestClusterRoleIndex(t *testing.T) {
	agg := func(name string) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"to-" + name: "true"}}}}}
	}
	plain := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "plain", Labels: map[string]string{"to-view": "true"}}}
	c, err := NewStatic(Options{}, agg("view"), plain, agg("admin"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := c.ClusterRoleIndex()
	if err != nil {
		t.Fatal(err)
	}
	names := func(crs []*rbacv1.ClusterRole) (out []string) {
		for _, cr := range crs {
			out = append(out, cr.Name)
		}
		return out
	}
	if got := names(ix.Aggregated()); len(got) != 2 || got[0] != "admin" || got[1] != "view" {
		t.Errorf("Aggregated = %v, want admin, view", got)
	}
	if ix.Get("plain") == nil || ix.Get("missing") != nil {
		t.Errorf("Get(plain) = %v, Get(missing) = %v", ix.Get("plain"), ix.Get("missing"))
	}
	if got := len(ix.All()); got != 3 {
		t.Errorf("All = %d roles, want 3", got)
	}
	if err := c.add(agg("edit")); err != nil {
		t.Fatal(err)
	}
	if got := names(ix.Aggregated()); len(got) != 3 || got[1] != "edit" {
		t.Errorf("Aggregated after adding edit = %v", got)
	}
	// A store without the aggregated index (none in production) scans.
	bare := &storeClusterRoles{store: toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{})}
	if err := bare.store.Add(agg("view")); err != nil {
		t.Fatal(err)
	}
	if err := bare.store.Add(plain); err != nil {
		t.Fatal(err)
	}
	if got := names(bare.Aggregated()); len(got) != 1 || got[0] != "view" {
		t.Errorf("Aggregated without the index = %v", got)
	}
}
