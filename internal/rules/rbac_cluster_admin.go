package rules

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
)

// rbacClusterAdmin restricts ClusterRoleBindings and RoleBindings
// (roleRef and subjects).
//
// A binding fails when it gives cluster-admin, or a role that is
// cluster-admin in all but name, to anyone:
//   - roleRef is ClusterRole "cluster-admin" (the name alone decides);
//   - roleRef resolves (ClusterRole, or for a RoleBinding of kind Role the
//     Role of the binding's namespace) to a role with a rule granting "*"
//     verbs on "*" resources in "*" API groups without resourceNames;
//   - roleRef resolves to a ClusterRole whose aggregationRule selects
//     cluster-admin (an empty selector, or one matching
//     kubernetes.io/bootstrapping=rbac-defaults).
//
// A RoleBinding to such a role fails too: inside its namespace it is full
// power, RBAC of that namespace included.
//
// What passes:
//   - subjects that gain nothing: Group "system:masters" (the authorizer lets
//     it do everything before RBAC is consulted; this is the API server's own
//     cluster-admin binding) and, on kubeadm's ClusterRoleBinding
//     "kubeadm:cluster-admins" to cluster-admin, Group "kubeadm:cluster-admins"
//     (kubeadm's replacement for system:masters in admin.conf since 1.29);
//   - bindings without other subjects;
//   - roles that grant "*" only on non-resource URLs, only with
//     resourceNames, or only in some API groups or on some resources;
//   - roles not in the input (offline) or not existing: the check is skipped.
//     A lookup that cannot be answered right now is a warning.
//
// Aggregated ClusterRoles are judged by their stored rules, which in a live
// cluster the aggregation controller has filled in.
var rbacClusterAdmin = &Rule{
	ID:            "rbac-cluster-admin",
	DefaultAction: ActionDeny,
	Kinds:         bindingKinds,
	Summary:       "bindings to cluster-admin or an equivalent wildcard role",
	Why: "cluster-admin (or any role granting every verb on every resource) lets its holder read every Secret, " +
		"run anything on any node and rewrite RBAC itself; one leaked token of such a subject is a full cluster compromise.",
	Fix: "Bind a role limited to what the subject needs, e.g. the built-in admin, edit or view ClusterRole through a " +
		"RoleBinding in the namespaces it works in; keep cluster-admin for break-glass access configured as an exemption.",
	Check: checkRBACClusterAdmin,
}

const rbacClusterAdminRole = "cluster-admin"

// rbacAdminSubjectGainsNothing reports whether binding b adds no power for
// subject s whatever role it binds.
func rbacAdminSubjectGainsNothing(b *rbacBinding, s rbacv1.Subject) bool {
	if s.Kind != rbacv1.GroupKind {
		return false
	}
	if s.Name == rbacSystemMasters {
		return true
	}
	// kubeadm (1.29+) binds cluster-admin to this group for admin.conf;
	// membership comes only from client certificates signed by the cluster
	// CA, like system:masters.
	return s.Name == "kubeadm:cluster-admins" && b.kind == "ClusterRoleBinding" && b.name == "kubeadm:cluster-admins" &&
		b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == rbacClusterAdminRole
}

func checkRBACClusterAdmin(in *Input) []Violation {
	b := rbacBindingOf(in)
	if b == nil {
		return nil
	}
	var granted []rbacv1.Subject
	for _, s := range b.subjects {
		if !rbacAdminSubjectGainsNothing(b, s) {
			granted = append(granted, s)
		}
	}
	if len(granted) == 0 {
		return nil
	}
	to := rbacSubjectsString(granted, b.namespace)
	hint := "bind a narrower role, e.g. the built-in admin or edit ClusterRole with a RoleBinding in the namespaces that need it"
	if b.kind == "RoleBinding" {
		hint = "bind a narrower role, e.g. the built-in edit or admin ClusterRole"
	}
	if b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == rbacClusterAdminRole {
		return []Violation{{
			Field:   rbacRoleRefNamePath,
			Message: fmt.Sprintf("%s grants cluster-admin%s to %s", b.kind, b.where(), to),
			Hint:    hint,
		}}
	}
	res, err := rbacResolveRoleRef(in, b)
	if err != nil {
		return LookupFailed(err, rbacRoleRefNamePath, b.roleString())
	}
	if !res.found {
		return nil
	}
	if i := rbacFirstEverythingRule(res.rules); i >= 0 {
		return []Violation{{
			Field: rbacRoleRefNamePath,
			Message: fmt.Sprintf("%s grants %s%s to %s: its rules[%d] allows every verb on every resource in every API group, like cluster-admin",
				b.kind, b.roleString(), b.where(), to, i),
			Hint: hint,
		}}
	}
	if res.aggregated != nil {
		if j := rbacAggregatesClusterAdmin(res.aggregated); j >= 0 {
			return []Violation{{
				Field: rbacRoleRefNamePath,
				Message: fmt.Sprintf("%s grants %s%s to %s: its aggregationRule.clusterRoleSelectors[%d] selects cluster-admin, so it holds every permission",
					b.kind, b.roleString(), b.where(), to, j),
				Hint: hint,
			}}
		}
	}
	return nil
}
