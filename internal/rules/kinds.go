package rules

import "k8s.io/apimachinery/pkg/runtime/schema"

var (
	ingressKinds   = []schema.GroupKind{{Group: "networking.k8s.io", Kind: "Ingress"}}
	bindingKinds   = []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}}
	roleKinds      = []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, {Group: "rbac.authorization.k8s.io", Kind: "Role"}}
	namespaceKinds = []schema.GroupKind{{Kind: "Namespace"}}
)

// GuardsCluster reports whether objects of kind gk protect the whole
// cluster wherever they live: Roles and RoleBindings (a RoleBinding of
// cluster-admin in kube-system is a cluster takeover). They are judged
// with the stricter of their namespace's mode and the cluster's.
func GuardsCluster(gk schema.GroupKind) bool {
	return gk.Group == rbacAPIGroup && (gk.Kind == KindRole || gk.Kind == KindRoleBinding)
}
