package rules

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rbacBroadSubject restricts subjects[*] of ClusterRoleBindings and
// RoleBindings.
//
// A binding fails for each subject that stands for everyone, whatever the
// role:
//   - User "system:anonymous" and Group "system:unauthenticated": every request
//     without credentials;
//   - Group "system:authenticated": every user and service account;
//   - Group "system:serviceaccounts": every service account of every namespace.
//
// Group "system:serviceaccounts:<namespace>" (the service accounts of one
// namespace) is not broad and passes.
//
// What passes as well: the shapes the cluster creates for itself.
//   - the API server's public ClusterRoles bound to broad groups:
//     system:discovery, system:basic-user and system:public-info-viewer to
//     authenticated and unauthenticated users (older clusters keep the
//     unauthenticated subject on the first two after upgrades), and
//     system:service-account-issuer-discovery to system:serviceaccounts,
//     system:authenticated or system:unauthenticated (public OIDC discovery is
//     the administrator's documented choice). When the ClusterRole can be looked
//     up it must still grant only what those roles grant (get on discovery,
//     health, version, OpenAPI and OIDC URLs; create on self-reviews);
//   - kubeadm's RoleBinding of Role "kubeadm:bootstrap-signer-clusterinfo" in
//     kube-public to system:anonymous, when the Role (if known) grants only
//     get on ConfigMap "cluster-info".
//
// Lookups here only confirm exemptions: a role that cannot be looked up is
// trusted by name (the API server reconciles its bootstrap roles), never
// reported.
var rbacBroadSubject = &Rule{
	ID:            "rbac-broad-subject",
	DefaultAction: ActionDeny,
	Kinds:         bindingKinds,
	Summary:       "bindings to anonymous, unauthenticated, all authenticated users or all service accounts",
	Why: "A binding to system:anonymous, system:unauthenticated, system:authenticated or system:serviceaccounts hands the " +
		"role to everyone who can reach the API server, or to every workload of every tenant; it is the usual way data " +
		"and control leak out of a cluster.",
	Fix: "Bind the specific users, groups or service accounts that need the role; for all service accounts of one " +
		"namespace use the group system:serviceaccounts:<namespace>.",
	Check: checkRBACBroadSubject,
}

func checkRBACBroadSubject(in *Input) []Violation {
	b := rbacBindingOf(in)
	if b == nil {
		return nil
	}
	var vs []Violation
	for i, s := range b.subjects {
		key := rbacSubjectKey(s)
		who, broad := rbacBroadSubjects[key]
		if !broad || rbacBroadSubjectExpected(in, b, key) {
			continue
		}
		vs = append(vs, Violation{
			Field: field.NewPath("subjects").Index(i),
			Message: fmt.Sprintf("%s grants %s%s to %s, that is to %s",
				b.kind, b.roleString(), b.where(), rbacSubjectString(s, b.namespace), who),
			Hint: rbacBroadSubjectHint(key),
		})
	}
	return vs
}

func rbacBroadSubjectHint(key string) string {
	switch key {
	case rbacSubjectKey(rbacv1.Subject{Kind: rbacv1.GroupKind, Name: "system:serviceaccounts"}):
		return "bind the service accounts that need the role, or system:serviceaccounts:<namespace> for those of one namespace"
	case rbacSubjectKey(rbacv1.Subject{Kind: rbacv1.GroupKind, Name: "system:authenticated"}):
		return "bind the users, groups or service accounts that need the role instead of every authenticated identity"
	}
	return "remove this subject: nothing but discovery should be open without credentials; bind named users, groups or service accounts"
}

// rbacBroadSubjectExpected reports whether the broad subject (by key) of
// binding b is one of the cluster's own public bindings.
func rbacBroadSubjectExpected(in *Input, b *rbacBinding, key string) bool {
	switch b.roleRef.Kind {
	case "ClusterRole":
		if !rbacPublicClusterRoles[b.roleRef.Name].Has(key) {
			return false
		}
		return rbacResolvedWithin(in, b, rbacPublicRule)
	case "Role":
		if b.kind != "RoleBinding" || b.namespace != rbacKubeadmClusterInfoNamespace || b.roleRef.Name != rbacKubeadmClusterInfoName {
			return false
		}
		if key != rbacSubjAnonymous && key != rbacSubjUnauthenticated {
			return false
		}
		return rbacResolvedWithin(in, b, rbacClusterInfoRule)
	}
	return false
}

// rbacResolvedWithin reports whether the role b refers to grants only rules
// accepted by ok, trusting roles that cannot be looked up or do not exist.
func rbacResolvedWithin(in *Input, b *rbacBinding, ok func(rbacv1.PolicyRule) bool) bool {
	res, err := rbacResolveRoleRef(in, b)
	if err != nil || !res.found {
		return true
	}
	return rbacAllRules(res.rules, ok)
}
