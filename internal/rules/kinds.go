package rules

import "k8s.io/apimachinery/pkg/runtime/schema"

var (
	ingressKinds   = []schema.GroupKind{{Group: "networking.k8s.io", Kind: "Ingress"}}
	bindingKinds   = []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}}
	roleKinds      = []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, {Group: "rbac.authorization.k8s.io", Kind: "Role"}}
	namespaceKinds = []schema.GroupKind{{Kind: "Namespace"}}
)
