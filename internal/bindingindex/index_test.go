package bindingindex

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

func b(kind, ns, name, roleKind, role string) *rules.Binding {
	return &rules.Binding{Kind: kind, Namespace: ns, Name: name, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: role}}
}

func names(bs []*rules.Binding) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Kind+":"+b.Namespace+"/"+b.Name)
	}
	return strings.Join(out, " ")
}

var (
	crKey   = rules.RoleKey{Kind: rules.KindClusterRole, Name: "widget"}
	roleKey = rules.RoleKey{Kind: rules.KindRole, Namespace: "team-a", Name: "widget"}
)

func TestIndex(t *testing.T) {
	x := New()
	x.Set(b(rules.KindRoleBinding, "team-b", "rb", rules.KindClusterRole, "widget"))
	x.Set(b(rules.KindClusterRoleBinding, "", "crb", rules.KindClusterRole, "widget"))
	x.Set(b(rules.KindRoleBinding, "team-a", "rb", rules.KindRole, "widget"))
	x.Set(b(rules.KindRoleBinding, "team-a", "other", rules.KindRole, "other"))
	// A ClusterRoleBinding of kind Role can never resolve: not indexed.
	x.Set(b(rules.KindClusterRoleBinding, "", "broken", rules.KindRole, "widget"))
	x.Set(nil)

	if got, want := names(x.Bindings(crKey)), "ClusterRoleBinding:/crb RoleBinding:team-b/rb"; got != want {
		t.Errorf("ClusterRole widget: %s, want %s", got, want)
	}
	if got, want := names(x.Bindings(roleKey)), "RoleBinding:team-a/rb"; got != want {
		t.Errorf("Role team-a/widget: %s, want %s", got, want)
	}
	if x.Len() != 4 {
		t.Errorf("Len %d, want 4", x.Len())
	}
	// A binding recreated under the same name with another roleRef moves.
	x.Set(b(rules.KindRoleBinding, "team-b", "rb", rules.KindClusterRole, "view"))
	if got := names(x.Bindings(crKey)); got != "ClusterRoleBinding:/crb" {
		t.Errorf("after the move: %s", got)
	}
	x.Delete(rules.KindClusterRoleBinding, "", "crb")
	x.Delete(rules.KindClusterRoleBinding, "", "never-there")
	if got := x.Bindings(crKey); len(got) != 0 {
		t.Errorf("after delete: %s", names(got))
	}
	if x.Len() != 3 {
		t.Errorf("Len %d, want 3", x.Len())
	}
}

func TestIndexConcurrent(t *testing.T) {
	x := New()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("b%d-%d", w, i)
				x.Set(b(rules.KindClusterRoleBinding, "", name, rules.KindClusterRole, "widget"))
				_ = x.Bindings(crKey)
				if i%2 == 0 {
					x.Delete(rules.KindClusterRoleBinding, "", name)
				}
			}
		}(w)
	}
	wg.Wait()
	if got := len(x.Bindings(crKey)); got != 400 {
		t.Errorf("%d bindings, want 400", got)
	}
}

// BenchmarkBindings: a lookup costs the same whatever the number of
// bindings of other roles (compare the sub-benchmarks' ns/op).
func BenchmarkBindings(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("bindings=%d", n), func(b *testing.B) {
			x := New()
			for i := 0; i < n; i++ {
				x.Set(&rules.Binding{Kind: rules.KindRoleBinding, Namespace: fmt.Sprintf("ns-%d", i), Name: "edit",
					RoleRef: rbacv1.RoleRef{Kind: rules.KindClusterRole, Name: fmt.Sprintf("role-%d", i)}})
			}
			key := rules.RoleKey{Kind: rules.KindClusterRole, Name: "role-7"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(x.Bindings(key)) != 1 {
					b.Fatal("lookup")
				}
			}
		})
	}
}

// TestIndexOrder: whatever the order of Set and Delete, Bindings answers
// in Sort's order.
func TestIndexOrder(t *testing.T) {
	x := New()
	var want []*rules.Binding
	for i := 0; i < 60; i++ {
		kind, ns := rules.KindRoleBinding, fmt.Sprintf("ns-%d", (i*37)%11)
		if i%4 == 0 {
			kind, ns = rules.KindClusterRoleBinding, ""
		}
		bb := b(kind, ns, fmt.Sprintf("b-%d", (i*53)%60), rules.KindClusterRole, "widget")
		x.Set(bb)
		want = append(want, bb)
	}
	for i := 0; i < 60; i += 3 {
		x.Delete(want[i].Kind, want[i].Namespace, want[i].Name)
	}
	var kept []*rules.Binding
	for i, bb := range want {
		if i%3 != 0 {
			kept = append(kept, bb)
		}
	}
	Sort(kept)
	if got := x.Bindings(crKey); names(got) != names(kept) {
		t.Errorf("bindings\n%s\nwant\n%s", names(got), names(kept))
	}
	if got := x.Bindings(rules.RoleKey{Kind: rules.KindClusterRole, Name: "none"}); got == nil || len(got) != 0 {
		t.Errorf("no bindings: %#v, want an empty slice", got)
	}
}
