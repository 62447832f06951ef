package rules

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Kinds of RBAC objects, as roleRefs and findings name them.
const (
	KindClusterRole        = "ClusterRole"
	KindRole               = "Role"
	KindClusterRoleBinding = "ClusterRoleBinding"
	KindRoleBinding        = "RoleBinding"
)

// RoleKey names a role the way a roleRef does: a ClusterRole by name, a
// Role by namespace and name. The binding index is keyed by it.
type RoleKey struct {
	Kind      string // KindClusterRole or KindRole
	Namespace string // the Role's namespace; empty for a ClusterRole
	Name      string
}

func (k RoleKey) String() string {
	if k.Namespace != "" {
		return fmt.Sprintf("%s %q in namespace %q", k.Kind, k.Name, k.Namespace)
	}
	return fmt.Sprintf("%s %q", k.Kind, k.Name)
}

// Binding is what the RBAC rules read of a ClusterRoleBinding or a
// RoleBinding: its identity, the role it refers to and its subjects. The
// binding index (server and CLI alike) holds Bindings.
type Binding struct {
	Kind      string // KindClusterRoleBinding or KindRoleBinding
	Namespace string // empty for a ClusterRoleBinding
	Name      string
	// Labels holds at least the bootstrap label (kubernetes.io/bootstrapping),
	// which pins the exemptions of the cluster's own bindings.
	Labels   map[string]string
	RoleRef  rbacv1.RoleRef
	Subjects []rbacv1.Subject
}

// BindingOf returns the Binding of a *rbacv1.ClusterRoleBinding or a
// *rbacv1.RoleBinding, and nil for anything else (nil pointers included).
func BindingOf(obj runtime.Object) *Binding {
	switch b := obj.(type) {
	case *rbacv1.ClusterRoleBinding:
		if b == nil {
			return nil
		}
		return &Binding{Kind: KindClusterRoleBinding, Name: b.Name, Labels: b.Labels, RoleRef: b.RoleRef, Subjects: b.Subjects}
	case *rbacv1.RoleBinding:
		if b == nil {
			return nil
		}
		return &Binding{Kind: KindRoleBinding, Namespace: b.Namespace, Name: b.Name, Labels: b.Labels, RoleRef: b.RoleRef, Subjects: b.Subjects}
	}
	return nil
}

// Role returns the key of the role b refers to. ok is false when the
// reference can never resolve: kind Role from a ClusterRoleBinding (the API
// server rejects it), or another kind. A RoleBinding without namespace (a
// manifest applied with -n) refers to the Role of the same empty namespace.
func (b *Binding) Role() (key RoleKey, ok bool) {
	switch b.RoleRef.Kind {
	case KindClusterRole:
		return RoleKey{Kind: KindClusterRole, Name: b.RoleRef.Name}, true
	case KindRole:
		if b.Kind != KindRoleBinding {
			return RoleKey{}, false
		}
		return RoleKey{Kind: KindRole, Namespace: b.Namespace, Name: b.RoleRef.Name}, true
	}
	return RoleKey{}, false
}

// clusterWide reports whether b grants its role in every namespace and on
// cluster-scoped resources (a ClusterRoleBinding), not in one namespace.
func (b *Binding) clusterWide() bool { return b.Kind == KindClusterRoleBinding }

// scope says where b grants its role.
func (b *Binding) scope() rbacScope {
	switch {
	case b.clusterWide():
		return rbacScopeCluster
	case b.Namespace == rbacSystemNamespace:
		return rbacScopeSystem
	}
	return rbacScopeNamespace
}

// where says where a binding applies: "" for a ClusterRoleBinding,
// ` in namespace "x"` for a RoleBinding.
func (b *Binding) where() string {
	if b.Kind == KindRoleBinding && b.Namespace != "" {
		return fmt.Sprintf(" in namespace %q", b.Namespace)
	}
	return ""
}

// roleString names the referenced role: ClusterRole "view", Role "ci".
func (b *Binding) roleString() string {
	kind := b.RoleRef.Kind
	if kind == "" {
		kind = "role"
	}
	return fmt.Sprintf("%s %q", kind, b.RoleRef.Name)
}

// String names the binding: ClusterRoleBinding "x", RoleBinding "ns/x".
func (b *Binding) String() string {
	if b.Namespace != "" {
		return fmt.Sprintf("%s %q", b.Kind, b.Namespace+"/"+b.Name)
	}
	return fmt.Sprintf("%s %q", b.Kind, b.Name)
}

// rbacBindingOf returns the binding under judgement in in.Object, nil for
// any other type. A RoleBinding without namespace takes the request's.
func rbacBindingOf(in *Input) *Binding {
	b := BindingOf(in.Object)
	if b != nil && b.Kind == KindRoleBinding && b.Namespace == "" {
		b.Namespace = in.Ref.Namespace
	}
	return b
}
