// Package kept builds what a view of the cluster keeps of an object: the
// records of Roles, ClusterRoles and their bindings that the server's
// informer cache (clustercache) and webhook check's view (inputview) both
// hold, so that what such an object costs a view, and what the rules can
// read of it, is decided in one place. Strings that repeat are shared
// (Interner).
package kept

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Identity is the metadata every kept object carries: name, namespace,
// uid and resourceVersion. The rest (managedFields, owner references,
// finalizers, annotations but those a record lists) is dropped.
func Identity(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            m.Name,
		Namespace:       m.Namespace,
		UID:             m.UID,
		ResourceVersion: m.ResourceVersion,
	}
}

// Annotations returns the entries of in (annotations or labels) under
// keys, nil when there are none.
func Annotations(in map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if v, ok := in[k]; ok {
			if out == nil {
				out = make(map[string]string, len(keys))
			}
			out[k] = v
		}
	}
	return out
}

// Role is what a view keeps of a Role: its identity and its rules,
// compacted (compactRules). No rule reads a Role's labels (a
// ClusterRole's select it into aggregated roles).
func Role(in *rbacv1.Role) *rbacv1.Role {
	return &rbacv1.Role{TypeMeta: in.TypeMeta, ObjectMeta: Identity(&in.ObjectMeta), Rules: compactRules(in.Rules)}
}

// ClusterRole is what a view keeps of a ClusterRole: its identity, its
// labels (aggregate-to-*), its rules, compacted (compactRules), and its
// aggregation rule.
func ClusterRole(in *rbacv1.ClusterRole) *rbacv1.ClusterRole {
	out := &rbacv1.ClusterRole{TypeMeta: in.TypeMeta, ObjectMeta: Identity(&in.ObjectMeta)}
	out.Labels = in.Labels
	out.Rules = compactRules(in.Rules)
	out.AggregationRule = in.AggregationRule
	return out
}

// bindingLabels are the labels a kept binding keeps: the bootstrap label
// pins the exemptions of the cluster's own bindings.
var bindingLabels = []string{"kubernetes.io/bootstrapping"}

// Binding is what a view keeps of a ClusterRoleBinding or RoleBinding
// (false for anything else): the binding index's record of its roleRef,
// subjects and bootstrap label, with the namespace, kinds and API groups
// interned.
func Binding(obj runtime.Object) (rules.Binding, bool) {
	switch in := obj.(type) {
	case *rbacv1.ClusterRoleBinding:
		return rules.Binding{Kind: rules.KindClusterRoleBinding, Name: in.Name,
			Labels: Annotations(in.Labels, bindingLabels), RoleRef: internRoleRef(in.RoleRef), Subjects: internSubjects(in.Subjects, "")}, true
	case *rbacv1.RoleBinding:
		ns := Namespace(in.Namespace)
		return rules.Binding{Kind: rules.KindRoleBinding, Namespace: ns, Name: in.Name,
			Labels: Annotations(in.Labels, bindingLabels), RoleRef: internRoleRef(in.RoleRef), Subjects: internSubjects(in.Subjects, ns)}, true
	}
	return rules.Binding{}, false
}
