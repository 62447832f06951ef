// Package bindingindex keeps ClusterRoleBindings and RoleBindings by the
// role they refer to, so that "who is bound to this role?" costs O(1) in
// the number of bindings. The webhook fills it from informer events, the
// CLI from the input set: the RBAC rules read it through
// rules.ClusterView.Bindings when a Role or ClusterRole is written.
package bindingindex

import (
	"slices"
	"strings"
	"sync"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

type objKey struct{ kind, namespace, name string }

// Index maps roles to the bindings that refer to them. It is safe for
// concurrent use. The Bindings it holds and returns are shared: never
// modify them.
type Index struct {
	mu     sync.RWMutex
	byRole map[rules.RoleKey]map[objKey]*rules.Binding
	roleOf map[objKey]rules.RoleKey
}

// New returns an empty index.
func New() *Index {
	return &Index{byRole: map[rules.RoleKey]map[objKey]*rules.Binding{}, roleOf: map[objKey]rules.RoleKey{}}
}

// Set records b under the role it refers to, replacing its previous
// version (a binding's roleRef is immutable, but a binding deleted and
// created again under the same name may refer to another role). A binding
// whose roleRef can never resolve is only forgotten.
func (x *Index) Set(b *rules.Binding) {
	if b == nil {
		return
	}
	k := objKey{b.Kind, b.Namespace, b.Name}
	role, ok := b.Role()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(k)
	if !ok {
		return
	}
	set := x.byRole[role]
	if set == nil {
		set = map[objKey]*rules.Binding{}
		x.byRole[role] = set
	}
	set[k] = b
	x.roleOf[k] = role
}

// Delete forgets the binding of that kind (rules.KindClusterRoleBinding or
// rules.KindRoleBinding), namespace and name.
func (x *Index) Delete(kind, namespace, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(objKey{kind, namespace, name})
}

func (x *Index) deleteLocked(k objKey) {
	role, ok := x.roleOf[k]
	if !ok {
		return
	}
	if set := x.byRole[role]; set != nil {
		delete(set, k)
		if len(set) == 0 {
			delete(x.byRole, role)
		}
	}
	delete(x.roleOf, k)
}

// Bindings returns the bindings that refer to role: ClusterRoleBindings
// first, then RoleBindings, each sorted by namespace and name.
func (x *Index) Bindings(role rules.RoleKey) []*rules.Binding {
	x.mu.RLock()
	set := x.byRole[role]
	out := make([]*rules.Binding, 0, len(set))
	for _, b := range set {
		out = append(out, b)
	}
	x.mu.RUnlock()
	Sort(out)
	return out
}

// Sort orders bindings as Bindings returns them.
func Sort(bs []*rules.Binding) {
	slices.SortFunc(bs, func(a, b *rules.Binding) int {
		return strings.Compare(a.Kind+"\x00"+a.Namespace+"\x00"+a.Name, b.Kind+"\x00"+b.Namespace+"\x00"+b.Name)
	})
}

// Len returns the number of indexed bindings.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.roleOf)
}
