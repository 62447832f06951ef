package rules

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rbacBroadSubject restricts subjects[*] of ClusterRoleBindings and
// RoleBindings, and the rules of the public roles bound to broad subjects.
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
// reported. The role itself is judged when it is written: a Role or
// ClusterRole of those names that grants more than its public content fails
// (rules[i], the first rule beyond) for each binding that gives it to a
// broad subject by name — widening system:public-info-viewer would open
// it to every unauthenticated request.
var rbacBroadSubject = &Rule{
	ID:            "rbac-broad-subject",
	DefaultAction: ActionDeny,
	Kinds:         append(slices.Clone(bindingKinds), roleKinds...),
	Summary:       "bindings to anonymous, unauthenticated, all authenticated users or all service accounts, and widening the roles bound to them by name",
	Why: "A binding to system:anonymous, system:unauthenticated, system:authenticated or system:serviceaccounts hands the " +
		"role to everyone who can reach the API server, or to every workload of every tenant; it is the usual way data " +
		"and control leak out of a cluster.",
	Fix: "Bind the specific users, groups or service accounts that need the role; for all service accounts of one " +
		"namespace use the group system:serviceaccounts:<namespace>.",
	Check: checkRBACBroadSubject,
}

var rbacRoleRefNamePath = field.NewPath("roleRef", "name")

func checkRBACBroadSubject(in *Input) []Violation {
	if r := rbacRoleOf(in); r != nil {
		return checkRBACBroadSubjectRole(in, r)
	}
	b := rbacBindingOf(in)
	if b == nil {
		return nil
	}
	var vs []Violation
	for i, s := range b.Subjects {
		key := rbacSubjectKey(s)
		who, broad := rbacBroadSubjects[key]
		if !broad || rbacBroadSubjectExpected(in, b, key) {
			continue
		}
		vs = append(vs, Violation{
			Field: field.NewPath("subjects").Index(i),
			Message: fmt.Sprintf("%s grants %s%s to %s, that is to %s",
				b.Kind, b.roleString(), b.where(), rbacSubjectString(s, b.Namespace), who),
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

// rbacPublicContent returns what the role key may grant to be bound to a
// broad subject by name (a public bootstrap ClusterRole, kubeadm's
// cluster-info Role) and the subjects it may be bound to that way; ok is
// false for any other role.
func rbacPublicContent(key RoleKey) (within func(rbacv1.PolicyRule) bool, subjects sets.Set[string], what string, ok bool) {
	switch key.Kind {
	case KindClusterRole:
		if subj, public := rbacPublicClusterRoles[key.Name]; public {
			if key.Name == "system:cluster-trust-bundle-discovery" {
				return rbacTrustBundleRule, subj, "reads of ClusterTrustBundles", true
			}
			return rbacPublicRule, subj, "get on discovery, health, version, OpenAPI and OIDC URLs and create on self-reviews", true
		}
	case KindRole:
		if key.Namespace == rbacKubeadmClusterInfoNamespace && key.Name == rbacKubeadmClusterInfoName {
			return rbacClusterInfoRule, sets.New(rbacSubjAnonymous, rbacSubjUnauthenticated), "get on ConfigMap \"cluster-info\"", true
		}
	}
	return nil, nil, "", false
}

// rbacBroadSubjectExpected reports whether the broad subject (by key) of
// binding b is one of the cluster's own public bindings: the role's name
// allows it, and the role, when it can be looked up, grants only public
// content (a role that cannot be looked up is trusted by name: its
// content is judged when it is written).
func rbacBroadSubjectExpected(in *Input, b *Binding, key string) bool {
	rk, ok := b.Role()
	if !ok {
		return false
	}
	within, subjects, _, ok := rbacPublicContent(rk)
	if !ok || !subjects.Has(key) {
		return false
	}
	role, err := rbacLookupRole(in, rk)
	if err != nil || role == nil {
		return true
	}
	return rbacAllRules(role.rules, within)
}

// checkRBACBroadSubjectRole judges a write of a role that bindings may give
// to everyone by name (system:public-info-viewer, system:discovery…):
// when the new rules grant more than such a role may, each binding that
// gives it to a broad subject fails, at the first rule beyond.
func checkRBACBroadSubjectRole(in *Input, role *rbacRole) []Violation {
	within, subjects, what, ok := rbacPublicContent(role.key)
	if !ok || in.Cluster == nil {
		return nil
	}
	beyond := slices.IndexFunc(role.rules, func(r rbacv1.PolicyRule) bool { return !within(r) })
	if beyond < 0 {
		return nil
	}
	p := rbacRulesPath.Index(beyond)
	bs, err := in.Cluster.Bindings(role.key)
	if err != nil {
		return LookupFailed(err, p, "the bindings of "+role.key.String())
	}
	var vs []Violation
	for _, b := range bs {
		for _, s := range b.Subjects {
			key := rbacSubjectKey(s)
			if !subjects.Has(key) {
				continue
			}
			vs = append(vs, Violation{
				Field: p,
				Message: fmt.Sprintf("%s is bound by %s to %s, that is to %s: it may grant only %s, and rules[%d] grants more",
					role.key.Kind, b, rbacSubjectString(s, b.Namespace), rbacBroadSubjects[key], what, beyond),
				Hint: "keep this role to what it is made for; grant anything else with a role of its own, bound to the subjects that need it",
			})
		}
	}
	return vs
}

func rbacAllRules(rules []rbacv1.PolicyRule, ok func(rbacv1.PolicyRule) bool) bool {
	for _, r := range rules {
		if !ok(r) {
			return false
		}
	}
	return true
}
