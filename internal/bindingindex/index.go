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
//
// Each role's bindings are one slice kept in the order Bindings returns
// them: most roles have one or a few bindings, and a slice costs a few
// words where a set costs hundreds of bytes; a lookup copies it, without
// sorting. byKey finds a binding's current version (and so the role it is
// under) from its kind, namespace and name: a pointer, not a copy of the
// role's key, to keep each binding's cost down.
type Index struct {
	mu     sync.RWMutex
	byRole map[rules.RoleKey][]*rules.Binding
	byKey  map[objKey]*rules.Binding
}

// New returns an empty index.
func New() *Index {
	return &Index{byRole: map[rules.RoleKey][]*rules.Binding{}, byKey: map[objKey]*rules.Binding{}}
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
	bs := x.byRole[role]
	i, _ := slices.BinarySearchFunc(bs, k, compareKey)
	x.byRole[role] = slices.Insert(bs, i, b)
	x.byKey[k] = b
}

// Delete forgets the binding of that kind (rules.KindClusterRoleBinding or
// rules.KindRoleBinding), namespace and name.
func (x *Index) Delete(kind, namespace, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(objKey{kind, namespace, name})
}

func (x *Index) deleteLocked(k objKey) {
	old, ok := x.byKey[k]
	if !ok {
		return
	}
	role, _ := old.Role() // Set keeps only bindings whose role resolves
	bs := x.byRole[role]
	if i, found := slices.BinarySearchFunc(bs, k, compareKey); found {
		// A new slice: readers may hold the old one (Bindings copies
		// under the lock, but stay safe if that ever changes).
		bs = slices.Concat(bs[:i], bs[i+1:])
	}
	if len(bs) == 0 {
		delete(x.byRole, role)
	} else {
		x.byRole[role] = bs
	}
	delete(x.byKey, k)
}

// Bindings returns the bindings that refer to role: ClusterRoleBindings
// first, then RoleBindings, each sorted by namespace and name.
func (x *Index) Bindings(role rules.RoleKey) []*rules.Binding {
	x.mu.RLock()
	defer x.mu.RUnlock()
	bs := x.byRole[role]
	return append(make([]*rules.Binding, 0, len(bs)), bs...)
}

// Sort orders bindings as Bindings returns them.
func Sort(bs []*rules.Binding) {
	slices.SortFunc(bs, func(a, b *rules.Binding) int {
		return compareKey(a, objKey{b.Kind, b.Namespace, b.Name})
	})
}

// compareKey orders a binding and a key by kind, namespace and name.
func compareKey(b *rules.Binding, k objKey) int {
	if c := strings.Compare(b.Kind, k.kind); c != 0 {
		return c
	}
	if c := strings.Compare(b.Namespace, k.namespace); c != 0 {
		return c
	}
	return strings.Compare(b.Name, k.name)
}

// Len returns the number of indexed bindings.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byKey)
}
