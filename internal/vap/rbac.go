package vap

import (
	"maps"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

var bindings = []resource{
	{group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"},
	{group: "rbac.authorization.k8s.io", resource: "rolebindings", namespaced: true},
}

// bindingWhere is the CEL of ` in namespace "ns"` for a RoleBinding, ""
// for a ClusterRoleBinding. The kind and namespace of a binding come from
// the request: the same for object and oldObject.
const bindingWhere = `(request.kind.kind == 'RoleBinding' && request.namespace != '' ? ' in namespace "' + request.namespace + '"' : '')`

// subjectString is the CEL of rules' rbacSubjectString for subject s:
// User "alice", ServiceAccount "ns/name" (a ServiceAccount without
// namespace is the binding's).
func subjectString(s string) string {
	return expand(`($S.kind == 'ServiceAccount' ?
      'ServiceAccount ' + $Q :
      $S.kind + ' ' + $N)`,
		"$Q", goQuote("(has("+s+".namespace) && "+s+".namespace != '' ? "+s+".namespace : request.namespace) + '/' + "+s+".name"),
		"$N", goQuote(s+".name"), "$S", s)
}

// rbacClusterAdmin judges ClusterRoleBindings and RoleBindings by name: a
// binding of ClusterRole cluster-admin to any subject but those who gain
// nothing (Group system:masters; Group kubeadm:cluster-admins on kubeadm's
// own ClusterRoleBinding of that name). Bindings of roles that are
// cluster-admin in all but name (wildcard rules, aggregation) need the
// role's rules: the webhook judges those.
var rbacClusterAdmin = check{
	rule:      "rbac-cluster-admin",
	covers:    "bindings to cluster-admin by name (wildcard roles need a lookup)",
	resources: bindings,
	findings: func(_ *config.Config, root, _ string) string {
		granted := expand(`(has($R.subjects) ? $R.subjects : []).filter(s, !(s.kind == 'Group' &&
      (s.name == $M || (s.name == 'kubeadm:cluster-admins' && request.kind.kind == 'ClusterRoleBinding' && $R.metadata.name == 'kubeadm:cluster-admins'))))`,
			"$R", root, "$M", str(rules.SystemMastersGroup))
		return render("rbac-cluster-admin", expand(`
$R.roleRef.kind == 'ClusterRole' && $R.roleRef.name == $A && size($G) > 0 ?
  [['roleRef.name', 'roleRef.name',
    request.kind.kind + ' grants cluster-admin' + $W + ' to ' + $G.map(s, $S).join(', '),
    request.kind.kind == 'RoleBinding' ?
      'bind a narrower role, e.g. the built-in edit or admin ClusterRole' :
      'bind a narrower role, e.g. the built-in admin or edit ClusterRole with a RoleBinding in the namespaces that need it']] : []`,
			"$R", root, "$A", str(rules.ClusterAdminRole), "$G", granted, "$W", bindingWhere, "$S", subjectString("s")))
	},
}

// rbacBroadSubject judges subjects[*] of ClusterRoleBindings and
// RoleBindings: none of rules.BroadSubjects, except on the cluster's own
// public bindings (the bootstrap roles of rules.PublicClusterRoleSubjects,
// kubeadm's cluster-info RoleBinding). The webhook also checks that those
// roles still grant only what they should, where it can look them up; by
// name alone, as here, they are trusted.
var rbacBroadSubject = check{
	rule:      "rbac-broad-subject",
	covers:    "yes (bootstrap roles trusted by name)",
	resources: bindings,
	tables: func(*config.Config) []admissionregistrationv1.Variable {
		var broad []string
		for _, b := range rules.BroadSubjects() {
			broad = append(broad, "\n  "+str(rules.SubjectKey(b.Kind, b.Name))+": "+strList([]string{b.Who, b.Hint}))
		}
		public := rules.PublicClusterRoleSubjects()
		var roles []string
		for _, role := range slices.Sorted(maps.Keys(public)) {
			roles = append(roles, "\n  "+str(role)+": "+strList(public[role]))
		}
		return []admissionregistrationv1.Variable{
			// "Kind:name" of a subject: [whom it stands for, hint].
			{Name: "broadSubjects", Expression: "{" + strings.Join(broad, ",") + "\n}"},
			// ClusterRole: the broad subjects its public bindings may have.
			{Name: "publicClusterRoles", Expression: "{" + strings.Join(roles, ",") + "\n}"},
		}
	},
	findings: func(_ *config.Config, root, _ string) string {
		kubeadm := rules.KubeadmClusterInfo()
		return render("rbac-broad-subject", expand(`
(has($R.subjects) ? $R.subjects : []).transformList(i, s,
  (s.kind + ':' + s.name) in variables.broadSubjects && !(
    ($R.roleRef.kind == 'ClusterRole' && $R.roleRef.name in variables.publicClusterRoles &&
      (s.kind + ':' + s.name) in variables.publicClusterRoles[$R.roleRef.name]) ||
    ($R.roleRef.kind == 'Role' && request.kind.kind == 'RoleBinding' && request.namespace == $KN &&
      $R.roleRef.name == $KR && (s.kind + ':' + s.name) in $KS)),
  ['subjects[' + string(i) + ']', 'subjects[*]',
    request.kind.kind + ' grants ' + $R.roleRef.kind + ' ' + $Q + $W + ' to ' + $S +
      ', that is to ' + variables.broadSubjects[s.kind + ':' + s.name][0],
    variables.broadSubjects[s.kind + ':' + s.name][1]])`,
			"$R", root, "$KN", str(kubeadm.Namespace), "$KR", str(kubeadm.Name), "$KS", strList(kubeadm.Subjects),
			"$Q", goQuote(root+".roleRef.name"), "$W", bindingWhere, "$S", subjectString("s")))
	},
}
